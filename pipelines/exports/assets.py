"""Dagster asset of the ``exports`` stage."""

from __future__ import annotations

import dagster as dg
import pyarrow.parquet as pq
from dagster_duckdb import DuckDBResource

from pipelines.exports.indicator_values import (
    export_catalogue_dimensions,
    export_dim_geography,
    export_goal_attainment,
    export_indicator_values,
)
from pipelines.indicators.assets import indicator_values
from pipelines.progress.assets import goal_attainment
from pipelines.resources import DUCKDB_POOL, OutputPaths, catalogue
from pipelines.sources.assets import reference_geography


@dg.asset(group_name="exports", kinds={"parquet"}, pool=DUCKDB_POOL, deps=[indicator_values])
def indicator_values_parquet(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """`exports/public/indicator_values.parquet` for Power BI and other tools: one row per
    indicator × geography × year × target group with numerator, denominator, value, unit,
    status and data_origin.

    Types are chosen for Power BI: text as string, year as int32, counts and values as
    float64, missing values as null (never text). `data_origin = synthetic` marks demo data —
    not official figures.
    """
    with duckdb.get_connection() as con:
        path = export_indicator_values(con, paths.base)
    return dg.MaterializeResult(metadata=parquet_metadata(path))


@dg.asset(group_name="exports", kinds={"parquet"}, pool=DUCKDB_POOL, deps=[reference_geography])
def dim_geography_parquet(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """`exports/public/dim_geography.parquet`: every geography analysts compare, in the
    borders of the chosen vintage (2024: 357 municipalities, 15 counties, the nation, 17 KOSTRA
    groups, 6 centrality classes, 4 population-size bands). Municipalities carry their county,
    KOSTRA group, centrality class and size band, and the years their code has been valid.
    Join to `indicator_values` on (geo_level, geo_code). Names as Statistics Norway writes them,
    Sámi names included.
    """
    with duckdb.get_connection() as con:
        path = export_dim_geography(con, paths.base)
    return dg.MaterializeResult(metadata=parquet_metadata(path))


@dg.asset(group_name="exports", kinds={"parquet"})
def catalogue_parquet(paths: OutputPaths) -> dg.MaterializeResult:
    """The catalogue as star-schema dimensions for BI tools: `dim_indicator` (names, definitions,
    parts, unit, direction, kind, source), `dim_goal` (both strategies' goals, priority areas and
    result targets), `dim_target_group`, and `bridge_indicator_goal` (which goals each indicator
    serves — many-to-many). Join on `indicator_id`, `goal_key` and `target_group`.
    Built from the YAML files in `assets/`.
    """
    written = export_catalogue_dimensions(catalogue(), paths.base)
    return dg.MaterializeResult(
        metadata={p.stem: dg.MetadataValue.path(str(p)) for p in written}
        | {"dagster/row_count": sum(pq.read_metadata(p).num_rows for p in written)}
    )


@dg.asset(group_name="exports", kinds={"parquet"}, pool=DUCKDB_POOL, deps=[goal_attainment])
def goal_attainment_parquet(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """`goal_attainment.parquet` (progress status per strategy × indicator × target group ×
    geography, with baseline, current value, target and growth rates) and `goal_rollup.parquet`
    (statuses counted per goal and per target group for the nation and every county)."""
    with duckdb.get_connection() as con:
        attainment, rollup = export_goal_attainment(con, paths.base)
    return dg.MaterializeResult(
        metadata=parquet_metadata(attainment) | {"rollup_path": dg.MetadataValue.path(str(rollup))}
    )


def parquet_metadata(path) -> dict[str, object]:
    """Path, row count, column schema and size of a written Parquet file, for the UI."""
    metadata = pq.read_metadata(path)
    schema = dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in pq.read_schema(path)])
    return {
        "path": dg.MetadataValue.path(str(path)),
        "dagster/row_count": metadata.num_rows,
        "dagster/column_schema": schema,
        "size_kb": round(path.stat().st_size / 1024, 1),
    }
