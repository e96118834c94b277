"""Trend chart of one steering indicator: the nation as a line, the counties as a spread band.

:func:`plot_indicator_trend` turns the long indicator table of one indicator into a figure;
:func:`save_figure` writes it as a small PNG. The figure is built without pyplot, on its own Agg
canvas, so it is safe in any process. Artists carry ``gid`` values (``GID_*`` below) so tests and
callers can find them without relying on drawing order.

The chart shades the national strategies' periods and draws the indicator's target (from the
catalogue) where one exists for the target group shown. What it draws comes from
:mod:`pipelines.charts.trend_data` (no matplotlib), which the steering report reads for the data
table beside the chart. The helpers at the end (:func:`resolve_unit`, :func:`value_limits`,
:func:`format_year_axis`, :func:`format_value_axis`) and the re-exported data helpers
(:func:`shown_values`, :func:`main_target_group`, :func:`data_origins`) are shared by the other
chart kinds.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from pipelines import formatting, palette
from pipelines.charts import layout, style
from pipelines.charts.png import encode_png
from pipelines.charts.trend_data import (  # noqa: F401 (shared with the other chart kinds as ic.*)
    MIN_COUNTIES_FOR_IQR,
    MIN_COUNTIES_FOR_RANGE,
    PREFERRED_TARGET_GROUP,
    TrendSeries,
    data_origins,
    indicator_trend,
    main_target_group,
    shown_values,
    trend_series,
)
from pipelines.charts.trend_data import distinct_values as _distinct  # noqa: F401

GID_TITLE = layout.GID_TITLE
GID_SUBTITLE = layout.GID_SUBTITLE
GID_DIRECTION = layout.GID_DIRECTION
GID_NOTES = layout.GID_NOTES
GID_NATIONAL = "national"
GID_RANGE = "county_range"
GID_IQR = "county_iqr"
GID_LEGEND = layout.GID_LEGEND
GID_FOOTER = style.FOOTER_GID
GID_TARGET = style.TARGET_GID
GID_TARGET_LABEL = style.TARGET_LABEL_GID
GID_STRATEGY = style.STRATEGY_GID
GID_STRATEGY_LABEL = style.STRATEGY_LABEL_GID

LABEL_NATIONAL = "Landet"
LABEL_RANGE = "Fylker, min–maks"
LABEL_IQR = "Fylker, midtre halvdel"
LABEL_TARGET = "Mål"
LABEL_ANALYTICAL_TARGET = "Analytisk mål (ikke vedtatt)"

GAP_NOTE = style.GAP_NOTE
BAND_GAP_NOTE = "Fylkesfeltene brytes i år med for få fylkesverdier."
NOT_ZERO_BASED_NOTE = "Y-aksen starter ikke på null."
DIRECTION_NOTES = layout.DIRECTION_NOTES

# Non-negative units start at zero unless that would squeeze the data into less than a third of
# the axis (lowest value more than twice the data's range above zero): then the axis follows the
# data and the chart says that it does not start at zero.
ZERO_BASELINE_FACTOR = 2.0
VALUE_MARGIN = 0.08

DEFAULT_DPI = 150
# PNG compression: level 3 makes files about 5 % larger than PIL's default 6 in two thirds of
# the time (most of the image is white, which compresses well at any level).
PNG_COMPRESS_LEVEL = 3
TITLE_MAX_CHARS = layout.TITLE_MAX_CHARS
TITLE_MIN_CHARS = layout.TITLE_MIN_CHARS


def plot_indicator_trend(values: pd.DataFrame, indicator: Mapping, release: str) -> Figure:
    """Chart one indicator over time: the national value and the spread across counties.

    ``values`` is the long indicator table of one indicator (all geo levels). The target group
    shown is the indicator's main group (``indicator["target_groups"][0]``) when given and
    present, else "alle" when present, else the first in the table. Only rows with status
    "shown" are drawn: missing, suppressed and not-applicable values become gaps in the line and
    the band, never zeros, and are never bridged by interpolation.

    Optional keys of ``indicator`` (see ``render.indicator_chart_spec``): ``strategies`` (a list
    of :class:`style.StrategyPeriod`, shaded), ``targets`` (a list of :class:`style.TargetSpec`;
    those of the group shown are drawn), ``decimals``, ``target_group_names``.
    """
    if values is None or values.empty:
        raise ValueError(f"no rows to chart for indicator {indicator.get('id')!r}")
    unit = resolve_unit(values, indicator)
    group, series = indicator_trend(values, indicator)
    national = {int(y): float(v) for y, v in zip(series.years, series.national, strict=True)}
    marks, target_notes = style.resolve_targets(
        indicator.get("targets") or (), group or PREFERRED_TARGET_GROUP, national, _decimals(indicator)
    )

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes((0.1, 0.2, 0.85, 0.6))
        handles = _draw_data(ax, series)
        style.draw_targets(ax, marks)
        handles += target_legend_handles(marks)
        extra = np.array([m.value for m in marks], dtype=float)
        zero_based = _set_y_limits(ax, series, unit, extra)
        format_trend_axes(ax, series.years, unit)
        style.shade_strategy_periods(ax, indicator.get("strategies") or ())

        has_range = any(h.get_gid() == GID_RANGE for h in handles)
        notes = []
        if series.has_national_rows:
            notes.append(style.gap_note(series.national))
        has_iqr = any(h.get_gid() == GID_IQR for h in handles)
        if (has_range and np.isnan(series.county_min).any()) or (
            has_iqr and np.isnan(series.county_q1).any()
        ):
            notes.append(BAND_GAP_NOTE)
        if not zero_based:
            notes.append(NOT_ZERO_BASED_NOTE)
        notes += target_notes
        blocks = layout.add_indicator_blocks(
            fig, indicator, subtitle=with_target_group(_subtitle(series, has_range), indicator, group),
            handles=handles, notes=notes, data_origins=series.data_origins, release=release,
        )  # fmt: skip
        arrange(fig, ax, blocks)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` as PNG to ``path`` (creating folders), close it and return the path.

    At the default 150 dpi an 8 × 5.4 inch chart is 1200 × 810 pixels and well under 200 kB.
    The PNG carries no software/version stamp, so re-running the pipeline on another matplotlib
    version does not change the file needlessly.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG; got {target.name!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if _white_on_agg(fig):
        # Our own figures: draw once and write the canvas pixels (pipelines.charts.png), about
        # three times faster than savefig's Pillow path.
        with style.house_style():
            if fig.dpi != dpi:
                fig.set_dpi(dpi)
            fig.canvas.draw()
            png, _ = encode_png(np.asarray(fig.canvas.buffer_rgba()), dpi)
        target.write_bytes(png)
        _close(fig)
        return target
    with style.house_style():
        fig.savefig(
            target,
            format="png",
            dpi=dpi,
            facecolor="white",
            metadata={"Software": None},
            # PIL's optimize=True saves ~15 % of bytes but costs half the render time.
            pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
        )
    _close(fig)
    return target


def _white_on_agg(fig: Figure) -> bool:
    """Whether the canvas's own pixels are what ``savefig(facecolor="white")`` would write: an
    Agg canvas (ours, from ``style.new_figure``) under an opaque white figure."""
    white = to_hex(fig.get_facecolor(), keep_alpha=True) == "#ffffffff"
    return white and isinstance(fig.canvas, FigureCanvasAgg)


# --- Data ------------------------------------------------------------------------------------


def group_label(indicator: Mapping, group: str | None) -> str:
    """Norwegian name of a target group for a subtitle ("" for "alle" and for no group)."""
    if not group or group == PREFERRED_TARGET_GROUP:
        return ""
    return str((indicator.get("target_group_names") or {}).get(group, group))


def with_target_group(text: str, indicator: Mapping, group: str | None) -> str:
    """``text`` with " · Målgruppe: <name>" appended when ``group`` is a named target group."""
    name = group_label(indicator, group)
    return f"{text} · Målgruppe: {name}" if name else text


def resolve_unit(values: pd.DataFrame, indicator: Mapping) -> str:
    """The indicator's unit; refuses rows in another unit, which would mislabel the axis."""
    declared = indicator.get("unit")
    row_units = set(_distinct(values["unit"])) if "unit" in values.columns else set()
    if declared and row_units - {declared}:
        raise ValueError(
            f"indicator {indicator.get('id')!r} has unit {declared!r} but rows have {sorted(row_units)}"
        )
    if declared:
        return str(declared)
    if len(row_units) > 1:
        raise ValueError(f"indicator {indicator.get('id')!r} mixes units {sorted(row_units)}")
    return next(iter(row_units), "")


def value_limits(data: np.ndarray, unit: str) -> tuple[float, float, bool]:
    """(bottom, top, zero_based) of a value axis showing ``data`` (NaN ignored).

    A margin of 8 % of the range on both sides; non-negative units start at zero unless the
    data sit far above it (see ``ZERO_BASELINE_FACTOR``), in which case ``zero_based`` is False
    and the chart must say so. No data gives (0, 1, True).
    """
    data = np.asarray(data, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return 0.0, 1.0, True
    lo, hi = float(data.min()), float(data.max())
    span = hi - lo
    pad = VALUE_MARGIN * span if span > 0 else max(abs(hi) * 0.05, 0.5)
    bottom, top = lo - pad, hi + pad
    if unit in style.NON_NEGATIVE_UNITS and lo >= 0:
        if lo <= ZERO_BASELINE_FACTOR * span or span == 0:
            return 0.0, (top if hi > 0 else 1.0), True
        return bottom, top, False
    return bottom, top, True


def format_value_axis(axis: Axis, unit: str, *, label: bool = True, nbins: int = 6) -> None:
    """Norwegian ticks (and the unit as label) on a value axis."""
    if label:
        axis.set_label_text(formatting.unit_label_nb(unit))
    axis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(style.nb_tick_formatter())


def format_year_axis(ax: Axes, years: np.ndarray, *, ticks: Sequence[int] | None = None) -> None:
    """Years as integer ticks on the x axis, half a year of room on either side."""
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    if ticks is not None:
        ax.set_xticks([float(t) for t in ticks])
    elif len(years) <= 13:
        ax.set_xticks(years.astype(float))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(style.year_tick_formatter())
    ax.tick_params(axis="x", length=3)


def year_span_nb(years: np.ndarray) -> str:
    first, last = int(years[0]), int(years[-1])
    return f"{first}" if first == last else f"{first}–{last}"


def _decimals(indicator: Mapping) -> int:
    decimals = indicator.get("decimals")
    return int(decimals) if decimals is not None else 1


# --- Drawing ---------------------------------------------------------------------------------


def _draw_data(ax: Axes, series: TrendSeries) -> list:
    """Draw bands and line; return the legend handles in reading order (line first)."""
    handles = []
    x = series.years.astype(float)
    # fill_between masks NaN and splits the polygon there, so the bands break like the line.
    if np.isfinite(series.county_min).any():
        band = ax.fill_between(
            x,
            series.county_min,
            series.county_max,
            color=palette.COLORS["band_range"],
            linewidth=0,
            label=LABEL_RANGE,
            zorder=1,
        )
        band.set_gid(GID_RANGE)
        handles.append(band)
    if np.isfinite(series.county_q1).any():
        iqr = ax.fill_between(
            x,
            series.county_q1,
            series.county_q3,
            color=palette.COLORS["band_iqr"],
            linewidth=0,
            label=LABEL_IQR,
            zorder=2,
        )
        iqr.set_gid(GID_IQR)
        handles.append(iqr)
    if series.has_national_rows:
        # A NaN breaks a matplotlib line, which is exactly the gap we want; a lone point between
        # gaps still shows through its marker.
        (line,) = ax.plot(
            x,
            series.national,
            color=palette.COLORS["national"],
            linewidth=2.4,
            marker="o",
            markersize=5,
            markeredgecolor="white",
            markeredgewidth=0.8,
            label=LABEL_NATIONAL,
            zorder=3,
            solid_capstyle="round",
        )
        line.set_gid(GID_NATIONAL)
        handles.insert(0, line)
    return handles


def target_legend_handles(marks: Sequence[style.TargetMark], color: str = style.TARGET_COLOR) -> list[Line2D]:
    """One legend entry per kind of target (official, analytical), not one per target."""
    handles = []
    for kind, label in (("official", LABEL_TARGET), ("analytical", LABEL_ANALYTICAL_TARGET)):
        if any(mark.kind == kind for mark in marks):
            proxy = Line2D(
                [],
                [],
                color=color,
                linestyle=(0, (4, 2.5)),
                linewidth=1.4,
                marker="D",
                markersize=5.5,
                markeredgecolor="white",
                label=label,
            )
            handles.append(proxy)
    return handles


def _set_y_limits(ax: Axes, series: TrendSeries, unit: str, extra: np.ndarray | None = None) -> bool:
    """Choose the y range; return False when a non-negative axis deliberately skips zero."""
    data = np.concatenate([series.national, series.county_min, series.county_max])
    if not np.isfinite(data).any():
        ax.text(
            0.5,
            0.5,
            "Ingen verdier å vise",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=palette.COLORS["muted"],
        )
    if extra is not None and extra.size:
        data = np.concatenate([data, extra])
    bottom, top, zero_based = value_limits(data, unit)
    ax.set_ylim(bottom, top)
    return zero_based


def format_trend_axes(ax: Axes, years: np.ndarray, unit: str) -> None:
    """Years on x, the unit and Norwegian numbers on y, no left spine (gridlines carry y)."""
    format_value_axis(ax.yaxis, unit)
    format_year_axis(ax, years)
    ax.tick_params(axis="y", length=0)
    # Only the x axis line remains on the left side: the gridlines carry the y scale.
    ax.spines["left"].set_visible(False)


def _subtitle(series: TrendSeries, has_range: bool) -> str:
    span = year_span_nb(series.years)
    if series.has_national_rows and has_range:
        return f"Landet og spredning mellom fylker, {span}"
    if has_range:
        return f"Spredning mellom fylker, {span}"
    return f"Landet, {span}"


# --- Layout ----------------------------------------------------------------------------------


def arrange(fig: Figure, ax: Axes, blocks: layout.Blocks) -> None:
    """Stack title, subtitle, legend, plot, notes and footer without overlaps."""
    floor, top = layout.place_blocks(fig, blocks)
    layout.fit_axes(fig, ax, floor, top)


def _close(fig: Figure) -> None:
    """Release the figure. Ours are not registered with pyplot; a caller's pyplot figure is."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
