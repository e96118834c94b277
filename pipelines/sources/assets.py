"""Dagster assets of the ``sources`` stage: reference geography and one asset per declared source."""

from __future__ import annotations

import dagster as dg

from pipelines.atomic import write_text_atomic
from pipelines.catalogue.models import Source
from pipelines.metadata import INTERNAL, PUBLIC, asset_args, spec, table_metadata
from pipelines.paths import INTERNAL_DIR
from pipelines.resources import OutputPaths, ReportingRun, SourceSettings, Warehouse, catalogue
from pipelines.sources.load import comparison_table, load_reference_geography, load_source
from pipelines.sources.ssb_totals import QC_TABLE, national_totals, totals_markdown
from pipelines.sources.statbank_fetch import PreflightError
from pipelines.warehouse import replace_table

GEOGRAPHY_TABLES = {
    "dim_municipality": "Municipalities (kommunenr, kommune_name, county_code, county_name) in the "
    "geography vintage of `assets/settings.yaml` (2024 borders: 357 municipalities, 15 counties).",
    "dim_comparison_group": "Which KOSTRA group, centrality class, size band and statsforvalter region "
    "each municipality belongs to (comparison groups and regions for the indicator sums, profiles and "
    "the privacy audit; 2024 borders only, empty for other vintages).",
    "dim_geography": "Every published geography (kommune, fylke, statsforvalter regions, land, KOSTRA "
    "groups, centrality, size bands) with its members: the hierarchy every sum and the privacy audit "
    "follow. A statsforvalter region (SF01–SF10, the project's own codes) is one or more whole "
    "counties, as `data/reference/statsforvalter_2024.csv` maps them.",
}


@dg.multi_asset(
    specs=[
        spec(table, "sources", PUBLIC, f"{text}\n\nKilde: Statistisk sentralbyrå (SSB), KLASS 131 og 104, "
             "CC BY 4.0, as bundled in `data/reference/`; the statsforvalter regions after "
             "statsforvalteren.no (see `data/reference/SOURCES.md`).")
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


def _available_note(source: Source) -> str:
    if source.available_from is None:
        return ""
    return (
        f" Not available before {source.available_from}: staging shows every earlier year as missing "
        f"(`..`) with the note «{source.earlier_years_note_nb}»."
    )


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
        "fails with the file, row and column of the problem (rows before the source's first year or the "
        "year it is available from, if set, are counted in the metadata, not loaded)."
        f"{_available_note(source)} Data origin: {origin}.{statbank_note}\n\n"
        f"Measures it feeds:\n{measure_list}\n\nDeclared in `assets/sources.yaml` and `assets/measures.yaml`."
    )

    has_comparison = any(t.kostra for t in tables)
    comparison = comparison_table(source.id)
    specs = [
        spec(name, "sources", INTERNAL, description, deps=["dim_municipality", "dim_geography"],
             kinds={"duckdb", "csv"}),
    ]  # fmt: skip
    if has_comparison:
        specs.append(
            spec(
                comparison,
                "sources",
                INTERNAL,
                f"SSB's own nation, county and KOSTRA-group figures in the tables behind `{name}` "
                "(KOSTRA's `EAK`, `EAKUO`, `EKA..`, `EKG..`), as published: estimates that include "
                "municipalities that did not report, so never summed and never compared as if they were "
                "a sum. Empty in demo mode. Compared with our sum in `qc_ssb_national_totals`.",
                deps=["dim_municipality"],
            )
        )

    @dg.multi_asset(name=name, specs=specs)
    def _load(
        context,
        warehouse: Warehouse,
        sources: SourceSettings,
        paths: OutputPaths,
        reporting: ReportingRun,
    ):
        cat = sources.catalogue()
        years = reporting.selected_years()
        with warehouse.get_connection() as con:
            try:
                loaded = load_source(
                    con,
                    cat,
                    source.id,
                    statbank=sources.statbank_client(paths.base),
                    years=years,
                    live_tables=sources.live_tables,
                    log=context.log.info,
                )
            except PreflightError as failed:
                # the step fails, but the asset's page shows why, next to its earlier materialisations
                # (an event logged from a failing step would be lost with it)
                context.instance.report_runless_asset_event(
                    dg.AssetObservation(
                        asset_key=name,
                        metadata={
                            "preflight_failed": failed.table.id,
                            "table": str(failed.table.table_id),
                            "problems": dg.MetadataValue.json(failed.problems),
                        },
                    )
                )
                raise
            origins = loaded.frame["data_origin"].value_counts().to_dict()
            yield dg.MaterializeResult(
                asset_key=name,
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
                    **statbank_metadata(loaded.tables),
                ),
            )
            if has_comparison:
                yield dg.MaterializeResult(
                    asset_key=comparison, metadata=table_metadata(con, comparison, mode=sources.mode)
                )

    return _load


def statbank_metadata(answers) -> dict[str, object]:
    """Per StatBank definition: how it was answered (live, cache, not fetched and why), the
    ContentsCodes used (and which were found by label), and the vintage."""
    if not answers:
        return {}
    tables = {
        answer.definition.id: {
            "table": answer.definition.table_id,
            "confidence": answer.definition.confidence,
            "how": answer.how,
            "updated": answer.updated,
            "stale": answer.stale,
            "codes": answer.codes,
            "found_by_label": answer.found_by_label,
            "note": answer.note,
        }
        for answer in answers
    }
    return {"statbank_tables": dg.MetadataValue.json(tables)}


source_assets = [_source_asset(source) for source in catalogue().sources.values()]


KOSTRA_SOURCES = sorted({t.feeds_source for t in catalogue().statbank.values() if t.kostra})


@dg.asset(
    name=QC_TABLE,
    group_name="sources",
    kinds={"duckdb", "markdown"},
    deps=[key for source_id in KOSTRA_SOURCES for key in (raw_table(source_id), comparison_table(source_id))],
    **asset_args("sources", INTERNAL, QC_TABLE),
)
def qc_ssb_national_totals(warehouse: Warehouse, sources: SourceSettings, paths: OutputPaths):
    """Our sum over the municipalities that reported, against SSB's own national figure (KOSTRA's
    `EAK`), per measure and year, with the difference and how many municipalities reported.

    SSB's national KOSTRA figures are estimates that include municipalities that did not report
    (imputed), so the two differ by design; the difference shows what the imputation adds. Our
    national values are always our own sums — SSB's estimate is shown beside them here, never mixed
    in. Written to `exports/internal/qc_ssb_national_totals.md` (internal: unsuppressed counts).
    Empty in demo mode (the demo files have no national figures)."""
    with warehouse.get_connection() as con:
        frame = national_totals(con, sources.catalogue(), KOSTRA_SOURCES)
        replace_table(con, QC_TABLE, frame)
        report = paths.base / INTERNAL_DIR / f"{QC_TABLE}.md"
        write_text_atomic(report, totals_markdown(frame))
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                QC_TABLE,
                report=dg.MetadataValue.path(str(report)),
                largest_difference_pct=float(frame["difference_pct"].abs().max()) if len(frame) else 0.0,
            )
        )
