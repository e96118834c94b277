"""Dagster asset of the ``staging`` stage."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.inbox.assets import inbox_assets, record_assets
from pipelines.metadata import table_metadata
from pipelines.partitions import FIGURES_TAG, partition_years
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, SourceSettings
from pipelines.sources.assets import YEARLY, source_assets
from pipelines.staging.measures import STAGED_TABLE, build_measure_values


@dg.asset(
    group_name="staging",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[*source_assets, *inbox_assets, *record_assets],
    partitions_def=YEARLY,
    backfill_policy=SINGLE_RUN,
)
def measure_values(context, duckdb: DuckDBResource, sources: SourceSettings) -> dg.MaterializeResult:
    """Every measure of `assets/measures.yaml` as one long table, `stg_measure_values`:
    one row per municipality × year × measure, with the value, its data origin and source.

    Population is turned into KOSTRA's "innbyggere per 31.12": the value for year Y is the
    population on 1 January Y+1 (declared as `year_offset: 1`). Only the reporting years in
    `assets/settings.yaml` are kept. Partitioned by reporting year: a run for one year replaces that
    year's rows only, in one transaction. Values loaded from files dropped in `data/inbox/` replace the
    base values for exactly the municipality × year × measure they cover (their `source` says so).
    """
    with duckdb.get_connection() as con:
        years = partition_years(context)
        preliminary = context.run.tags.get(FIGURES_TAG) == "preliminary"
        build_measure_values(con, sources.catalogue(), years, preliminary=preliminary)
        per_measure = dict(
            con.execute(f"SELECT measure_id, count(*) FROM {STAGED_TABLE} GROUP BY 1 ORDER BY 1").fetchall()
        )
        return dg.MaterializeResult(
            metadata=table_metadata(con, STAGED_TABLE, rows_per_measure=dg.MetadataValue.json(per_measure))
        )
