"""Does the published series support an evaluation finding? The verdict rule.

One *test* is one indicator × target group that a finding names, with the change the finding
expects (``increase`` or ``decrease``), over the finding's period (2014 → 2020 by default):

1. The nation's start and end: the first and the last year inside the period with a shown
   national value (a four-yearly survey starts in 2016). No value, or only one year: «for lite
   data».
2. The change goes the *expected* way when it has the expected sign and is larger than
   ``flat_band`` × |start value|; the *opposite* way when it has the other sign and is as large;
   otherwise it is *flat* («uendret»). A start value of 0 is flat only if the end is 0 too.
3. Every region of every regional level (fylke, statsforvalter) with a shown value in both of the
   nation's years is judged the same way, and counted.
4. The verdict counts the regions of ``regional_level`` (fylke). When fewer than
   ``min_regions_share`` of them have values at both ends (suppressed, or the source is national
   only), the regions are not counted and the test rests on the nation alone.

   ==================  =========================================================================
   støttet             the nation changed the expected way, and (if counted) at least
                       ``support_share`` of the regions did
   ikke støttet        the nation did not change the expected way (flat or opposite), and (if
                       counted) at most ``reject_share`` of the regions did
   delvis støttet      everything in between
   ==================  =========================================================================

A finding's verdict: its tests with «for lite data» are set aside; none left gives «for lite
data»; all «støttet» gives «støttet»; all «ikke støttet» gives «ikke støttet»; any other mix gives
«delvis støttet». A finding without tests «kan ikke testes med disse indikatorene».

Only shown values count: a suppressed (``:``), missing or not-applicable cell is never read as a
number, so the public tier's verdict never rests on a hidden count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from pipelines.findings.spec import Finding, FindingTest, Rule

NATION = "land"
REGIONAL_LEVELS = ("fylke", "statsforvalter")

SUPPORTED, PARTLY, NOT_SUPPORTED, INSUFFICIENT, UNTESTABLE = (
    "supported", "partly_supported", "not_supported", "insufficient_data", "untestable",
)  # fmt: skip
VERDICT_LABELS_NB = {
    SUPPORTED: "Støttet",
    PARTLY: "Delvis støttet",
    NOT_SUPPORTED: "Ikke støttet",
    INSUFFICIENT: "For lite data",
    UNTESTABLE: "Kan ikke testes med disse indikatorene",
}
VERDICT_LABELS_EN = {
    SUPPORTED: "Supported",
    PARTLY: "Partly supported",
    NOT_SUPPORTED: "Not supported",
    INSUFFICIENT: "Insufficient data",
    UNTESTABLE: "Cannot be tested with these indicators",
}
EXPECTED, OPPOSITE, FLAT = "expected", "opposite", "flat"
WAY_LABELS_NB = {EXPECTED: "som ventet", OPPOSITE: "motsatt vei", FLAT: "uendret"}
EXPECTED_LABELS_NB = {"increase": "økning", "decrease": "nedgang"}


def change_way(start: float, end: float, expected: str, flat_band: float) -> str:
    """expected | opposite | flat: the way ``start`` → ``end`` goes against the expected change."""
    change = end - start
    if start == 0:
        if change == 0:
            return FLAT
    elif abs(change) <= flat_band * abs(start):
        return FLAT
    rising = change > 0
    return EXPECTED if rising == (expected == "increase") else OPPOSITE


@dataclass(frozen=True)
class SeriesJudgement:
    """The numbers behind one test, and its verdict."""

    indicator_id: str
    target_group: str
    expected: str
    start_year: int | None
    end_year: int | None
    national_start: float | None
    national_end: float | None
    national_change: float | None
    national_change_pct: float | None
    national_way: str | None
    counties_total: int
    counties_with_data: int
    counties_expected: int
    regions_total: int
    regions_with_data: int
    regions_expected: int
    regions_counted: bool
    verdict: str
    reason_nb: str

    def as_row(self) -> dict[str, object]:
        return asdict(self)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["value"].notna()]


def _regional_counts(
    series: pd.DataFrame, level: str, years: tuple[int, int], expected: str, flat_band: float
) -> tuple[int, int, int]:
    """(regions of ``level``, with a value at both ends, changing the expected way)."""
    rows = series[series["geo_level"] == level]
    total = rows["geo_code"].nunique()
    shown = _shown(rows[rows["year"].isin(years)])
    ends = shown.pivot_table(index="geo_code", columns="year", values="value", aggfunc="first")
    if not set(years) <= set(ends.columns):
        return total, 0, 0
    ends = ends.dropna(subset=list(years))
    ways = [change_way(r[years[0]], r[years[1]], expected, flat_band) for _, r in ends.iterrows()]
    return total, len(ends), sum(w == EXPECTED for w in ways)


def judge_test(
    series: pd.DataFrame, test: FindingTest, first_year: int, last_year: int, rule: Rule
) -> SeriesJudgement:
    """The verdict of one test from ``series``: one indicator × target group's rows (columns
    geo_level, geo_code, year, value; a suppressed or missing value is null)."""
    in_period = series[series["year"].between(first_year, last_year)]
    national = _shown(in_period[in_period["geo_level"] == NATION]).sort_values("year")
    totals = in_period.groupby("geo_level")["geo_code"].nunique()
    counties_total, regions_total = (int(totals.get(level, 0)) for level in REGIONAL_LEVELS)
    if len(national) < 2:
        reason = (
            f"Ingen verdi for landet i {first_year}–{last_year}."
            if national.empty
            else f"Landet har verdi bare i {int(national['year'].iloc[0])} innenfor {first_year}–{last_year}."
        )
        return SeriesJudgement(
            test.indicator, test.target_group, test.expected, None, None, None, None, None, None, None,
            counties_total, 0, 0, regions_total, 0, 0, False, INSUFFICIENT, reason,
        )  # fmt: skip
    start_year, end_year = int(national["year"].iloc[0]), int(national["year"].iloc[-1])
    start, end = float(national["value"].iloc[0]), float(national["value"].iloc[-1])
    way = change_way(start, end, test.expected, rule.flat_band)
    years = (start_year, end_year)
    counties = _regional_counts(in_period, "fylke", years, test.expected, rule.flat_band)
    regions = _regional_counts(in_period, "statsforvalter", years, test.expected, rule.flat_band)
    total, with_data, expected_way = counties if rule.regional_level == "fylke" else regions
    counted = total > 0 and with_data >= rule.min_regions_share * total and with_data > 0
    share = expected_way / with_data if counted else None
    verdict = _test_verdict(way, share, rule)
    reason = _reason(way, share, counted, total, with_data, expected_way, rule.regional_level, years)
    return SeriesJudgement(
        test.indicator, test.target_group, test.expected, start_year, end_year, start, end, end - start,
        (end - start) / abs(start) * 100 if start else None, way, *counties, *regions, counted, verdict,
        reason,
    )  # fmt: skip


def _test_verdict(way: str, share: float | None, rule: Rule) -> str:
    if way == EXPECTED and (share is None or share >= rule.support_share):
        return SUPPORTED
    if way != EXPECTED and (share is None or share <= rule.reject_share):
        return NOT_SUPPORTED
    return PARTLY


REGION_WORDS_NB = {"fylke": "fylkene", "statsforvalter": "statsforvalterregionene"}


def _reason(way, share, counted, total, with_data, expected_way, level, years) -> str:
    nation = f"Landet {years[0]}–{years[1]}: {WAY_LABELS_NB[way]}."
    if counted:
        return (
            f"{nation} {expected_way} av {with_data} {REGION_WORDS_NB[level]} med tall endret seg som ventet."
        )
    if total == 0:
        return f"{nation} Kilden har bare tall for landet, så vurderingen bygger på landet alene."
    return (
        f"{nation} Bare {with_data} av {total} {REGION_WORDS_NB[level]} har tall i begge årene, "
        "så vurderingen bygger på landet alene."
    )


def finding_verdict(results: list[SeriesJudgement]) -> str:
    """The finding's verdict from its tests' verdicts (the rule in the module docstring)."""
    if not results:
        return UNTESTABLE
    judged = [r.verdict for r in results if r.verdict != INSUFFICIENT]
    if not judged:
        return INSUFFICIENT
    if all(v == SUPPORTED for v in judged):
        return SUPPORTED
    if all(v == NOT_SUPPORTED for v in judged):
        return NOT_SUPPORTED
    return PARTLY


def judge_finding(values: pd.DataFrame, finding: Finding, rule: Rule) -> tuple[str, list[SeriesJudgement]]:
    """(verdict, test results) of one finding from ``values`` (every indicator's rows: columns
    indicator_id, target_group, geo_level, geo_code, year, value)."""
    results = []
    for test in finding.tests:
        series = values[
            (values["indicator_id"] == test.indicator) & (values["target_group"] == test.target_group)
        ]
        results.append(judge_test(series, test, finding.period.first_year, finding.period.last_year, rule))
    return finding_verdict(results), results
