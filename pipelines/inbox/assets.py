"""Dagster assets, checks and the sensor for the directorates' file drops (``data/inbox/``)."""

from __future__ import annotations

import json

import dagster as dg

from pipelines.catalogue.contracts import Contract, RecordSource
from pipelines.inbox.guide import contract_guide, records_guide, write_guide
from pipelines.inbox.ingest import (
    FILE_SUFFIXES,
    RECORD_SUFFIXES,
    dropped_files,
    ensure_tables,
    inbox_dir,
    ingest_contract,
    ingest_records,
)
from pipelines.inbox.read import row_reference
from pipelines.metadata import INTERNAL, asset_args
from pipelines.resources import Warehouse, catalogue


def _month_convention(contract: Contract) -> str:
    convention = contract.month_convention
    return f"\n\nMonth convention ({convention.kind}): {convention.text_nb}" if convention else ""


def _inbox_asset(contract: Contract) -> dg.AssetsDefinition:
    columns = "\n".join(
        f"- `{c.name}` ({c.unit}{', required' if c.required else ''})" for c in contract.columns
    )

    @dg.asset(
        name=f"inbox_{contract.source}",
        group_name="sources",
        kinds={"duckdb", "csv", "xlsx"},
        **asset_args("sources", INTERNAL, f"inbox_{contract.source}"),
        description=(
            f"Files dropped in `data/inbox/{contract.source}/`: {contract.name_nb} "
            f"({contract.producer_nb}).\n\n"
            "Each CSV or Excel file is checked against its contract in `assets/contracts.yaml`; every row "
            "is loaded or quarantined with the file, row, column, raw value and a reason (table "
            "`quarantine`, and `exports/internal/quarantine.parquet`). Values are stored with the file's own "
            "codes and years; staging maps them to the pipeline's borders and lets them replace the source's "
            "values for exactly the municipality × year they cover; dropping the same file again changes "
            "nothing. A file that cannot be read at all fails this asset with the file and the problem, "
            "after the folder's other files are read; every file not read (lock files, dot files, dangling "
            "links, refused types such as .xls, hidden or cover sheets) is listed with its reason in the "
            "`files` metadata and logged as a warning.\n\n"
            f"Table `inbox_{contract.source}`: a view of this source's rows in the inbox ledger "
            "(`inbox_values`, shared by every inbox asset with `inbox_files` and `quarantine`, because "
            "files arrive one at a time and are remembered by fingerprint).\n\n"
            f"Columns:\n{columns}" + _month_convention(contract)
        ),
    )
    def _ingest(context, warehouse: Warehouse) -> dg.MaterializeResult:
        write_guide(inbox_dir() / contract.source, contract_guide(contract))
        with warehouse.get_connection() as con:
            report = ingest_contract(con, catalogue(), contract, inbox_dir() / contract.source)
            ledger_view(con, f"inbox_{contract.source}", contract.source)
        for line in report.warnings():
            context.log.warning(f"inbox {contract.source}: {line}")
        if report.unreadable:  # the folder's other files were read and loaded; this one fails the asset
            raise dg.Failure(
                description="; ".join(f"{f.file}: {f.reason}" for f in report.unreadable),
                metadata=_result(report).metadata,
            )
        return _result(report)

    return _ingest


def _records_asset(record: RecordSource) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"records_{record.id}",
        group_name="sources",
        kinds={"duckdb", "parquet"},
        **asset_args("sources", INTERNAL, f"records_{record.id}"),
        description=(
            f"{record.name_nb}: record-level files (Parquet or CSV) dropped in `data/inbox/{record.id}/`, "
            f"aggregated inside DuckDB into the measures of `{record.feeds_source}` per municipality and "
            "year (never loaded whole into memory). Records that cannot be aggregated are quarantined "
            "with a reason; read = aggregated + quarantined, per file. Every entry of the folder not read "
            "(lock files, dot files, sub-folders, dangling links, other file types) is listed with its "
            "reason in the `files` metadata and logged as a warning. Table `records_"
            f"{record.id}`: a view of its rows in the inbox ledger (`inbox_values`)."
        ),
    )
    def _aggregate(context, warehouse: Warehouse) -> dg.MaterializeResult:
        write_guide(inbox_dir() / record.id, records_guide(record))
        with warehouse.get_connection() as con:
            report = ingest_records(con, catalogue(), record, inbox_dir() / record.id)
            ledger_view(con, f"records_{record.id}", record.feeds_source)
        for line in report.warnings():
            context.log.warning(f"records {record.id}: {line}")
        return _result(report)

    return _aggregate


def ledger_view(con, name: str, source_id: str) -> None:
    """The asset's own table: its source's rows in the shared inbox ledger."""
    ensure_tables(con)
    con.execute(
        f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM inbox_values WHERE source_id = '{source_id}'"
    )


def _result(report) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "files": dg.MetadataValue.json(report.as_metadata()),
            "rows_read": sum(f.rows_read for f in report.files),
            "rows_loaded": sum(f.rows_loaded for f in report.files),
            "rows_quarantined": report.quarantined,
            "dagster/row_count": sum(f.rows_loaded for f in report.files),
        }
    )


inbox_assets = [_inbox_asset(c) for c in catalogue().contracts.values()]
record_assets = [_records_asset(r) for r in catalogue().records.values()]
QUARANTINE_CHECK = "nothing_quarantined"
_watched = [
    *((a, c.source) for a, c in zip(inbox_assets, catalogue().contracts.values(), strict=True)),
    *((a, r.feeds_source) for a, r in zip(record_assets, catalogue().records.values(), strict=True)),
]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=asset,
            blocking=False,
            description="Fails (visibly, without stopping the run) while any row of this source's files "
            "is in quarantine.",
        )
        for asset, _ in _watched
    ],
    can_subset=True,
)
def nothing_quarantined(context, warehouse: Warehouse):
    """One step for every inbox asset: is anything of its source in quarantine?"""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with warehouse.get_connection() as con:
        ensure_tables(con)
        for asset, source_id in _watched:
            if asset.key not in selected:
                continue
            rows = con.execute(
                'SELECT file, "row", "column", raw_value, reason, sheet FROM quarantine WHERE source_id = ? '
                'ORDER BY file, sheet, "row" LIMIT 20',
                [source_id],
            ).fetchall()
            count = con.execute(
                "SELECT count(*) FROM quarantine WHERE source_id = ?", [source_id]
            ).fetchall()[0][0]
            yield dg.AssetCheckResult(
                asset_key=asset.key,
                check_name=QUARANTINE_CHECK,
                passed=count == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "quarantined_entries": count,
                    "first_entries": dg.MetadataValue.md(
                        "\n".join(
                            f"- {f} {row_reference(r, sheet)}, `{c}` = {v!r}: {why}"
                            for f, r, c, v, why, sheet in rows
                        )
                        or "none"
                    ),
                },
            )


inbox_checks = [nothing_quarantined]


def watched_folders() -> dict[str, tuple[str, set[str]]]:
    """Asset name → (inbox folder name, file suffixes) for every asset that reads the inbox."""
    folders = {f"inbox_{c.source}": (c.source, FILE_SUFFIXES) for c in catalogue().contracts.values()}
    folders |= {f"records_{r.id}": (r.id, RECORD_SUFFIXES) for r in catalogue().records.values()}
    return folders


def folder_state() -> dict[str, dict[str, str]]:
    """Asset name → {file name: size:mtime} for the files in its inbox folder now."""
    state = {}
    for asset, (folder, suffixes) in watched_folders().items():
        files = dropped_files(inbox_dir() / folder, suffixes)
        state[asset] = {p.name: f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files}
    return state


@dg.sensor(
    name="inbox_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    asset_selection=dg.AssetSelection.all(),
)
def inbox_sensor(context: dg.SensorEvaluationContext):
    """Notices new or changed files in `data/inbox/` and materialises exactly the affected inbox
    asset and everything downstream of it."""
    previous = json.loads(context.cursor) if context.cursor else {}
    current = folder_state()
    graph = context.repository_def.asset_graph
    for asset, files in current.items():
        if files and files != previous.get(asset, {}):
            selection = dg.AssetSelection.assets(dg.AssetKey(asset)).downstream().resolve(graph)
            yield dg.RunRequest(
                run_key=f"{asset}:{json.dumps(files, sort_keys=True)}",
                asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
                tags={"trigger": "inbox_sensor", "inbox_asset": asset},
            )
    context.update_cursor(json.dumps(current, sort_keys=True))
