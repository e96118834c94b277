"""Dagster steps of the ``progress`` stage: goal attainment on the public values (published)
and on the unsuppressed values (internal)."""

from __future__ import annotations

import dagster as dg

from pipelines.indicators.assets import indicator_values
from pipelines.metadata import INTERNAL, PUBLIC, spec, table_metadata
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.progress.build import TIERS, build_goal_attainment
from pipelines.resources import Warehouse, catalogue

METHOD = """Method: compound annual growth since the baseline (Statistics Canada's method, as used by
Open SDG). With a target (`assets/targets.yaml`: official ones such as RM2 and the zero vision for
homelessness, analytical ones with author and reason) the observed growth is compared with the
growth needed to reach the target in time; without one, direction and pace are judged. Baselines:
2014 (Bolig for velferd) and 2020 (Alle trenger et trygt hjem). Too short a series gives «For lite
data»; context indicators are not judged."""


def _specs(tier: str, inputs: list) -> list[dg.AssetSpec]:
    _, attainment, rollup = TIERS[tier]
    where = (
        "Judged on the public, suppressed values only (public tier)."
        if tier == PUBLIC
        else "Judged on the unsuppressed values, for the analysts who own the data (internal tier; never "
        "published)."
    )
    return [
        spec(attainment, "progress", tier, "Progress towards the strategies' goals per indicator × target "
             f"group × geography.\n\n{METHOD}\n\n{where}", deps=inputs),
        spec(rollup, "progress", tier, "Roll-ups of goal attainment per goal and per target group for "
             f"the nation, every statsforvalter region and every county.\n\n{where}", deps=inputs),
    ]


def _materialize(warehouse: Warehouse, tier: str):
    _, attainment, rollup = TIERS[tier]
    with warehouse.get_connection() as con:
        build_goal_attainment(con, catalogue(), tier)
        statuses = dict(con.execute(f'SELECT status, count(*) FROM "{attainment}" GROUP BY 1').fetchall())
        national = con.execute(
            f"SELECT strategy_id || ' ' || rollup_id, status FROM \"{rollup}\" "
            "WHERE geo_level = 'land' AND rollup_by = 'goal' ORDER BY 1"
        ).fetchall()
        yield dg.MaterializeResult(
            asset_key=attainment,
            metadata=table_metadata(con, attainment, rows_by_status=dg.MetadataValue.json(statuses)),
        )
        yield dg.MaterializeResult(
            asset_key=rollup,
            metadata=table_metadata(con, rollup, national_goal_status=dg.MetadataValue.json(dict(national))),
        )


@dg.multi_asset(specs=_specs(PUBLIC, [PUBLIC_TABLE]))
def goal_attainment(warehouse: Warehouse):
    """Goal attainment on the public values: `goal_attainment` and `goal_rollup`."""
    yield from _materialize(warehouse, PUBLIC)


@dg.multi_asset(specs=_specs(INTERNAL, [indicator_values]))
def goal_attainment_internal(warehouse: Warehouse):
    """Goal attainment on the unsuppressed values: `goal_attainment_internal`, `goal_rollup_internal`."""
    yield from _materialize(warehouse, INTERNAL)
