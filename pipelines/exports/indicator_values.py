"""Export warehouse tables to typed Parquet under ``exports/public/``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.exports.parquet import (
    DIM_GEOGRAPHY_SCHEMA,
    INDICATOR_VALUES_SCHEMA,
    cast_to_schema,
    write_parquet_atomic,
)
from pipelines.indicators.compute import INDICATOR_TABLE

PUBLIC_DIR = Path("exports") / "public"


def export_indicator_values(con: duckdb.DuckDBPyConnection, base_dir: Path) -> Path:
    """Write the indicator values as typed Parquet under ``base_dir``; returns the file path."""
    table = con.sql(f'SELECT * FROM "{INDICATOR_TABLE}"').to_arrow_table()
    path = base_dir / PUBLIC_DIR / "indicator_values.parquet"
    return write_parquet_atomic(cast_to_schema(table, INDICATOR_VALUES_SCHEMA), path)


def export_dim_geography(con: duckdb.DuckDBPyConnection, base_dir: Path) -> Path:
    """Write the geography dimension (every level of the vintage) as typed Parquet."""
    table = con.sql("SELECT * FROM dim_geography ORDER BY geo_order, geo_code").to_arrow_table()
    path = base_dir / PUBLIC_DIR / "dim_geography.parquet"
    return write_parquet_atomic(cast_to_schema(table, DIM_GEOGRAPHY_SCHEMA), path)
