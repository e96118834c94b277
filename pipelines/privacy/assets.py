"""Dagster asset of the ``privacy`` stage: the only way from the internal to the public tier."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.indicators.assets import indicator_values
from pipelines.metadata import table_metadata
from pipelines.privacy.build import PUBLIC_TABLE, build_public_values
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, catalogue


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="privacy",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[indicator_values],
)
def indicator_values_public(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The public, suppressed indicator table (`indicator_values_public`) — the only source of
    every public export, chart and report.

    Small counts about vulnerable people are suppressed (prikket) per measure cell — one measure
    at one geography in one year — so a count hidden in one indicator is hidden in all, whatever
    the row's status. Primary rules (`assets/suppression.yaml`): sensitive counts of 1–4;
    whole − parts differences of 1–4 for every relation declared in `assets/measures.yaml`
    (refugees within newly housed, households with children within all, «alle» against a
    group); all of a group smaller than 10. Population, children and households from SSB are
    never hidden.

    Secondary suppression is proven, not assumed: for every protected quantity a linear
    programme computes the interval an attacker can prove from everything published (every
    hierarchy sum, the relations, counts ≥ 0 and whole), and further cells are hidden — the
    cheapest that let it move — until each interval is at least 5 wide. The run stops with an
    error if that cannot be reached. The metadata shows the audit: targets checked, the
    narrowest interval, the time, and how much of what has data is hidden.

    Internal tables (not for publication): `indicator_values_flagged`, `suppressed_cells`,
    `suppression_audit` (one row per target with its interval) and `suppression_hidden_share`.
    """
    with duckdb.get_connection() as con:
        result = build_public_values(con, catalogue())
        summary = result.summary
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                PUBLIC_TABLE,
                rows_by_status=dg.MetadataValue.json(result.public["status"].value_counts().to_dict()),
                cells_by_reason=dg.MetadataValue.json(result.cells["reason"].value_counts().to_dict()),
                audit_targets_checked=summary["targets_checked"],
                audit_narrowest_interval=summary["narrowest_interval"] or float("inf"),
                audit_seconds=summary["seconds"],
                hidden_share=summary["hidden_share"],
                rows_hidden_by_secondary_only=summary["rows_hidden_by_secondary_only"],
                zeros_hidden=summary["zeros_hidden"],
            )
        )
