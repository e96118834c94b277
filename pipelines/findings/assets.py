"""Dagster steps of the ``evaluation`` stage: the 2020 evaluation's findings tested against the
numbers, and the trends before and after the 2018 priorities — on the public values (published)
and on the unsuppressed values (internal)."""

from __future__ import annotations

import dagster as dg

from pipelines.findings.build import TIERS, build_findings
from pipelines.findings.describe import finding_markdown
from pipelines.findings.spec import load_findings_spec
from pipelines.indicators.assets import indicator_values
from pipelines.metadata import INTERNAL, PUBLIC, spec, table_metadata
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.resources import Warehouse, catalogue

ABOUT = """`assets/findings.yaml` declares each finding of the evaluation of Bolig for velferd (Oslo
Economics with NIBR/OsloMet for Husbanken, 2020) in our own words, with its citation and the
indicators that can test it. The verdict rule (its thresholds under `rule:` in the same file; the
handbook explains it, «Evalueringens funn mot tallene»): the national change from the first to the
last year with a value in 2014–2020 must go the expected way by more than `flat_band` of the start
value, and at least `support_share` of the counties with values must change the same way, for
«Støttet»; «Ikke støttet» when neither holds (at most `reject_share`); «Delvis støttet» in between;
«For lite data» without two national values. Findings that no indicator measures (coordination,
competence) are listed as «Kan ikke testes med disse indikatorene». A verdict describes the
numbers; it is not proof that the strategy caused them. On demo data every verdict says that the
numbers are synthetic. Each finding is its own metadata entry below («funn: …»)."""

TRENDS = """From 2018 the action plan was narrowed to two prioritised national measures (people with
substance/mental-health problems who lack or may lose a home; disadvantaged families with children in
a suitable home). For their indicators: the average annual change in 2014–2017, 2018–2020 and
2021–2024 for the nation, every statsforvalter region and every county, and whether the development
after 2018 was better, worse or about the same as before. A changed trend is not proof of effect:
every row carries the caution."""


def _specs(tier: str, inputs: list) -> list[dg.AssetSpec]:
    _, verdicts, tests, trends = TIERS[tier]
    where = (
        "Judged on the public, suppressed values only (public tier; published in the release)."
        if tier == PUBLIC
        else "Judged on the unsuppressed values, for the analysts who own the data (internal tier; never "
        "published)."
    )
    return [
        spec(
            verdicts,
            "evaluation",
            tier,
            "One row per finding of the 2020 evaluation: statement, citation "
            f"and verdict.\n\n{ABOUT}\n\n{where}",
            deps=inputs,
        ),
        spec(
            tests,
            "evaluation",
            tier,
            "The numbers behind each verdict: one row per finding × indicator × "
            "target group — start and end values, change, and how many counties and statsforvalter regions "
            f"changed the expected way.\n\n{where}",
            deps=inputs,
        ),
        spec(trends, "evaluation", tier, f"Before and after 2018.\n\n{TRENDS}\n\n{where}", deps=inputs),
    ]


def _materialize(warehouse: Warehouse, tier: str):
    _, verdicts, tests, trends = TIERS[tier]
    cat = catalogue()
    findings = load_findings_spec(cat)
    with warehouse.get_connection() as con:
        build_findings(con, cat, findings, tier)
        verdict_rows = con.execute(f'SELECT * FROM "{verdicts}"').df()
        test_rows = con.execute(f'SELECT * FROM "{tests}"').df()
        per_finding = {
            f"funn: {row.finding_id}": dg.MetadataValue.md(
                finding_markdown(row, test_rows[test_rows["finding_id"] == row.finding_id], cat)
            )
            for _, row in verdict_rows.iterrows()
        }
        summary = dict(zip(verdict_rows["finding_id"], verdict_rows["verdict_nb"], strict=True))
        yield dg.MaterializeResult(
            asset_key=verdicts,
            metadata=table_metadata(con, verdicts, verdicts=dg.MetadataValue.json(summary), **per_finding),
        )
        yield dg.MaterializeResult(asset_key=tests, metadata=table_metadata(con, tests))
        shifts = con.execute(
            f"SELECT indicator_id || ' ' || period_id, trend_shift FROM \"{trends}\" "
            "WHERE geo_level = 'land' AND trend_shift IS NOT NULL ORDER BY 1"
        ).fetchall()
        yield dg.MaterializeResult(
            asset_key=trends,
            metadata=table_metadata(con, trends, national_trend_shift=dg.MetadataValue.json(dict(shifts))),
        )


@dg.multi_asset(specs=_specs(PUBLIC, [PUBLIC_TABLE]))
def evaluation_findings(warehouse: Warehouse):
    """The evaluation's findings against the public values: `finding_verdicts`, `finding_tests`,
    `priority_trends`."""
    yield from _materialize(warehouse, PUBLIC)


@dg.multi_asset(specs=_specs(INTERNAL, [indicator_values]))
def evaluation_findings_internal(warehouse: Warehouse):
    """The same on the unsuppressed values: `finding_verdicts_internal`, `finding_tests_internal`,
    `priority_trends_internal`."""
    yield from _materialize(warehouse, INTERNAL)
