"""Export warehouse tables and catalogue dimensions to typed Parquet under ``exports/public/``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.catalogue import Catalogue
from pipelines.exports import dimensions
from pipelines.exports.parquet import (
    BRIDGE_INDICATOR_GOAL_SCHEMA,
    DIM_GEOGRAPHY_SCHEMA,
    DIM_GOAL_SCHEMA,
    DIM_INDICATOR_SCHEMA,
    DIM_TARGET_GROUP_SCHEMA,
    GOAL_ATTAINMENT_SCHEMA,
    GOAL_ROLLUP_SCHEMA,
    INDICATOR_VALUES_SCHEMA,
    cast_to_schema,
    to_arrow,
    write_parquet_atomic,
)
from pipelines.indicators.compute import INDICATOR_TABLE

PUBLIC_DIR = Path("exports") / "public"


def _write(table: pa.Table, schema: pa.Schema, base_dir: Path, name: str) -> Path:
    return write_parquet_atomic(cast_to_schema(table, schema), base_dir / PUBLIC_DIR / f"{name}.parquet")


def _write_frame(frame: pd.DataFrame, schema: pa.Schema, base_dir: Path, name: str) -> Path:
    return write_parquet_atomic(to_arrow(frame, schema), base_dir / PUBLIC_DIR / f"{name}.parquet")


def export_indicator_values(con: duckdb.DuckDBPyConnection, base_dir: Path) -> Path:
    """Write the indicator values as typed Parquet under ``base_dir``; returns the file path."""
    table = con.sql(f'SELECT * FROM "{INDICATOR_TABLE}"').to_arrow_table()
    return _write(table, INDICATOR_VALUES_SCHEMA, base_dir, "indicator_values")


def export_dim_geography(con: duckdb.DuckDBPyConnection, base_dir: Path) -> Path:
    """Write the geography dimension (every level of the vintage) as typed Parquet."""
    table = con.sql("SELECT * FROM dim_geography ORDER BY geo_order, geo_code").to_arrow_table()
    return _write(table, DIM_GEOGRAPHY_SCHEMA, base_dir, "dim_geography")


def export_catalogue_dimensions(catalogue: Catalogue, base_dir: Path) -> list[Path]:
    """Write dim_indicator, dim_goal, dim_target_group and bridge_indicator_goal."""
    return [
        _write_frame(dimensions.dim_indicator(catalogue), DIM_INDICATOR_SCHEMA, base_dir, "dim_indicator"),
        _write_frame(dimensions.dim_goal(catalogue), DIM_GOAL_SCHEMA, base_dir, "dim_goal"),
        _write_frame(
            dimensions.dim_target_group(catalogue), DIM_TARGET_GROUP_SCHEMA, base_dir, "dim_target_group"
        ),
        _write_frame(
            dimensions.bridge_indicator_goal(catalogue),
            BRIDGE_INDICATOR_GOAL_SCHEMA,
            base_dir,
            "bridge_indicator_goal",
        ),
    ]


def export_goal_attainment(con: duckdb.DuckDBPyConnection, base_dir: Path) -> list[Path]:
    """Write goal_attainment and goal_rollup from the warehouse."""
    return [
        _write(con.sql(f"SELECT * FROM {name}").to_arrow_table(), schema, base_dir, name)
        for name, schema in (("goal_attainment", GOAL_ATTAINMENT_SCHEMA), ("goal_rollup", GOAL_ROLLUP_SCHEMA))
    ]
