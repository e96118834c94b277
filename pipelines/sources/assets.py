"""Dagster assets of the ``sources`` stage: reference geography and one asset per declared source."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.catalogue.models import Source
from pipelines.metadata import table_metadata
from pipelines.partitions import partition_years, yearly_partitions
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, OutputPaths, SourceSettings, catalogue
from pipelines.sources.load import load_reference_geography, load_source


@dg.asset(backfill_policy=SINGLE_RUN, group_name="sources", kinds={"duckdb"}, pool=DUCKDB_POOL)
def reference_geography(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Municipalities and counties in the geography vintage set in `assets/settings.yaml`
    (2024 borders: 357 municipalities, 15 counties), from Statistics Norway's KLASS
    classifications 131 and 104 as bundled in `data/reference/`.

    Table: `dim_municipality` (kommunenr, kommune_name, county_code, county_name).
    Kilde: Statistisk sentralbyrå (SSB), CC BY 4.0.
    """
    with duckdb.get_connection() as con:
        frame = load_reference_geography(con, catalogue())
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                "dim_municipality",
                municipalities=len(frame),
                counties=int(frame["county_code"].nunique()),
            )
        )


def _source_asset(source: Source) -> dg.AssetsDefinition:
    measures = catalogue().measures_of(source.id)
    measure_list = "\n".join(f"- `{m.id}`: {m.name_nb}" for m in measures)
    table = catalogue().statbank_for(source.id)
    statbank_note = (
        f" In `live`/`cache` mode it comes from StatBank table {table.table_id}"
        f"{'' if table.confirmed else ' (table id unconfirmed)'} instead (`assets/statbank.yaml`)."
        if table
        else ""
    )
    origin = (
        "given per row in the file's `data_origin` column"
        if source.data_origin == "column"
        else f"`{source.data_origin}`"
    )
    description = (
        f"{source.name_nb}.\n\n{source.name_en}. Producer: {source.producer_nb}. "
        f"Published at {source.url}.\n\nReads `{source.path}` into table `raw_{source.id}`. "
        f"Partitioned by reporting year: materialising a year replaces exactly that year's rows, in one "
        f"transaction. Every row is loaded, or the asset fails with the file, row and column of the problem "
        f"(rows before the source's first year, if set, are counted in the metadata, not loaded). "
        f"Data origin: {origin}.{statbank_note}\n\nMeasures it feeds:\n{measure_list}\n\n"
        "Declared in `assets/sources.yaml` and `assets/measures.yaml`."
    )

    @dg.asset(
        name=source.id,
        group_name="sources",
        kinds={"duckdb", "csv"},
        pool=DUCKDB_POOL,
        deps=[reference_geography],
        description=description,
        partitions_def=YEARLY,
        backfill_policy=SINGLE_RUN,
    )
    def _load(
        context, duckdb: DuckDBResource, sources: SourceSettings, paths: OutputPaths
    ) -> dg.MaterializeResult:
        cat = sources.catalogue()
        years = partition_years(context)
        with duckdb.get_connection() as con:
            loaded = load_source(
                con, cat, source.id, statbank=sources.statbank_client(paths.base), years=years
            )
            origins = loaded.frame["data_origin"].value_counts().to_dict()
            return dg.MaterializeResult(
                metadata=table_metadata(
                    con,
                    f"raw_{source.id}",
                    source=cat.sources[source.id].path,
                    mode=sources.mode,
                    vintage=dg.MetadataValue.json(sorted(set(loaded.frame["vintage"].astype(str)))),
                    stale=bool(loaded.frame["stale"].any()),
                    rows_read=loaded.rows_read,
                    rows_loaded=loaded.rows_loaded,
                    rows_outside_scope=loaded.rows_outside_scope,
                    years=dg.MetadataValue.json(years or cat.settings.years),
                    data_origin=dg.MetadataValue.json({k: int(v) for k, v in origins.items()}),
                )
            )

    return _load


YEARLY = yearly_partitions(catalogue().settings)
source_assets = [_source_asset(source) for source in catalogue().sources.values()]
