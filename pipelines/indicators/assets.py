"""Dagster asset of the ``indicators`` stage."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.indicators.compute import INDICATOR_TABLE, build_indicator_values
from pipelines.metadata import table_metadata
from pipelines.partitions import partition_years
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, catalogue
from pipelines.sources.assets import YEARLY
from pipelines.staging.assets import measure_values


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="indicators",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[measure_values],
    partitions_def=YEARLY,
)
def indicator_values(context, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Every indicator in `assets/indicators.yaml` for every municipality (kommune), county
    (fylke) and the nation (land, code EAK), every reporting year and target group.

    value = Σ numerator / Σ denominator × factor over the municipalities that reported both —
    never a mean of municipal rates. A zero denominator gives no value and status
    `not_applicable` (shown as `.`); no data gives status `missing` (`..`). Numerator and
    denominator are kept beside every value.

    Partitioned by reporting year like the staged measures: a run for one year recomputes and
    replaces that year's rows only, in one transaction.

    Table: `indicator_values`.
    """
    with duckdb.get_connection() as con:
        build_indicator_values(con, catalogue(), partition_years(context))
        statuses = dict(con.execute(f"SELECT status, count(*) FROM {INDICATOR_TABLE} GROUP BY 1").fetchall())
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                INDICATOR_TABLE,
                indicators=len(catalogue().indicators),
                rows_by_status=dg.MetadataValue.json(statuses),
            )
        )
