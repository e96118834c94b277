"""Dagster asset of the yearly steering report."""

from __future__ import annotations

import dagster as dg

from pipelines.charts.assets import indicator_charts
from pipelines.exports.assets import public_release
from pipelines.exports.reader import latest_release, open_release
from pipelines.maps.assets import indicator_maps
from pipelines.metadata import PUBLIC, asset_args
from pipelines.resources import OutputPaths, catalogue


@dg.asset(
    group_name="publication",
    kinds={"html"},
    deps=[public_release, indicator_charts, indicator_maps],
    **asset_args("publication", PUBLIC),
)
def steering_report(paths: OutputPaths) -> dg.MaterializeResult:
    """«Styringsinformasjon <år>»: the yearly steering report as one self-contained HTML file
    (`reports/styringsinformasjon_<år>.html`, charts embedded, opens offline).

    Goal attainment per goal and per target group for Bolig for velferd and Alle trenger et trygt
    hjem, nationally and per county; what improved and what deteriorated since the year before;
    the national trend of the indicators with targets; a map per main goal (municipalities and
    counties, with the county values beside it); data notes and sources. The year is the
    latest reporting year with national values. Drawn from the published public release.
    """
    from pipelines.report.build import build_report

    with open_release(latest_release(paths.base)) as con:
        path, content, charts = build_report(con, catalogue(), paths.base, paths.release_id)
    return dg.MaterializeResult(
        metadata={
            "year": content.year,
            "path": dg.MetadataValue.path(str(path)),
            "size_kb": round(path.stat().st_size / 1024),
            "charts_embedded": len(charts),
        }
    )
