"""The evaluation's findings against the numbers: the declarations, the verdict rule on constructed
series (one per verdict), the before/after-2018 comparison, and the published tables of a real run."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.findings.build import SYNTHETIC_VERDICT_NB, findings_tables
from pipelines.findings.spec import (
    FINDINGS_FILE,
    FindingsSpecError,
    FindingTest,
    Rule,
    findings_spec_from_mapping,
    load_findings_spec,
)
from pipelines.findings.trend_break import annual_changes, period_rows
from pipelines.findings.verdict import (
    INSUFFICIENT,
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    UNTESTABLE,
    finding_verdict,
    judge_test,
)

RULE = Rule(
    regional_level="fylke", flat_band=0.02, support_share=0.67, reject_share=0.33, min_regions_share=0.5
)
DOWN = FindingTest(indicator="x", target_group="alle", expected="decrease")
TESTED_BY = {"indicator": "KOStotnatt0000", "target_group": "bostedslose", "expected": "decrease"}


@pytest.fixture(scope="module")
def spec(catalogue):
    return load_findings_spec(catalogue)


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(FINDINGS_FILE.read_text(encoding="utf-8"))


def series(
    national: dict[int, float | None], counties: list[tuple[float | None, float | None]] = ()
) -> pd.DataFrame:
    """A constructed series: the nation's values by year, and each county's (2014, 2020) values."""
    rows = [("land", "EAK", year, value) for year, value in national.items()]
    for index, (start, end) in enumerate(counties):
        rows += [("fylke", f"{index + 1:02d}", 2014, start), ("fylke", f"{index + 1:02d}", 2020, end)]
    return pd.DataFrame(rows, columns=["geo_level", "geo_code", "year", "value"])


# --- the declarations ---------------------------------------------------------------------------


def test_every_finding_is_declared_with_a_citation_and_tests_or_a_reason(spec, catalogue):
    assert len(spec.findings) >= 7
    assert {f.id for f in spec.findings} >= {"midlertidig_botilbud_ned", "barnefamilier_egnet_bolig",
                                             "startlan_barnefamilier_opp", "rus_psykisk_bedre",
                                             "rus_psykisk_nye_boliger", "oppfolging_samordnet",
                                             "kommuner_samordner"}  # fmt: skip
    for finding in spec.findings:
        assert finding.citation.basis_nb
        assert finding.testable != (finding.untestable_reason_nb is not None)
        assert (finding.period.first_year, finding.period.last_year) == (2014, 2020)
    untestable = [f.id for f in spec.findings if not f.testable]
    assert {"oppfolging_samordnet", "kommuner_samordner"} <= set(untestable)
    # no page or chapter is invented: the ones we could not check are null (shown as not known)
    assert all(f.citation.where is None for f in spec.findings)
    assert "Oslo Economics" in spec.evaluation.authors and spec.evaluation.year == 2020
    assert {m.id for m in spec.priority_measures} == {"rus_psykisk_bolig", "barnefamilier_egnet_bolig"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["findings"][2]["tests"][0].update(indicator="startlan"),
         "findings[2] (startlan_barnefamilier_opp).tests[0].indicator: unknown indicator 'startlan'"),
        (lambda d: d["findings"][0]["tests"][0].update(target_group="unge"),
         "findings[0] (midlertidig_botilbud_ned).tests[0].target_group: 'unge' is not a target group"),
        (lambda d: d["findings"][0]["tests"][0].update(expected="increase"),
         "findings[0] (midlertidig_botilbud_ned).tests[0].expected: 'increase' contradicts"),
        (lambda d: d["findings"][6].update(tests=[TESTED_BY]),
         "findings[6] (oppfolging_samordnet): give either"),
        (lambda d: d["findings"][1].update(id=d["findings"][0]["id"]),
         "findings[1] (midlertidig_botilbud_ned).id: duplicate id"),
        (lambda d: d["findings"][0]["citation"].pop("basis_nb"),
         "findings[0] (midlertidig_botilbud_ned).citation.basis_nb: Field required"),
        (lambda d: d["findings"][0].update(verdict="støttet"),
         "findings[0] (midlertidig_botilbud_ned).verdict: Extra inputs are not permitted"),
        (lambda d: d["before_after"]["periods"][1].update(last_year=2031), "before_after.periods[1]"),
        (lambda d: d["rule"].update(reject_share=0.9), "rule: Value error, reject_share must be below"),
    ],
)  # fmt: skip
def test_a_bad_declaration_names_the_file_the_entry_and_the_field(document, catalogue, change, message):
    broken = copy.deepcopy(document)
    change(broken)
    with pytest.raises(FindingsSpecError) as error:
        findings_spec_from_mapping(broken, catalogue, "assets/findings.yaml")
    assert str(error.value).startswith("assets/findings.yaml: ")
    assert message in str(error.value)


# --- the verdict rule on constructed series -------------------------------------------------------


def test_supported_when_the_nation_and_most_counties_change_the_expected_way():
    result = judge_test(series({2014: 100, 2020: 80}, [(10, 8)] * 7 + [(10, 12)] * 3), DOWN, 2014, 2020, RULE)
    assert result.verdict == SUPPORTED
    assert (result.start_year, result.end_year, result.national_change) == (2014, 2020, -20)
    assert result.national_change_pct == pytest.approx(-20)
    assert (result.counties_total, result.counties_with_data, result.counties_expected) == (10, 10, 7)
    assert "7 av 10 fylkene" in result.reason_nb


def test_partly_supported_when_the_nation_improves_but_few_counties_do():
    result = judge_test(series({2014: 100, 2020: 80}, [(10, 8)] * 5 + [(10, 12)] * 5), DOWN, 2014, 2020, RULE)
    assert result.verdict == PARTLY


def test_partly_supported_when_the_nation_is_flat_but_most_counties_improve():
    result = judge_test(series({2014: 100, 2020: 99}, [(10, 8)] * 8 + [(10, 12)] * 2), DOWN, 2014, 2020, RULE)
    assert result.national_way == "flat"
    assert result.verdict == PARTLY


def test_not_supported_when_the_nation_and_the_counties_go_the_other_way():
    result = judge_test(
        series({2014: 100, 2020: 130}, [(10, 12)] * 8 + [(10, 8)] * 2), DOWN, 2014, 2020, RULE
    )
    assert (result.national_way, result.verdict) == ("opposite", NOT_SUPPORTED)


def test_a_change_inside_the_flat_band_is_not_support():
    # −1.5 % of the start value is within the 2 % band: unchanged, so not support
    assert judge_test(series({2014: 100, 2020: 98.5}), DOWN, 2014, 2020, RULE).verdict == NOT_SUPPORTED
    assert judge_test(series({2014: 100, 2020: 97.5}), DOWN, 2014, 2020, RULE).verdict == SUPPORTED


def test_insufficient_data_without_two_national_values_in_the_period():
    only_later = judge_test(series({2021: 50, 2024: 60}), DOWN, 2014, 2020, RULE)
    assert (only_later.verdict, only_later.start_year) == (INSUFFICIENT, None)
    one_year = judge_test(series({2014: None, 2019: 50, 2021: 40}), DOWN, 2014, 2020, RULE)
    assert one_year.verdict == INSUFFICIENT and "bare i 2019" in one_year.reason_nb


def test_a_survey_starts_at_its_first_year_and_a_hidden_value_is_never_a_number():
    # the four-yearly survey has 2016 and 2020; 2014 and 2018 are missing, not zero
    result = judge_test(series({2014: None, 2016: 50, 2018: None, 2020: 40}), DOWN, 2014, 2020, RULE)
    assert (result.start_year, result.end_year, result.verdict) == (2016, 2020, SUPPORTED)
    assert "bare tall for landet" in result.reason_nb


def test_with_too_few_counties_with_values_the_nation_decides_alone():
    # 3 of 10 counties published at both ends (the rest suppressed): below half, so not counted
    counties = [(10, 14)] * 3 + [(None, 8)] * 7
    result = judge_test(series({2014: 100, 2020: 80}, counties), DOWN, 2014, 2020, RULE)
    assert (result.counties_with_data, result.regions_counted, result.verdict) == (3, False, SUPPORTED)
    assert "Bare 3 av 10 fylkene" in result.reason_nb
    # with the same three counties counted (a lower bar), they overturn it
    lower = Rule(**{**RULE.model_dump(), "min_regions_share": 0.3})
    assert judge_test(series({2014: 100, 2020: 80}, counties), DOWN, 2014, 2020, lower).verdict == PARTLY


@pytest.mark.parametrize(
    ("tests", "verdict"),
    [
        ([SUPPORTED, SUPPORTED], SUPPORTED),
        ([SUPPORTED, INSUFFICIENT], SUPPORTED),
        ([NOT_SUPPORTED, NOT_SUPPORTED], NOT_SUPPORTED),
        ([SUPPORTED, NOT_SUPPORTED], PARTLY),
        ([PARTLY], PARTLY),
        ([INSUFFICIENT, INSUFFICIENT], INSUFFICIENT),
        ([], UNTESTABLE),
    ],
)
def test_a_findings_verdict_combines_its_tests(tests, verdict):
    judged = judge_test(series({2014: 1, 2020: 1}), DOWN, 2014, 2020, RULE)
    results = [dataclasses.replace(judged, verdict=v) for v in tests]
    assert finding_verdict(results) == verdict


# --- before and after 2018 ----------------------------------------------------------------------


def test_annual_changes_are_the_changes_of_the_periods_own_years():
    values = pd.DataFrame({"year": range(2014, 2021), "value": [10, 12, 14, 16, 17, None, 19]})
    assert annual_changes(values, 2014, 2017) == [2, 2, 2]  # 2015, 2016, 2017
    assert annual_changes(values, 2018, 2020) == [1]  # 2018 over 2017; 2019 is hidden, so 2019 and 2020 drop


def test_the_shift_is_turned_by_the_indicators_direction(spec):
    falling = [50, 48, 46, 44, 43.5, 43, 42.5, 42.5, 42.5, 42.5, 42.5]
    values = pd.DataFrame({"year": range(2014, 2025), "value": falling})
    lower = {r["period_id"]: r for r in period_rows(values, spec.before_after, "lower_is_better", 0.02)}
    assert lower["bfv_for_2018"]["average_annual_change"] == pytest.approx(-2)
    assert lower["bfv_fra_2018"]["average_annual_change"] == pytest.approx(-0.5)
    # falling more slowly after 2018 is the worse development for a lower-is-better indicator
    assert lower["bfv_fra_2018"]["shift_vs_first"] == pytest.approx(-1.5)
    assert lower["bfv_fra_2018"]["trend_shift"] == "worse"
    assert lower["bfv_fra_2018"]["trend_shift_nb"] == "Svakere utvikling enn 2014–2017"
    higher = {r["period_id"]: r for r in period_rows(values, spec.before_after, "higher_is_better", 0.02)}
    assert higher["bfv_fra_2018"]["trend_shift"] == "better"
    neutral = {r["period_id"]: r for r in period_rows(values, spec.before_after, "neutral", 0.02)}
    assert neutral["atth"]["trend_shift"] == "not_assessed"
    assert lower["bfv_for_2018"]["trend_shift"] is None
    # «about the same» when the shift, added up over the period's 3 years, stays within the band of
    # the starting level 50: 1.5 a year is 4.5 in all, more than 8 % (4) and less than 10 % (5)
    for band, shift in ((0.08, "worse"), (0.10, "similar")):
        rows = {r["period_id"]: r for r in period_rows(values, spec.before_after, "lower_is_better", band)}
        assert rows["bfv_fra_2018"]["trend_shift"] == shift, band


def test_a_period_with_too_few_shown_years_is_insufficient_not_zero(spec):
    values = pd.DataFrame(
        {"year": range(2014, 2025), "value": [50, 48, 46, 44, None, 42, None, 41, 41, 41, 41]}
    )
    rows = {r["period_id"]: r for r in period_rows(values, spec.before_after, "lower_is_better", 0.02)}
    assert rows["bfv_fra_2018"]["n_changes"] == 0
    assert rows["bfv_fra_2018"]["average_annual_change"] is None
    assert rows["bfv_fra_2018"]["trend_shift"] == "insufficient_data"


# --- a real run -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(pipeline_run: Path) -> Path:
    return pipeline_run / "exports" / "public" / "latest"


def test_the_release_publishes_a_verdict_per_finding_with_the_synthetic_mark(release, spec):
    verdicts = pd.read_parquet(release / "finding_verdicts.parquet")
    assert list(verdicts["finding_id"]) == [f.id for f in spec.findings]
    assert set(verdicts["verdict"]) <= {SUPPORTED, PARTLY, NOT_SUPPORTED, INSUFFICIENT, UNTESTABLE}
    untestable = verdicts[~verdicts["testable"]]
    assert (untestable["verdict_nb"] == "Kan ikke testes med disse indikatorene").all()
    # on demo data every verdict says so, and never reads as a fact about Norway
    assert verdicts["synthetic"].all()
    assert (verdicts["note_nb"] == SYNTHETIC_VERDICT_NB).all()
    assert "sier ingenting om utviklingen i Norge" in SYNTHETIC_VERDICT_NB
    assert verdicts["citation_nb"].str.contains("kapittel og side ikke kjent").all()


def test_the_numbers_behind_each_verdict_match_the_published_values(release):
    tests = pd.read_parquet(release / "finding_tests.parquet")
    values = pd.read_parquet(release / "indicator_values.parquet")
    judged = tests[tests["verdict"] != INSUFFICIENT]
    assert len(judged) >= 8
    for test in judged.itertuples(index=False):
        rows = values[
            (values["indicator_id"] == test.indicator_id) & (values["target_group"] == test.target_group)
        ]
        nation = rows[rows["geo_level"] == "land"].set_index("year")["value"]
        assert nation[test.start_year] == pytest.approx(test.national_start)
        assert nation[test.end_year] == pytest.approx(test.national_end)
        counties = rows[rows["geo_level"] == "fylke"].pivot_table(
            index="geo_code", columns="year", values="value"
        )
        both = counties[[test.start_year, test.end_year]].dropna()
        assert test.counties_with_data == len(both)
        change = both[test.end_year] - both[test.start_year]
        sign = -1 if test.expected == "decrease" else 1
        expected_way = ((change * sign) > 0.02 * both[test.start_year].abs()).sum()
        assert test.counties_expected == expected_way


def test_the_public_verdicts_never_count_a_suppressed_county(pipeline_run: Path, catalogue, spec):
    """The public tier reads the suppressed table: a county hidden there is not counted, whatever
    its unsuppressed value. The internal tier counts it — which shows the check can tell them apart."""
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        columns = "indicator_id, target_group, geo_level, geo_code, geo_name, year, value, data_origin"
        public = con.execute(f"SELECT {columns} FROM indicator_values_public").df()
        internal = con.execute(f"SELECT {columns} FROM indicator_values").df()
    public_tests = findings_tables(public, catalogue, spec)["tests"].set_index(["finding_id", "indicator_id"])
    internal_tests = findings_tables(internal, catalogue, spec)["tests"].set_index(
        ["finding_id", "indicator_id"]
    )
    assert (public_tests["counties_with_data"] <= internal_tests["counties_with_data"]).all()
    # somewhere suppression hides counties (KOSandbarn3m0000's small counts on the demo data)
    assert (public_tests["counties_with_data"] < internal_tests["counties_with_data"]).any()


def test_each_finding_is_on_the_asset_page_with_its_numbers(pipeline_run: Path, tmp_path: Path, spec):
    import dagster as dg

    from pipelines.findings.assets import evaluation_findings
    from pipelines.resources import Warehouse

    shutil.copy2(pipeline_run / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [evaluation_findings],
        resources={"warehouse": Warehouse(database=str(tmp_path / "warehouse.duckdb"))},
        instance=instance,
    )
    assert result.success
    event = instance.get_latest_materialization_event(dg.AssetKey("finding_verdicts"))
    metadata = event.asset_materialization.metadata
    for finding in spec.findings:
        markdown = metadata[f"funn: {finding.id}"].value
        assert finding.statement_nb.split()[0] in markdown
        assert "Syntetiske demodata" in markdown
    startlan = metadata["funn: startlan_barnefamilier_opp"].value
    assert "| Andel startlån til barnefamilier" in startlan and "2014: " in startlan and "2020: " in startlan
    assert "Kan ikke testes" in metadata["funn: oppfolging_samordnet"].value


def test_the_internal_tier_judges_the_unsuppressed_values_and_stays_internal(pipeline_run: Path, release):
    internal = pipeline_run / "exports" / "internal"
    verdicts = pd.read_parquet(internal / "finding_verdicts.parquet")
    public = pd.read_parquet(release / "finding_verdicts.parquet")
    assert list(verdicts["finding_id"]) == list(public["finding_id"])
    tests = pd.read_parquet(internal / "finding_tests.parquet").set_index(["finding_id", "indicator_id"])
    published = pd.read_parquet(release / "finding_tests.parquet").set_index(["finding_id", "indicator_id"])
    assert (tests["counties_with_data"] >= published["counties_with_data"]).all()
    trends = pd.read_parquet(internal / "priority_trends.parquet")
    assert set(trends["geo_level"]) == {"land", "statsforvalter", "fylke"}
    # the release carries the public tables only: nothing under exports/public is named _internal
    assert not list((pipeline_run / "exports" / "public").rglob("*_internal*"))
