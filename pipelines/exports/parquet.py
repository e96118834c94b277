"""Write Parquet files from explicit schemas, atomically.

Power BI and older Parquet readers choke on unsigned integers, nanosecond timestamps and
dictionary-only columns, so every export is cast to an explicit pyarrow schema built only from
the types in :data:`BI_SAFE_TYPES`, written with snappy compression and Parquet format version 1.0, to
a temporary file that is then renamed into place (a reader never sees half a file). Format
version 1.0 is the one every Parquet reader accepts; none of our types needs more.

Dates: the one date column (``dim_year.date``, 1 January of the year, for Power BI's date tables)
is a Parquet DATE — ``pa.date32()``, stored as an int32 day count with the DATE annotation that
format 1.0 already has. Unlike timestamps it has no unit, time zone or INT96 variants to get wrong.
Measured on a file written as here: pyarrow reads ``date32[day]``, DuckDB ``DATE``, polars
``Date``, pandas ``datetime.date`` values (object dtype, pyarrow's default), and Power BI reads
the DATE annotation as a Date. So ``date32`` is allowed; timestamps still are not.

Keys: beside the readable compound keys, single-column keys for tools that relate tables on one
column (see :mod:`pipelines.exports.keys`): ``geo_key`` = ``<geo_level>:<geo_code>``,
``goal_key`` = ``<strategy>:<goal>``, and ``is_headline`` in the fact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.atomic import atomic_path

BI_SAFE_TYPES = frozenset(
    {pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.int8(), pa.date32()}
)

INDICATOR_VALUES_SCHEMA = pa.schema(
    [
        pa.field("indicator_id", pa.string(), nullable=False),
        pa.field("geo_level", pa.string(), nullable=False),
        pa.field("geo_code", pa.string(), nullable=False),
        pa.field("geo_key", pa.string(), nullable=False),
        pa.field("geo_name", pa.string(), nullable=False),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("target_group", pa.string(), nullable=False),
        pa.field("is_headline", pa.bool_(), nullable=False),
        pa.field("numerator", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("unit_level", pa.string(), nullable=False),
        pa.field("units_reported", pa.int64(), nullable=False),
        pa.field("units_total", pa.int64(), nullable=False),
        pa.field("is_estimate", pa.bool_(), nullable=False),
        pa.field("data_origin", pa.string()),
        pa.field("source", pa.string()),
        pa.field("vintage", pa.string()),
        pa.field("stale", pa.bool_(), nullable=False),
        pa.field("preliminary", pa.bool_(), nullable=False),
    ],
    metadata={
        "description": "Indicator values per indicator × geography × year × target group",
        "provenance": "source = file path or statbank:<table>; vintage = file sha256 or StatBank 'updated'; "
        "stale = built on a cached StatBank response after a failed live call; "
        "preliminary = built on SSB's preliminary (March) figures",
        "status_values": "shown | missing (..) | not_applicable (.) | suppressed (:)",
        "numerator_denominator": "counts as float64: values apportioned from municipal splits are fractional",
        "data_origin_values": "ssb | file | synthetic (synthetic = demo data, not official figures)",
        "keys": "geo_key = geo_level:geo_code (as dim_geography.geo_key); is_headline = the row's "
        "target_group is the indicator's headline group (dim_indicator.headline_target_group): "
        "filtering on it gives one series per indicator",
    },
)

DIM_GEOGRAPHY_SCHEMA = pa.schema(
    [
        pa.field("geo_level", pa.string(), nullable=False),
        pa.field("geo_code", pa.string(), nullable=False),
        pa.field("geo_key", pa.string(), nullable=False),
        pa.field("geo_name", pa.string(), nullable=False),
        pa.field("geo_order", pa.int32(), nullable=False),
        pa.field("county_code", pa.string()),
        pa.field("county_name", pa.string()),
        pa.field("statsforvalter_code", pa.string()),
        pa.field("statsforvalter_name", pa.string()),
        pa.field("member_counties", pa.string()),
        pa.field("kostra_group", pa.string()),
        pa.field("centrality_class", pa.string()),
        pa.field("size_band", pa.string()),
        pa.field("valid_from_year", pa.int32()),
        pa.field("valid_to_year", pa.int32()),
        pa.field("vintage", pa.int32(), nullable=False),
    ],
    metadata={
        "description": "Geographies of every level in one vintage of borders; join on geo_key "
        "(= geo_level:geo_code, unique) or (geo_level, geo_code)",
        "levels": "land, statsforvalter, fylke, kostragruppe, sentralitet, storrelsesgruppe, kommune",
        "valid_years": "first/last year the code is valid on 1 January since 2014; null = open",
        "source": "Kilde: Statistisk sentralbyrå (SSB), KLASS 131/104/112/128 and table 07459, CC BY 4.0; "
        "statsforvalter regions (SF01–SF10, the project's own codes): the offices and the counties "
        "they serve as statsforvalteren.no describes them",
    },
)


_TYPES = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date32": pa.date32(),
}


def bi_schema(description: str, *columns: str) -> pa.Schema:
    """A schema from compact "name:type" or "name:type?" (nullable) declarations."""
    fields = []
    for column in columns:
        name, declared = column.split(":")
        nullable = declared.endswith("?")
        fields.append(pa.field(name, _TYPES[declared.rstrip("?")], nullable=nullable))
    return pa.schema(fields, metadata={"description": description})


DIM_INDICATOR_SCHEMA = bi_schema(
    "One row per indicator: names, definitions, parts, unit, direction, kind and source",
    "indicator_id:string", "name_nb:string", "name_en:string", "definition_nb:string", "definition_en:string",
    "numerator_measure:string", "denominator_measure:string?", "factor:float64", "unit:string",
    "unit_nb:string", "unit_en:string", "decimals:int32", "direction:string", "direction_nb:string",
    "kind:string", "kind_nb:string", "target_groups:string", "headline_target_group:string",
    "unit_level:string", "source_nb:string", "source_url:string", "data_origin:string?",
)  # fmt: skip
DIM_GOAL_SCHEMA = bi_schema(
    "Strategies, their main goals, priority areas and result targets; goal_key = strategy_id:goal_id",
    "goal_key:string", "strategy_id:string", "strategy_name_nb:string", "strategy_name_en:string",
    "strategy_first_year:int32", "strategy_last_year:int32", "baseline_year:int32", "goal_id:string",
    "goal_kind:string", "parent_goal_id:string?", "name_nb:string", "name_en:string",
)  # fmt: skip
DIM_TARGET_GROUP_SCHEMA = bi_schema(
    "The strategies' target groups",
    "target_group:string", "name_nb:string", "name_en:string", "definition_nb:string",
)  # fmt: skip
BRIDGE_INDICATOR_GOAL_SCHEMA = bi_schema(
    "Which goals each indicator serves (many-to-many): link = direct (declared in serves) or via_subgoal "
    "(a main goal over a declared priority area or result target)",
    "indicator_id:string", "goal_key:string", "strategy_id:string", "goal_id:string", "link:string",
)  # fmt: skip
DIM_INDICATOR_TARGET_GROUP_SCHEMA = bi_schema(
    "Which measures make up each indicator × target group (numerator and denominator)",
    "indicator_id:string", "target_group:string", "numerator_measure:string", "denominator_measure:string?",
)  # fmt: skip
DIM_YEAR_SCHEMA = bi_schema(
    "Reporting years and the strategy periods they belong to; date = 1 January of the year (Parquet DATE)",
    "year:int32", "date:date32", "bolig_for_velferd:bool", "alle_trenger_et_trygt_hjem:bool",
)  # fmt: skip
SUPPRESSED_CELLS_SCHEMA = bi_schema(
    "INTERNAL: every measure cell hidden in the public tier and why",
    "measure_id:string", "geo_level:string", "geo_code:string", "year:int32", "reason:string",
)  # fmt: skip
SUPPRESSION_AUDIT_SCHEMA = bi_schema(
    "INTERNAL: per protected quantity, the interval an attacker can prove from the public release",
    "year:int32", "measure_id:string", "relation:string?", "geo_level:string", "geo_code:string",
    "reason:string", "value:float64", "low:float64", "high:float64", "width:float64", "exact:bool",
    "protected:bool", "rounds:int32",
)  # fmt: skip
SUPPRESSION_SHARE_SCHEMA = bi_schema(
    "INTERNAL: share of rows with data hidden per indicator and level, by primary rules and in all",
    "indicator_id:string", "geo_level:string", "rows_with_data:int64", "hidden_primary:int64",
    "hidden:int64", "share_primary:float64", "share_hidden:float64",
)  # fmt: skip
QUARANTINE_SCHEMA = bi_schema(
    "INTERNAL: every row of a dropped file that was not loaded, and why",
    "source_id:string", "file:string", "sheet:string?", "row:int64", "column:string?", "raw_value:string?",
    "reason:string", "processed_at:string",
)  # fmt: skip
QC_SCHEMA = bi_schema(
    "INTERNAL: what changed since the previous release",
    "change:string", "indicator_id:string", "target_group:string?", "geo_level:string?", "geo_code:string?",
    "year:int32?", "old_value:float64?", "new_value:float64?", "old_status:string?", "new_status:string?",
)  # fmt: skip
GOAL_ATTAINMENT_SCHEMA = bi_schema(
    "Progress status per strategy × indicator × target group × geography (compound annual growth method)",
    "strategy_id:string", "indicator_id:string", "target_group:string", "geo_level:string", "geo_code:string",
    "geo_key:string", "geo_name:string", "direction:string", "baseline_year:int32?",
    "baseline_value:float64?", "current_year:int32?", "current_value:float64?", "target_kind:string?",
    "target_value:float64?",
    "target_year:int32?", "observed_cagr:float64?", "required_cagr:float64?", "ratio:float64?",
    "status:string", "status_nb:string", "note:string?", "data_origin:string?",
)  # fmt: skip
GOAL_ROLLUP_SCHEMA = bi_schema(
    "Progress statuses counted per goal and per target group, for the nation, every statsforvalter "
    "region and every county; "
    "goal_key (as dim_goal) on goal rows, target_group (as dim_target_group) on target group rows",
    "strategy_id:string", "rollup_by:string", "rollup_id:string", "rollup_name_nb:string", "goal_key:string?",
    "target_group:string?", "geo_level:string", "geo_code:string", "geo_key:string", "geo_name:string",
    "n_series:int32", "n_assessed:int32", "n_target_achieved:int32",
    "n_substantial_progress:int32", "n_moderate_progress:int32", "n_limited_progress:int32",
    "n_deterioration:int32", "n_insufficient_data:int32", "n_not_assessed:int32", "mean_score:float64?",
    "status:string", "status_nb:string", "data_origin:string?",
)  # fmt: skip

FINDING_VERDICTS_SCHEMA = bi_schema(
    "One row per finding of the 2020 evaluation of Bolig for velferd: statement, citation and the verdict of "
    "the indicators (supported, partly_supported, not_supported, insufficient_data, untestable)",
    "finding_id:string", "statement_nb:string", "statement_en:string", "citation_nb:string",
    "citation_where:string?", "citation_basis_nb:string", "first_year:int32", "last_year:int32",
    "testable:bool", "verdict:string", "verdict_nb:string", "verdict_en:string",
    "untestable_reason_nb:string?",
    "n_tests:int32", "n_supported:int32", "n_partly_supported:int32", "n_not_supported:int32",
    "n_insufficient_data:int32", "synthetic:bool", "note_nb:string?", "data_origin:string?",
)  # fmt: skip
FINDING_TESTS_SCHEMA = bi_schema(
    "The numbers behind each finding's verdict: one row per finding × indicator × target group",
    "finding_id:string", "indicator_id:string", "target_group:string", "expected:string", "start_year:int32?",
    "end_year:int32?", "national_start:float64?", "national_end:float64?", "national_change:float64?",
    "national_change_pct:float64?", "national_way:string?", "counties_total:int32",
    "counties_with_data:int32",
    "counties_expected:int32", "regions_total:int32", "regions_with_data:int32", "regions_expected:int32",
    "regions_counted:bool", "verdict:string", "verdict_nb:string", "reason_nb:string", "unit:string",
    "note_nb:string?", "data_origin:string?",
)  # fmt: skip
PRIORITY_TRENDS_SCHEMA = bi_schema(
    "Average annual change before and after the 2018 priorities, per prioritised measure × indicator × "
    "target group × geography × period",
    "measure_id:string", "indicator_id:string", "target_group:string", "geo_level:string", "geo_code:string",
    "geo_key:string", "geo_name:string", "period_id:string", "period_label_nb:string", "first_year:int32",
    "last_year:int32", "n_changes:int32", "average_annual_change:float64?", "shift_vs_first:float64?",
    "trend_shift:string?", "trend_shift_nb:string?", "unit:string", "direction:string", "caution_nb:string",
    "note_nb:string?", "data_origin:string?",
)  # fmt: skip


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


INTERNAL_INDICATOR_VALUES_SCHEMA = pa.schema(
    [
        *INDICATOR_VALUES_SCHEMA,
        pa.field("suppression", pa.string()),
        pa.field("suppression_reason", pa.string()),
    ],
    metadata={
        "description": "INTERNAL, unsuppressed: indicator values with the public tier's suppression flags"
    },
)


def with_metadata(table: pa.Table, **extra: str) -> pa.Table:
    """Add key-value metadata (e.g. the release id) to a table's schema."""
    metadata = dict(table.schema.metadata or {})
    metadata.update({k.encode(): v.encode() for k, v in extra.items()})
    return table.replace_schema_metadata(metadata)


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write ``table`` with the project's BI-safe settings (snappy, format 1.0, data page v1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy", version="1.0", data_page_version="1.0")
    return path


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write ``table`` to ``path`` via a temporary file and an atomic rename."""
    with atomic_path(path) as temporary:
        write_parquet(table, temporary)
    return path
