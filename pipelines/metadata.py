"""What every asset shows in the Dagster UI: owners, tier, table name, row count and columns."""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines.warehouse import WAREHOUSE_FILE, table_columns, table_rows

# Who answers for each stage (Dagster shows them on every asset and filters by them).
OWNERS = {
    "sources": ["team:datamottak"],
    "staging": ["team:datamottak"],
    "indicators": ["team:indikatorer"],
    "privacy": ["team:personvern"],
    "progress": ["team:indikatorer"],
    "evaluation": ["team:indikatorer"],
    "exports": ["team:publisering"],
    "publication": ["team:publisering"],
}
TIER_TAG = "tier"
PUBLIC, INTERNAL = "public", "internal"
# Assets that only the yearly runs materialise (the schedules' job and `make run-year` select every
# asset): slow print files that change once a year. `make run` and the test suite's whole runs
# leave them out with QUICK_RUN_SELECTION.
RUN_TAG = "bolig/run"
YEARLY_ONLY = {RUN_TAG: "yearly"}
QUICK_RUN_SELECTION = f"not tag:{RUN_TAG}={YEARLY_ONLY[RUN_TAG]}"
CATALOG = WAREHOUSE_FILE.removesuffix(".duckdb")  # DuckDB names the attached database after the file


def table_name(table: str) -> str:
    """The fully qualified name DuckDB gives the table (`warehouse.main.<table>`)."""
    return f"{CATALOG}.main.{table}"


def asset_args(
    stage: str, tier: str, table: str | None = None, *, yearly_only: bool = False
) -> dict[str, object]:
    """Owners, the tier tag (and the yearly-only tag) and, for a warehouse table, its
    `dagster/table_name`."""
    tags = {TIER_TAG: tier, **(YEARLY_ONLY if yearly_only else {})}
    args: dict[str, object] = {"owners": OWNERS[stage], "tags": tags}
    if table is not None:
        args["metadata"] = {"dagster/table_name": table_name(table)}
    return args


def spec(key: str, stage: str, tier: str, description: str, deps=(), **kw) -> dg.AssetSpec:
    """The spec of one warehouse table written by a multi-asset step (the key is the table's name)."""
    extra = asset_args(stage, tier, key)
    return dg.AssetSpec(
        key,
        description=description,
        deps=list(deps),
        group_name=stage,
        kinds=kw.pop("kinds", {"duckdb"}),
        owners=extra["owners"],
        tags=extra["tags"],
        metadata=extra["metadata"],
        **kw,
    )


def check_result(
    failures,
    what: str,
    severity=dg.AssetCheckSeverity.ERROR,
    check_name: str | None = None,
    asset_key: dg.AssetKey | None = None,
) -> dg.AssetCheckResult:
    """An asset check's result from the rows that fail it: passed when there are none, with their
    count and the first ten as a table in the UI."""
    sample = failures.head(10).to_markdown(index=False) if len(failures) else "none"
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=failures.empty,
        severity=severity,
        metadata={"failures": len(failures), "what": what, "first_failures": dg.MetadataValue.md(sample)},
    )


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, **extra: object) -> dict[str, object]:
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, dtype) for name, dtype in table_columns(con, table)]
    )
    return {
        "dagster/row_count": table_rows(con, table),
        "dagster/column_schema": schema,
        "dagster/table_name": table_name(table),
        **extra,
    }
