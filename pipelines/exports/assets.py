"""Dagster assets of the ``exports`` stage: the public release and the internal tier."""

from __future__ import annotations

import dagster as dg
import pyarrow.parquet as pq

from pipelines.exports.internal import write_internal
from pipelines.exports.public import PUBLIC_DIR, publish_public
from pipelines.inbox.assets import inbox_assets, record_assets
from pipelines.metadata import INTERNAL, PUBLIC, asset_args
from pipelines.privacy.build import (
    AUDIT_TABLE,
    CELLS_TABLE,
    FLAGGED_TABLE,
    PUBLIC_TABLE,
    SHARES_TABLE,
    SUMMARY_TABLE,
)
from pipelines.resources import OutputPaths, Warehouse, catalogue

PUBLIC_INPUTS = [
    PUBLIC_TABLE, "goal_attainment", "goal_rollup", "finding_verdicts", "finding_tests", "priority_trends",
    "dim_geography",
]  # fmt: skip
INTERNAL_INPUTS = [
    FLAGGED_TABLE, CELLS_TABLE, AUDIT_TABLE, SHARES_TABLE, SUMMARY_TABLE,
    "goal_attainment_internal", "goal_rollup_internal",
    "finding_verdicts_internal", "finding_tests_internal", "priority_trends_internal",
    *inbox_assets, *record_assets,  # the quarantine ledger
]  # fmt: skip


def _schema(path) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in pq.read_schema(path)])


@dg.asset(
    group_name="exports",
    kinds={"parquet", "json"},
    deps=PUBLIC_INPUTS,
    **asset_args("exports", PUBLIC),
)
def public_release(warehouse: Warehouse, paths: OutputPaths) -> dg.MaterializeResult:
    """The public release for BI tools and the web — safe to publish (suppressed).

    `exports/public/latest/` (stable names) and `exports/public/<release>/` (the dated copy) hold the
    star schema as Parquet — `indicator_values`, `goal_attainment`, `goal_rollup`, the evaluation's
    findings against the numbers (`finding_verdicts`, `finding_tests`, `priority_trends`), `dim_indicator`,
    `dim_indicator_target_group`, `dim_goal`, `dim_target_group`, `bridge_indicator_goal`,
    `dim_geography`, `dim_year` — plus `jsonstat/{nb,en}/<indicator>.json` (JSON-stat 2.0, as SSB's
    API), `views.sql` (DuckDB views over the files: `duckdb -c ".read views.sql"` in the folder, or
    with `SET file_search_path` from anywhere), `release.json` (the manifest: rows, bytes, SHA-256
    and data origin per file, licence and credits), `datapackage.json` (Frictionless: every column
    described, keys and types) and `LESMEG.md` (the same for a reader, in Norwegian).

    Both are real folders (no symbolic links), each replaced in one atomic step: a run killed
    half-way leaves the previous release in place; publishing the same data again changes nothing.
    Reads only public tables. Charts, profiles and the report are
    built from this release, not from the warehouse.
    """
    release = paths.release_id
    with warehouse.get_connection() as con:
        dated = publish_public(con, catalogue(), paths.base, release)
    values = dated / "indicator_values.parquet"
    return dg.MaterializeResult(
        metadata={
            "release": release,
            "latest": dg.MetadataValue.path(str(paths.base / PUBLIC_DIR / "latest")),
            "dated": dg.MetadataValue.path(str(dated)),
            "dagster/row_count": pq.read_metadata(values).num_rows,
            "dagster/column_schema": _schema(values),
            "files": len([p for p in dated.rglob("*") if p.is_file()]),
        }
    )


@dg.asset(
    group_name="exports",
    kinds={"parquet"},
    deps=INTERNAL_INPUTS,
    **asset_args("exports", INTERNAL),
)
def internal_exports(warehouse: Warehouse, paths: OutputPaths) -> dg.MaterializeResult:
    """INTERNAL tier, `exports/internal/`: unsuppressed indicator values with the public tier's
    suppression flags (primary/secondary and the reason), goal attainment and the evaluation's
    findings on unsuppressed values,
    every suppressed cell, the suppression audit, the quarantine, a snapshot per release, and the
    release QC report (`qc/<release>.md` and `.parquet`: changed values, new and lifted
    suppressions, new and removed indicators since the previous release).

    Only for the analysts who own the data. Never publish or attach these files.
    """
    release = paths.release_id
    with warehouse.get_connection() as con:
        written = write_internal(con, paths.base, release, catalogue())
    qc = pq.read_table(written["qc_parquet"]).to_pandas()
    values = written["indicator_values"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": pq.read_metadata(values).num_rows,
            "dagster/column_schema": _schema(values),
            "release": release,
            "folder": dg.MetadataValue.path(str(written["indicator_values"].parent)),
            "qc_report": dg.MetadataValue.path(str(written["qc_report"])),
            "changes_since_previous_release": dg.MetadataValue.json(qc["change"].value_counts().to_dict()),
        }
    )
