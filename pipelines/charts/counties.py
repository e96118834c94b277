"""County small multiples of one indicator: one panel per county on a shared scale.

Each panel shows one county's series as a line with the national series faint behind it, so a
county's level and trend read against the nation and against the other counties at a glance.
All panels share the y scale (so heights compare across panels). Suppressed, missing and
not-applicable values are gaps in the line, never zeros.

The panels are not matplotlib Axes: fifteen Axes cost more to build (each makes its tick
objects) than everything drawn in them, and panels on one shared scale need no axis of their
own. Each panel is a :class:`Panel` — a box in the figure and the transform from (year, value)
into it — and its lines, gridlines, labels and name are ordinary figure artists in that
transform, so ``line.get_data()`` still gives years and values. The layout measures the labels
and sizes all panels alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import (
    Bbox,
    BboxTransformFrom,
    BboxTransformTo,
    ScaledTranslation,
    Transform,
    TransformedBbox,
    blended_transform_factory,
)

from pipelines import formatting, palette
from pipelines.charts import indicator_chart as ic
from pipelines.charts import layout, style

GID_PANEL_TITLE = "county_name"  # the county's name above its panel; one per panel
GID_COUNTY = "county"  # the county's line in its panel
GID_NATIONAL = "national_reference"  # the faint national line in every panel
GID_UNIT = "unit_label"  # the unit, once, left of the panels
GID_GRID = "panel_grid"
GID_TICK_LABEL = "panel_tick_label"
GID_NO_DATA = "no_data"
NO_DATA_TEXT = "Ingen publiserte verdier"
LABEL_COUNTY = "Fylket"
LABEL_NATIONAL = "Landet"

NCOLS = 5
FIGURE_SIZE_IN = (10.0, 7.4)
# 10 inches at 120 dpi is 1200 pixels wide, as wide as the 150 dpi trend chart.
DPI = 120
NATIONAL_REFERENCE_COLOR = "#A8A8A8"
PANEL_TITLE_SIZE = 9
TICK_LABEL_SIZE = 8
YEAR_TICKS_EVERY = 5
# Gaps in inches: between panels side by side (room for the year labels that overhang a panel's
# edges), between rows (above the next row's titles), and between labels and panel.
WGAP_IN = 0.3
HGAP_IN = 0.2
LABEL_PAD_PT = 4


@dataclass
class Panel:
    """One county's panel: its box in figure fractions (set by the layout) and transforms."""

    code: str
    name: str
    box: Bbox  # figure fraction
    data: Transform  # (year, value) → display
    frac: Transform  # (0..1, 0..1) within the panel → display


def _panel(fig: Figure, code: str, name: str, data_box: Bbox) -> Panel:
    box = Bbox.unit()
    frac = BboxTransformTo(TransformedBbox(box, fig.transFigure))
    return Panel(code, name, box, BboxTransformFrom(data_box) + frac, frac)


def county_name_nb(name: str) -> str:
    """The Norwegian (first) part of an official multilingual county name.

    "Troms - Romsa - Tromssa" → "Troms"; "Trøndelag - Trööndelage" → "Trøndelag"; "Oslo" → "Oslo".
    """
    return re.split(r"\s+[-–]\s+", str(name).strip(), maxsplit=1)[0]


def plot_county_panels(values: pd.DataFrame, indicator: Mapping, release: str) -> Figure:
    """One panel per county (ordered by county number) with the national line for reference.

    ``values`` is the long table of one indicator; the main target group is used (see
    :func:`indicator_chart.main_target_group`). Each panel has its county's name (gid
    ``GID_PANEL_TITLE``, the Norwegian part of the official name), the county's line (gid
    ``GID_COUNTY``, labelled with the name) and the faint national line (``GID_NATIONAL``).
    """
    if values is None or values.empty:
        raise ValueError(f"no rows to chart for indicator {indicator.get('id')!r}")
    unit = ic.resolve_unit(values, indicator)
    group = ic.main_target_group(values, indicator)
    frame = values if group is None else values[values["target_group"] == group]
    frame = frame[frame["geo_level"].isin(["land", "fylke"])]
    if frame.empty:
        raise ValueError(f"no national or county rows for indicator {indicator.get('id')!r}")
    years_col = pd.to_numeric(frame["year"], errors="coerce")
    frame = frame.assign(year=years_col, _v=ic.shown_values(frame))[years_col.notna()]
    frame = frame.assign(year=frame["year"].astype(int))
    years = np.arange(frame["year"].min(), frame["year"].max() + 1)

    land = frame[frame["geo_level"] == "land"]
    national = pd.Series(land["_v"].to_numpy(), index=land["year"].to_numpy()).reindex(years).to_numpy(float)
    counties = frame[frame["geo_level"] == "fylke"]
    if counties.duplicated(["geo_code", "year"]).any():
        raise ValueError("more than one row per county and year; the table is not for one indicator")
    grid = counties.pivot(index="geo_code", columns="year", values="_v").reindex(columns=years)
    grid = grid.sort_index()
    if grid.empty:
        raise ValueError(f"no county rows for indicator {indicator.get('id')!r}")
    names = counties.drop_duplicates("geo_code").set_index("geo_code")["geo_name"].astype(str)

    data = np.concatenate([grid.to_numpy(float).ravel(), national])
    bottom, top, zero_based = ic.value_limits(data, unit)
    x_ticks = [int(y) for y in years if (y - years[0]) % YEAR_TICKS_EVERY == 0]
    if years[-1] not in x_ticks and years[-1] - x_ticks[-1] >= 3:
        x_ticks.append(int(years[-1]))
    y_ticks = _value_ticks(bottom, top)
    data_box = Bbox([[years[0] - 0.5, bottom], [years[-1] + 0.5, top]])

    with style.house_style():
        fig = style.new_figure(FIGURE_SIZE_IN, DPI)
        x = years.astype(float)
        panels = []
        labels: dict[str, list[Text]] = {"y": [], "x": [], "title": []}
        n = len(grid)
        for i, (code, row) in enumerate(grid.iterrows()):
            panel = _panel(fig, str(code), county_name_nb(names.get(code, code)), data_box)
            _draw_panel(fig, panel, x, row.to_numpy(float), national if not land.empty else None)
            new = _label_panel(
                fig, panel, y_ticks, x_ticks, data_box, left=i % NCOLS == 0, low=i + NCOLS >= n
            )
            for key, texts in new.items():
                labels[key] += texts
            panels.append(panel)
        unit_text = fig.text(
            0,
            0,
            formatting.unit_label_nb(unit),
            rotation=90,
            ha="left",
            va="center",
            fontsize=9.5,
            gid=GID_UNIT,
        )

        handles = [
            Line2D([], [], color=palette.COLORS["national"], linewidth=1.8, label=LABEL_COUNTY),
        ]
        if not land.empty:
            handles.append(
                Line2D([], [], color=NATIONAL_REFERENCE_COLOR, linewidth=1.2, label=LABEL_NATIONAL)
            )
        notes = [style.gap_note(grid.to_numpy(float).ravel(), national if not land.empty else [])]
        if not zero_based:
            notes.append(ic.NOT_ZERO_BASED_NOTE)
        subtitle = ic.with_target_group(
            f"Fylkene, {ic.year_span_nb(years)} · samme skala i alle panelene", indicator, group
        )
        blocks = layout.add_indicator_blocks(
            fig, indicator, what="fylkene", subtitle=subtitle, handles=handles, notes=notes,
            data_origins=ic.data_origins(frame), release=release,
        )  # fmt: skip
        floor, top_frac = layout.place_blocks(fig, blocks)
        _layout_panels(fig, panels, labels, unit_text, floor, top_frac)
    return fig


def _value_ticks(bottom: float, top: float) -> list[float]:
    locator = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10])
    return [float(t) for t in locator.tick_values(bottom, top) if bottom - 1e-9 <= t <= top + 1e-9]


def _draw_panel(
    fig: Figure, panel: Panel, x: np.ndarray, county: np.ndarray, national: np.ndarray | None
) -> None:
    """The county's line over the faint national one; a NaN is a gap, never a zero."""
    if national is not None:
        fig.add_artist(
            Line2D(
                x,
                national,
                color=NATIONAL_REFERENCE_COLOR,
                linewidth=1.2,
                zorder=2,
                gid=GID_NATIONAL,
                transform=panel.data,
            )
        )
    fig.add_artist(
        Line2D(
            x,
            county,
            color=palette.COLORS["national"],
            linewidth=1.8,
            marker="o",
            markersize=2.6,
            markeredgewidth=0,
            zorder=3,
            solid_capstyle="round",
            gid=GID_COUNTY,
            label=panel.name,
            transform=panel.data,
        )
    )
    if not np.isfinite(county).any():
        fig.text(
            0.5,
            0.5,
            NO_DATA_TEXT,
            transform=panel.frac,
            ha="center",
            va="center",
            fontsize=TICK_LABEL_SIZE,
            color=palette.COLORS["muted"],
            gid=GID_NO_DATA,
            bbox={"boxstyle": "square,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            zorder=4,
        )


def _label_panel(
    fig: Figure, panel: Panel, y_ticks, x_ticks, data_box: Bbox, *, left: bool, low: bool
) -> dict[str, list[Text]]:
    """Gridlines, the year axis line, the county's name, and tick labels on the outer panels."""
    x0, x1 = data_box.x0, data_box.x1
    grid_y = [y for y in y_ticks if y != data_box.y0]
    segments = [[(x0, y), (x1, y)] for y in [*grid_y, data_box.y0]]
    fig.add_artist(
        LineCollection(
            segments,
            colors=[palette.COLORS["grid"]] * len(grid_y) + [palette.COLORS["axis"]],
            linewidths=[0.7] * len(grid_y) + [0.8],
            zorder=1,
            gid=GID_GRID,
            transform=panel.data,
        )
    )
    pad = LABEL_PAD_PT / 72
    texts: dict[str, list[Text]] = {"y": [], "x": [], "title": []}
    texts["title"].append(
        fig.text(
            0,
            1,
            panel.name,
            transform=panel.frac + ScaledTranslation(0, pad / 2, fig.dpi_scale_trans),
            ha="left",
            va="bottom",
            fontsize=PANEL_TITLE_SIZE,
            gid=GID_PANEL_TITLE,
        )
    )
    small = {"fontsize": TICK_LABEL_SIZE, "color": palette.COLORS["text"], "gid": GID_TICK_LABEL}
    if left:
        formatter = style.nb_tick_formatter()
        formatter.set_locs(y_ticks)
        at_left = blended_transform_factory(panel.frac, panel.data)
        shift = ScaledTranslation(-pad, 0, fig.dpi_scale_trans)
        for y in y_ticks:
            texts["y"].append(
                fig.text(0, y, formatter(y), transform=at_left + shift, ha="right", va="center", **small)
            )
    if low:
        below = blended_transform_factory(panel.data, panel.frac)
        # Further down than the value labels are to the left, so "0" and the first year never meet.
        shift = ScaledTranslation(0, -1.5 * pad, fig.dpi_scale_trans)
        for year in x_ticks:
            texts["x"].append(
                fig.text(year, 0, str(year), transform=below + shift, ha="center", va="top", **small)
            )
    return texts


def _layout_panels(
    fig: Figure, panels: list[Panel], labels, unit_text: Text, floor: float, top: float
) -> None:
    """Size every panel alike in the room between ``floor`` and ``top``, leaving room for the
    unit, the value labels on the left, the year labels below and each panel's name above."""
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    width_in, height_in = fig.get_size_inches()
    pad_x = layout.PAD_X_IN / width_in
    label_pad = LABEL_PAD_PT / 72 * fig.dpi

    def widest(texts: list[Text]) -> float:
        return max((t.get_window_extent(renderer).width for t in texts), default=0.0)

    def tallest(texts: list[Text]) -> float:
        return max((t.get_window_extent(renderer).height for t in texts), default=0.0)

    unit_w = unit_text.get_window_extent(renderer).width
    left = pad_x + (unit_w + label_pad + widest(labels["y"]) + label_pad) / width_px
    overhang = widest(labels["x"]) / 2 / width_px
    right = 1 - pad_x - overhang
    title_h = (tallest(labels["title"]) + label_pad) / height_px
    below_h = (tallest(labels["x"]) + 1.5 * label_pad) / height_px
    wgap = max(WGAP_IN / width_in, 2 * overhang + 0.05 / width_in)
    hgap = HGAP_IN / height_in
    nrows = math.ceil(len(panels) / NCOLS)
    width = (right - left - (NCOLS - 1) * wgap) / NCOLS
    height = (top - floor - below_h - nrows * title_h - (nrows - 1) * hgap) / nrows
    for i, panel in enumerate(panels):
        row, col = divmod(i, NCOLS)
        x0 = left + col * (width + wgap)
        y1 = top - title_h - row * (height + title_h + hgap)
        panel.box.set_points(np.array([[x0, y1 - height], [x0 + width, y1]]))
    middle = top - title_h - (nrows * (height + title_h) + (nrows - 1) * hgap - title_h) / 2
    unit_text.set_position((pad_x, middle))
