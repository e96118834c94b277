"""Dagster assets of the ``sources`` stage: reference geography and one asset per declared source."""

from __future__ import annotations

import dagster as dg

from pipelines.catalogue.models import Source
from pipelines.metadata import INTERNAL, PUBLIC, asset_args, spec, table_metadata
from pipelines.resources import OutputPaths, ReportingRun, SourceSettings, Warehouse, catalogue
from pipelines.sources.load import load_reference_geography, load_source

GEOGRAPHY_TABLES = {
    "dim_municipality": "Municipalities (kommunenr, kommune_name, county_code, county_name) in the "
    "geography vintage of `assets/settings.yaml` (2024 borders: 357 municipalities, 15 counties).",
    "dim_comparison_group": "Which KOSTRA group, centrality class and size band each municipality "
    "belongs to (comparison groups for profiles and the privacy audit).",
    "dim_geography": "Every published geography (kommune, fylke, land, KOSTRA groups, centrality, size "
    "bands) with its members: the hierarchy every sum and the privacy audit follow.",
}


@dg.multi_asset(
    specs=[
        spec(table, "sources", PUBLIC, f"{text}\n\nKilde: Statistisk sentralbyrå (SSB), KLASS 131 og 104, "
             "CC BY 4.0, as bundled in `data/reference/`.")
        for table, text in GEOGRAPHY_TABLES.items()
    ],
)
def reference_geography(warehouse: Warehouse):
    """Reference geography from Statistics Norway's classifications, bundled in `data/reference/`."""
    with warehouse.get_connection() as con:
        frame = load_reference_geography(con, catalogue())
        for table in GEOGRAPHY_TABLES:
            extra = (
                {"municipalities": len(frame), "counties": int(frame["county_code"].nunique())}
                if table == "dim_municipality"
                else {}
            )
            yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(con, table, **extra))


def raw_table(source_id: str) -> str:
    return f"raw_{source_id}"


def _source_asset(source: Source) -> dg.AssetsDefinition:
    measures = catalogue().measures_of(source.id)
    measure_list = "\n".join(f"- `{m.id}`: {m.name_nb}" for m in measures)
    tables = catalogue().statbank_for(source.id)
    statbank_note = (
        " In `live`/`cache` mode it comes from StatBank instead (`assets/statbank.yaml`): "
        + "; ".join(
            f"{t.id} (table {t.table_id or 'unknown'}, {t.confidence}{'' if t.enabled else ', disabled'})"
            for t in tables
        )
        + "."
        if tables
        else ""
    )
    origin = (
        "given per row in the file's `data_origin` column"
        if source.data_origin == "column"
        else f"`{source.data_origin}`"
    )
    name = raw_table(source.id)
    description = (
        f"{source.name_nb}.\n\n{source.name_en}. Producer: {source.producer_nb}. "
        f"Published at {source.url}.\n\nReads `{source.path}` into table `{name}`. "
        "A run recomputes the reporting years it is configured for (`reporting.years`; all years by "
        "default) and replaces exactly their rows, in one transaction. Every row is loaded, or the asset "
        "fails with the file, row and column of the problem (rows before the source's first year, if set, "
        f"are counted in the metadata, not loaded). Data origin: {origin}.{statbank_note}\n\n"
        f"Measures it feeds:\n{measure_list}\n\nDeclared in `assets/sources.yaml` and `assets/measures.yaml`."
    )

    @dg.asset(
        name=name,
        group_name="sources",
        kinds={"duckdb", "csv"},
        deps=["dim_municipality", "dim_geography"],
        description=description,
        **asset_args("sources", INTERNAL, name),
    )
    def _load(
        warehouse: Warehouse, sources: SourceSettings, paths: OutputPaths, reporting: ReportingRun
    ) -> dg.MaterializeResult:
        cat = sources.catalogue()
        years = reporting.selected_years()
        with warehouse.get_connection() as con:
            loaded = load_source(
                con, cat, source.id, statbank=sources.statbank_client(paths.base), years=years
            )
            origins = loaded.frame["data_origin"].value_counts().to_dict()
            return dg.MaterializeResult(
                metadata=table_metadata(
                    con,
                    name,
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


source_assets = [_source_asset(source) for source in catalogue().sources.values()]
