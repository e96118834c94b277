"""Dagster asset of the ``charts`` stage."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from pipelines.charts.render import render_indicator_charts
from pipelines.exports.assets import indicator_values_parquet
from pipelines.exports.indicator_values import PUBLIC_DIR
from pipelines.resources import OutputPaths, catalogue


@dg.asset(group_name="charts", kinds={"matplotlib", "png"}, deps=[indicator_values_parquet])
def indicator_charts(paths: OutputPaths) -> dg.MaterializeResult:
    """One PNG per indicator in `charts/`: the national series as a line, with the spread
    between the counties (lowest–highest and the middle half) as bands behind it.

    Norwegian labels and number formats; the footer names the source, the data origin
    («Syntetiske demodata» for the bundled demo data) and the release date. Missing values are
    gaps in the line, never zeros. Built from the exported Parquet file, like any BI tool.
    """
    values = pd.read_parquet(paths.base / PUBLIC_DIR / "indicator_values.parquet")
    release = dt.date.today().isoformat()
    written = render_indicator_charts(values, catalogue(), paths.base, release)
    return dg.MaterializeResult(
        metadata={
            "charts": len(written),
            "folder": dg.MetadataValue.path(str(written[0].parent) if written else str(paths.base)),
            "files": dg.MetadataValue.json([p.name for p in written]),
        }
    )
