"""Metadata every asset shows in the Dagster UI: row count and column schema."""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines.warehouse import table_columns, table_rows


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, **extra: object) -> dict[str, object]:
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, dtype) for name, dtype in table_columns(con, table)]
    )
    return {
        "dagster/row_count": table_rows(con, table),
        "dagster/column_schema": schema,
        "table": dg.MetadataValue.text(table),
        **extra,
    }
