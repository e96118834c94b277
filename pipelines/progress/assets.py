"""Dagster asset of the ``progress`` stage."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.indicators.assets import indicator_values
from pipelines.metadata import table_metadata
from pipelines.privacy.assets import indicator_values_public
from pipelines.progress.build import build_goal_attainment
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, catalogue


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="progress",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[indicator_values_public],
)
def goal_attainment(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Progress towards the strategies' goals, per indicator × target group × geography, and
    roll-ups per goal and per target group for the nation and every county.

    Method: compound annual growth since the baseline (Statistics Canada's method, as used by
    Open SDG). With a target (`assets/targets.yaml`: official ones such as RM2 and the zero vision
    for homelessness, analytical ones with author and reason) the observed growth is compared
    with the growth needed to reach the target in time; without one, direction and pace are
    judged. Baselines: 2014 (Bolig for velferd) and 2020 (Alle trenger et trygt hjem). Too short a
    series gives «For lite data»; context indicators are not judged.

    Judged on the public, suppressed values only. Tables: `goal_attainment`, `goal_rollup`.
    """
    with duckdb.get_connection() as con:
        build_goal_attainment(con, catalogue(), "public")
        statuses = dict(con.execute("SELECT status, count(*) FROM goal_attainment GROUP BY 1").fetchall())
        national = con.execute(
            "SELECT strategy_id || ' ' || rollup_id, status FROM goal_rollup "
            "WHERE geo_level = 'land' AND rollup_by = 'goal' ORDER BY 1"
        ).fetchall()
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                "goal_attainment",
                rows_by_status=dg.MetadataValue.json(statuses),
                national_goal_status=dg.MetadataValue.json(dict(national)),
            )
        )


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="progress",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[indicator_values],
)
def goal_attainment_internal(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Goal attainment on the unsuppressed values, for the analysts who own the data (internal
    tier; never published). Same method as `goal_attainment`. Tables: `goal_attainment_internal`,
    `goal_rollup_internal`.
    """
    with duckdb.get_connection() as con:
        build_goal_attainment(con, catalogue(), "internal")
        return dg.MaterializeResult(metadata=table_metadata(con, "goal_attainment_internal"))
