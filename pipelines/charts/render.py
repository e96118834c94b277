"""Render one trend chart per catalogue indicator into a folder."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts.indicator_chart import plot_indicator_trend, save_figure

CHARTS_DIR = Path("charts")


def indicator_chart_spec(catalogue: Catalogue, indicator_id: str) -> dict[str, str]:
    indicator = catalogue.indicators[indicator_id]
    return {
        "id": indicator.id,
        "name_nb": indicator.name_nb,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "source_nb": indicator.source_nb,
    }


def _render_one(job: tuple[pd.DataFrame, dict[str, str], str, Path]) -> Path:
    rows, spec, release, path = job
    return save_figure(plot_indicator_trend(rows, spec, release), path)


def render_indicator_charts(
    values: pd.DataFrame, catalogue: Catalogue, base_dir: Path, release: str
) -> list[Path]:
    """Write ``charts/<indicator_id>.png`` for every indicator; returns the paths.

    Charts are CPU-bound matplotlib work, so they are drawn in one forked worker per core (fork:
    the workers inherit the imports instead of paying for them again).
    """
    out_dir = base_dir / CHARTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (rows, indicator_chart_spec(catalogue, indicator_id), release, out_dir / f"{indicator_id}.png")
        for indicator_id, rows in values.groupby("indicator_id", sort=True)
    ]
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(jobs) < 8 or "fork" not in multiprocessing.get_all_start_methods():
        return [_render_one(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_render_one, jobs))
