"""Dagster asset of the yearly steering report."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.assets import indicator_charts
from pipelines.progress.assets import goal_attainment
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, OutputPaths, catalogue


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="publication",
    kinds={"html"},
    pool=DUCKDB_POOL,
    deps=[goal_attainment, indicator_charts],
)
def steering_report(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """«Styringsinformasjon <år>»: the yearly steering report as one self-contained HTML file
    (`reports/styringsinformasjon_<år>.html`, charts embedded, opens offline).

    Goal attainment per goal and per target group for Bolig for velferd and Alle trenger et trygt
    hjem, nationally and per county; what improved and what deteriorated since the year before;
    the national trend of the indicators with targets; data notes and sources. The year is the
    latest reporting year with national values. Public, suppressed values only.
    """
    from pipelines.report.build import build_report  # matplotlib: only this step needs it

    with duckdb.get_connection() as con:
        path, content, charts = build_report(con, catalogue(), paths.base, paths.release_id)
    return dg.MaterializeResult(
        metadata={
            "year": content.year,
            "path": dg.MetadataValue.path(str(path)),
            "size_kb": round(path.stat().st_size / 1024),
            "charts_embedded": len(charts),
        }
    )
