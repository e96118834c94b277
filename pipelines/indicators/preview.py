"""A small picture of one indicator's national series for the Dagster UI (asset metadata).

Drawn with matplotlib's object API (a `Figure` with the Agg canvas, no pyplot state), small and
at a fixed size, because the UI keeps every materialisation's metadata for good."""

from __future__ import annotations

import base64
import io

import pandas as pd

from pipelines.catalogue.labels import UNIT_LABELS_NB
from pipelines.catalogue.models import Indicator
from pipelines.geography.reference import NATION_CODE

SIZE_INCHES = (5.0, 2.4)
DPI = 80


def national_chart_png(indicator: Indicator, values: pd.DataFrame, group_names: dict[str, str]) -> bytes:
    """PNG of the national value per target group and year; gaps where there is no value."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    nation = values[values["geo_code"] == NATION_CODE]
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for group in indicator.target_groups:
        series = nation[nation["target_group"] == group].sort_values("year")
        shown = series["value"].where(series["status"] == "shown")
        axes.plot(series["year"], shown, marker="o", markersize=3, label=group_names.get(group, group))
    axes.set_ylabel(UNIT_LABELS_NB[indicator.unit], fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if len(indicator.target_groups) > 1:
        axes.legend(fontsize=7, frameon=False)
    synthetic = bool((nation["data_origin"] == "synthetic").any())
    axes.set_title(
        "Landet" + (" — syntetiske demodata, ikke offisiell statistikk" if synthetic else ""), fontsize=8
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_markdown(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
