"""Render one trend chart per catalogue indicator into a folder."""

from __future__ import annotations

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


def render_indicator_charts(
    values: pd.DataFrame, catalogue: Catalogue, base_dir: Path, release: str
) -> list[Path]:
    """Write ``charts/<indicator_id>.png`` for every indicator; returns the paths."""
    out_dir = base_dir / CHARTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for indicator_id, rows in values.groupby("indicator_id", sort=True):
        figure = plot_indicator_trend(rows, indicator_chart_spec(catalogue, indicator_id), release)
        written.append(save_figure(figure, out_dir / f"{indicator_id}.png"))
    return written
