"""Run every stage in order without Dagster: the same library functions the assets call.

Used by the benchmark (Dagster's overhead = a Dagster run ÷ this) and by tests that try a
variant catalogue (another vintage of borders, an extra indicator).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.charts.render import render_indicator_charts
from pipelines.exports.indicator_values import (
    PUBLIC_DIR,
    export_catalogue_dimensions,
    export_dim_geography,
    export_goal_attainment,
    export_indicator_values,
)
from pipelines.indicators.compute import build_indicator_values
from pipelines.progress.build import build_goal_attainment
from pipelines.sources.load import load_reference_geography, load_source
from pipelines.staging.measures import build_measure_values
from pipelines.warehouse import connect, warehouse_path


def run_all(base_dir: Path, catalogue: Catalogue | None = None, charts: bool = True) -> Path:
    """Materialise everything into ``base_dir``; returns the warehouse path."""
    catalogue = catalogue or load_catalogue()
    path = warehouse_path(base_dir)
    with connect(path) as con:
        load_reference_geography(con, catalogue)
        for source_id in catalogue.sources:
            load_source(con, catalogue, source_id)
        build_measure_values(con, catalogue)
        build_indicator_values(con, catalogue)
        build_goal_attainment(con, catalogue)
        export_indicator_values(con, base_dir)
        export_dim_geography(con, base_dir)
        export_goal_attainment(con, base_dir)
    export_catalogue_dimensions(catalogue, base_dir)
    if charts:
        values = pd.read_parquet(base_dir / PUBLIC_DIR / "indicator_values.parquet")
        render_indicator_charts(values, catalogue, base_dir, dt.date.today().isoformat())
    return path
