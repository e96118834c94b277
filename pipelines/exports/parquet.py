"""Write Parquet files from explicit schemas, atomically.

Power BI and older Parquet readers choke on unsigned integers, nanosecond timestamps and
dictionary-only columns, so every export is cast to an explicit pyarrow schema built only from
the types in :data:`BI_SAFE_TYPES`, written with snappy compression and format version 2.4, to
a temporary file that is then renamed into place (a reader never sees half a file).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

BI_SAFE_TYPES = frozenset({pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.int8()})

INDICATOR_VALUES_SCHEMA = pa.schema(
    [
        pa.field("indicator_id", pa.string(), nullable=False),
        pa.field("geo_level", pa.string(), nullable=False),
        pa.field("geo_code", pa.string(), nullable=False),
        pa.field("geo_name", pa.string(), nullable=False),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("target_group", pa.string(), nullable=False),
        pa.field("numerator", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("municipalities_reported", pa.int32(), nullable=False),
        pa.field("municipalities_total", pa.int32(), nullable=False),
        pa.field("is_estimate", pa.bool_(), nullable=False),
        pa.field("data_origin", pa.string()),
    ],
    metadata={
        "description": "Indicator values per indicator × geography × year × target group",
        "status_values": "shown | missing (..) | not_applicable (.) | suppressed (:)",
        "data_origin_values": "ssb | file | synthetic (synthetic = demo data, not official figures)",
    },
)

DIM_GEOGRAPHY_SCHEMA = pa.schema(
    [
        pa.field("geo_level", pa.string(), nullable=False),
        pa.field("geo_code", pa.string(), nullable=False),
        pa.field("geo_name", pa.string(), nullable=False),
        pa.field("geo_order", pa.int32(), nullable=False),
        pa.field("county_code", pa.string()),
        pa.field("county_name", pa.string()),
        pa.field("kostra_group", pa.string()),
        pa.field("centrality_class", pa.string()),
        pa.field("size_band", pa.string()),
        pa.field("valid_from_year", pa.int32()),
        pa.field("valid_to_year", pa.int32()),
        pa.field("vintage", pa.int32(), nullable=False),
    ],
    metadata={
        "description": "Geographies of every level in one vintage of borders; join on (geo_level, geo_code)",
        "levels": "land, fylke, kostragruppe, sentralitet, storrelsesgruppe, kommune",
        "valid_years": "first/last year the code is valid on 1 January since 2014; null = open",
        "source": "Kilde: Statistisk sentralbyrå (SSB), KLASS 131/104/112/128 and table 07459, CC BY 4.0",
    },
)


def cast_to_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast ``table``'s columns to ``schema`` exactly (same names, order and types)."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"cannot export: columns missing {missing}")
    for field in schema:
        if field.type not in BI_SAFE_TYPES:
            raise TypeError(f"schema field {field.name} has type {field.type}, not allowed in BI exports")
        if not field.nullable and table.column(field.name).null_count:
            raise ValueError(f"cannot export: column {field.name} has nulls but is declared not null")
    return table.select(schema.names).cast(schema)


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """A DataFrame as an Arrow table with exactly ``schema``."""
    return cast_to_schema(pa.Table.from_pandas(frame, preserve_index=False), schema)


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write ``table`` to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, temporary, compression="snappy", version="2.4", data_page_version="1.0")
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path
