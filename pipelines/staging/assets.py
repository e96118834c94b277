"""Dagster asset of the ``staging`` stage."""

from __future__ import annotations

import dagster as dg

from pipelines.inbox.assets import inbox_assets, record_assets
from pipelines.metadata import INTERNAL, asset_args, table_metadata
from pipelines.resources import ReportingRun, SourceSettings, Warehouse
from pipelines.sources.assets import source_assets
from pipelines.staging.measures import STAGED_TABLE, build_measure_values


@dg.asset(
    name=STAGED_TABLE,
    group_name="staging",
    kinds={"duckdb"},
    deps=[*source_assets, *inbox_assets, *record_assets, "dim_municipality"],
    **asset_args("staging", INTERNAL, STAGED_TABLE),
)
def measure_values(
    context, warehouse: Warehouse, sources: SourceSettings, reporting: ReportingRun
) -> dg.MaterializeResult:
    """Every measure of `assets/measures.yaml` as one long table, `stg_measure_values`:
    one row per municipality × year × measure, with the value, its data origin and source.

    Population is turned into KOSTRA's "innbyggere per 31.12": the value for year Y is the
    population on 1 January Y+1 (declared as `year_offset: 1`). Only the reporting years in
    `assets/settings.yaml` are kept. A run configured for some years (`reporting.years`) replaces
    those years' rows only, in one transaction; with `reporting.figures: preliminary` (the March
    schedule) they are marked as SSB's preliminary figures. Values loaded from files dropped in
    `data/inbox/` replace the base values for exactly the municipality × year × measure they cover
    (their `source` says so).
    """
    years = reporting.selected_years()
    with warehouse.get_connection() as con:
        build_measure_values(con, sources.catalogue(), years, preliminary=reporting.preliminary)
        per_measure = dict(
            con.execute(f"SELECT measure_id, count(*) FROM {STAGED_TABLE} GROUP BY 1 ORDER BY 1").fetchall()
        )
        context.log.info(f"staged years: {years or 'all'}, figures: {reporting.figures}")
        return dg.MaterializeResult(
            metadata=table_metadata(con, STAGED_TABLE, rows_per_measure=dg.MetadataValue.json(per_measure))
        )
