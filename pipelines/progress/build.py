"""Compute goal attainment from the warehouse's indicator table and store it (the ``progress`` stage)."""

from __future__ import annotations

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.progress.attainment import goal_attainment, goal_rollup
from pipelines.warehouse import replace_table

# tier → (indicator table read, attainment table written, roll-up table written)
TIERS = {
    "public": (PUBLIC_TABLE, "goal_attainment", "goal_rollup"),
    "internal": (INDICATOR_TABLE, "goal_attainment_internal", "goal_rollup_internal"),
}


def build_goal_attainment(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, tier: str = "public"
) -> tuple[int, int]:
    """Replace the tier's attainment and roll-up tables; returns their row counts.

    The public tier is judged on the suppressed values only, so a status never rests on a hidden count.
    """
    source, attainment_table, rollup_table = TIERS[tier]
    columns = "indicator_id, target_group, geo_level, geo_code, geo_name, year, value, status, data_origin"
    values = con.execute(f'SELECT {columns} FROM "{source}"').df()
    attainment = goal_attainment(values, catalogue)
    rollup = goal_rollup(attainment, catalogue)
    return replace_table(con, attainment_table, attainment), replace_table(con, rollup_table, rollup)
