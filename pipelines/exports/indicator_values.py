"""Export the indicator table to ``exports/public/indicator_values.parquet``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.exports.parquet import INDICATOR_VALUES_SCHEMA, cast_to_schema, write_parquet_atomic
from pipelines.indicators.compute import INDICATOR_TABLE

PUBLIC_DIR = Path("exports") / "public"


def export_indicator_values(con: duckdb.DuckDBPyConnection, base_dir: Path) -> Path:
    """Write the indicator values as typed Parquet under ``base_dir``; returns the file path."""
    table = con.sql(f'SELECT * FROM "{INDICATOR_TABLE}"').to_arrow_table()
    path = base_dir / PUBLIC_DIR / "indicator_values.parquet"
    return write_parquet_atomic(cast_to_schema(table, INDICATOR_VALUES_SCHEMA), path)
