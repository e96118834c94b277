"""The evaluation's findings against the numbers, as tables (the ``evaluation`` stage).

Three tables per tier, from one indicator table:

- ``finding_verdicts``: one row per finding — statement, citation, verdict and the count of its
  tests by verdict;
- ``finding_tests``: one row per finding × indicator × target group — the numbers behind the
  verdict (start and end values, change, and how many counties and statsforvalter regions
  changed the expected way);
- ``priority_trends``: one row per prioritised measure × indicator × target group × geography
  (nation, statsforvalter regions, counties) × period — the average annual change before and
  after 2018.

The public tier reads ``indicator_values_public`` (suppressed values are null and never counted);
the internal tier reads the unsuppressed ``indicator_values`` and is never published.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.exports.origin import is_synthetic, origin_counts
from pipelines.findings.spec import FindingsSpec
from pipelines.findings.trend_break import period_rows
from pipelines.findings.verdict import (
    INSUFFICIENT,
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    VERDICT_LABELS_EN,
    VERDICT_LABELS_NB,
    judge_finding,
)
from pipelines.formatting import SYNTHETIC_NB
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.progress.attainment import ORIGIN_STRICTNESS
from pipelines.warehouse import replace_table

# tier → (indicator table read, verdicts, tests, trends written)
TIERS = {
    "public": (PUBLIC_TABLE, "finding_verdicts", "finding_tests", "priority_trends"),
    "internal": (
        INDICATOR_TABLE,
        "finding_verdicts_internal",
        "finding_tests_internal",
        "priority_trends_internal",
    ),
}
TREND_LEVELS = ("land", "statsforvalter", "fylke")
# Said beside every verdict on synthetic numbers: a verdict is about these numbers, not Norway.
SYNTHETIC_VERDICT_NB = (
    f"{SYNTHETIC_NB}: vurderingen gjelder de syntetiske tallene og sier ingenting om utviklingen i Norge."
)
UNKNOWN_WHERE_NB = "kapittel og side ikke kjent"


def citation_nb(spec: FindingsSpec, where: str | None) -> str:
    """The finding's citation as one line: report, authors, client, year, and chapter or page."""
    evaluation = spec.evaluation
    return (
        f"{evaluation.authors}: {evaluation.title_nb}. På oppdrag fra {evaluation.client}, "
        f"{evaluation.year}; {where or UNKNOWN_WHERE_NB}."
    )


def _origin_note(rows: pd.DataFrame, whole_synthetic: bool = False) -> tuple[str | None, bool, str | None]:
    """(data_origin, synthetic, note) of the rows a verdict rests on. The origin is the strictest
    among them (``synthetic`` if any is), as in ``goal_rollup``; ``whole_synthetic``: the tier holds
    synthetic rows, so even a verdict resting on no rows («for lite data», untestable) is said to
    be about demo data."""
    counts = origin_counts(rows["data_origin"]) if len(rows) else {}
    strictest = next((o for o in ORIGIN_STRICTNESS if counts.get(o)), None)
    synthetic = is_synthetic(counts) or whole_synthetic
    return strictest, synthetic, SYNTHETIC_VERDICT_NB if synthetic else None


def findings_tables(
    values: pd.DataFrame, catalogue: Catalogue, spec: FindingsSpec
) -> dict[str, pd.DataFrame]:
    """``verdicts``, ``tests`` and ``trends`` from one tier's indicator rows (columns indicator_id,
    target_group, geo_level, geo_code, geo_name, year, value, data_origin)."""
    verdict_rows, test_rows = [], []
    whole_synthetic = is_synthetic(origin_counts(values["data_origin"]))
    for finding in spec.findings:
        verdict, results = judge_finding(values, finding, spec.rule)
        used = values[
            values.set_index(["indicator_id", "target_group"]).index.isin(
                [(t.indicator, t.target_group) for t in finding.tests]
            )
            & values["year"].between(finding.period.first_year, finding.period.last_year)
            & values["value"].notna()
        ]
        origin, synthetic, note = _origin_note(used, whole_synthetic)
        counts = pd.Series([r.verdict for r in results], dtype="object").value_counts()
        verdict_rows.append(
            {
                "finding_id": finding.id,
                "statement_nb": finding.statement_nb,
                "statement_en": finding.statement_en,
                "citation_nb": citation_nb(spec, finding.citation.where),
                "citation_where": finding.citation.where,
                "citation_basis_nb": finding.citation.basis_nb,
                "first_year": finding.period.first_year,
                "last_year": finding.period.last_year,
                "testable": finding.testable,
                "verdict": verdict,
                "verdict_nb": VERDICT_LABELS_NB[verdict],
                "verdict_en": VERDICT_LABELS_EN[verdict],
                "untestable_reason_nb": finding.untestable_reason_nb,
                "n_tests": len(results),
                "n_supported": int(counts.get(SUPPORTED, 0)),
                "n_partly_supported": int(counts.get(PARTLY, 0)),
                "n_not_supported": int(counts.get(NOT_SUPPORTED, 0)),
                "n_insufficient_data": int(counts.get(INSUFFICIENT, 0)),
                "synthetic": synthetic,
                "note_nb": note,
                "data_origin": origin,
            }
        )
        for result in results:
            row = result.as_row()
            series = used[
                (used["indicator_id"] == result.indicator_id) & (used["target_group"] == result.target_group)
            ]
            test_origin, _, test_note = _origin_note(series, whole_synthetic)
            test_rows.append(
                {
                    "finding_id": finding.id,
                    **row,
                    "unit": catalogue.indicators[result.indicator_id].unit,
                    "verdict_nb": VERDICT_LABELS_NB[result.verdict],
                    "note_nb": test_note,
                    "data_origin": test_origin,
                }
            )
    tests = pd.DataFrame(test_rows, columns=_TEST_COLUMNS).astype(
        {"start_year": "Int64", "end_year": "Int64"}
    )
    return {
        "verdicts": pd.DataFrame(verdict_rows),
        "tests": tests,
        "trends": priority_trends(values, catalogue, spec),
    }


_TEST_COLUMNS = [
    "finding_id", "indicator_id", "target_group", "expected", "start_year", "end_year", "national_start",
    "national_end", "national_change", "national_change_pct", "national_way", "counties_total",
    "counties_with_data", "counties_expected", "regions_total", "regions_with_data", "regions_expected",
    "regions_counted", "verdict", "reason_nb", "unit", "verdict_nb", "note_nb", "data_origin",
]  # fmt: skip


def priority_trends(values: pd.DataFrame, catalogue: Catalogue, spec: FindingsSpec) -> pd.DataFrame:
    """The before/after-2018 rows for every prioritised measure's indicators."""
    rows = []
    whole_synthetic = is_synthetic(origin_counts(values["data_origin"]))
    for measure in spec.priority_measures:
        for series_spec in measure.tests:
            indicator = catalogue.indicators[series_spec.indicator]
            series = values[
                (values["indicator_id"] == indicator.id)
                & (values["target_group"] == series_spec.target_group)
                & values["geo_level"].isin(TREND_LEVELS)
            ]
            for (level, code, name), geo in series.groupby(["geo_level", "geo_code", "geo_name"], sort=False):
                origin, _, note = _origin_note(geo[geo["value"].notna()], whole_synthetic)
                for row in period_rows(geo, spec.before_after, indicator.direction, spec.rule.flat_band):
                    rows.append(
                        {
                            "measure_id": measure.id,
                            "indicator_id": indicator.id,
                            "target_group": series_spec.target_group,
                            "geo_level": level,
                            "geo_code": code,
                            "geo_name": name,
                            **row,
                            "unit": indicator.unit,
                            "direction": indicator.direction,
                            "caution_nb": spec.before_after.caution_nb,
                            "note_nb": note,
                            "data_origin": origin,
                        }
                    )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = {level: i for i, level in enumerate(TREND_LEVELS)}
    frame["_order"] = frame["geo_level"].map(order)
    return (
        frame.sort_values(
            ["measure_id", "indicator_id", "target_group", "_order", "geo_code", "first_year"], kind="stable"
        )
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def build_findings(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, spec: FindingsSpec, tier: str
) -> dict[str, int]:
    """Replace the tier's three tables; returns their row counts by table name."""
    source, *tables = TIERS[tier]
    columns = "indicator_id, target_group, geo_level, geo_code, geo_name, year, value, data_origin"
    values = con.execute(f'SELECT {columns} FROM "{source}"').df()
    frames = findings_tables(values, catalogue, spec)
    return {
        table: replace_table(con, table, frame) for table, frame in zip(tables, frames.values(), strict=True)
    }
