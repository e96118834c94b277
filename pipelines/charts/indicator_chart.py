"""Trend chart of one steering indicator: the nation as a line, the counties as a spread band.

:func:`plot_indicator_trend` turns the long indicator table of one indicator into a figure;
:func:`save_figure` writes it as a small PNG. The figure is built without pyplot, on its own Agg
canvas, so it is safe in any process. Artists carry ``gid`` values (``GID_*`` below) so tests and
callers can find them without relying on drawing order.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipelines.charts import style

GID_TITLE = "title"
GID_SUBTITLE = "subtitle"
GID_DIRECTION = "direction_note"
GID_NOTES = "notes"
GID_NATIONAL = "national"
GID_RANGE = "county_range"
GID_IQR = "county_iqr"
GID_LEGEND = "legend"
GID_FOOTER = style.FOOTER_GID

LABEL_NATIONAL = "Landet"
LABEL_RANGE = "Fylker, min–maks"
LABEL_IQR = "Fylker, midtre halvdel"

GAP_NOTE = "Manglende eller skjulte verdier vises som brudd i linjen."
BAND_GAP_NOTE = "Fylkesfeltene brytes i år med for få fylkesverdier."
NOT_ZERO_BASED_NOTE = "Y-aksen starter ikke på null."
DIRECTION_NOTES = {
    "lower_is_better": "Retning: lavere er bedre",
    "higher_is_better": "Retning: høyere er bedre",
    "neutral": "Kontekstindikator, uten retning",
}

PREFERRED_TARGET_GROUP = "alle"
# A min–max band needs two counties; quartiles of fewer than four values are mostly
# interpolation, so the inner band is left out rather than suggesting a spread we do not know.
MIN_COUNTIES_FOR_RANGE = 2
MIN_COUNTIES_FOR_IQR = 4
# Non-negative units start at zero unless that would squeeze the data into less than a third of
# the axis (lowest value more than twice the data's range above zero): then the axis follows the
# data and the chart says that it does not start at zero.
ZERO_BASELINE_FACTOR = 2.0

DEFAULT_DPI = 150
# Titles are wrapped at the widest line length (in characters) that fits the figure.
TITLE_MAX_CHARS = 90
TITLE_MIN_CHARS = 30

# Layout distances in inches, so the chart looks the same whatever the figure size.
_PAD_X_IN = 0.15
_PAD_TOP_IN = 0.14
_GAP_IN = 0.06
_BLOCK_GAP_IN = 0.16


@dataclass(frozen=True)
class _Series:
    """What the chart draws, one entry per year of the span (NaN where nothing is known)."""

    years: np.ndarray
    national: np.ndarray
    county_min: np.ndarray
    county_max: np.ndarray
    county_q1: np.ndarray
    county_q3: np.ndarray
    has_national_rows: bool
    data_origins: list[str]


def plot_indicator_trend(values: pd.DataFrame, indicator: Mapping, release: str) -> Figure:
    """Chart one indicator over time: the national value and the spread across counties.

    ``values`` is the long indicator table of one indicator (all geo levels); only target group
    "alle" is used when present, otherwise the first target group in the table. Only rows with
    status "shown" are drawn: missing, suppressed and not-applicable values become gaps in the
    line and the band, never zeros, and are never bridged by interpolation.
    """
    if values is None or values.empty:
        raise ValueError(f"no rows to chart for indicator {indicator.get('id')!r}")
    unit = _resolve_unit(values, indicator)
    series = _prepare_series(_select_target_group(values))

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes((0.1, 0.2, 0.85, 0.6))
        handles = _draw_data(ax, series)
        zero_based = _set_y_limits(ax, series, unit)
        _format_axes(ax, series.years, unit)

        has_range = any(h.get_gid() == GID_RANGE for h in handles)
        title = fig.text(
            0,
            0,
            str(indicator.get("name_nb") or indicator.get("id") or ""),
            fontsize=13,
            fontweight="bold",
            ha="left",
            va="top",
            gid=GID_TITLE,
            linespacing=1.15,
        )
        subtitle = fig.text(
            0,
            0,
            _subtitle(series, has_range),
            fontsize=10,
            ha="left",
            va="top",
            color=style.COLORS["muted"],
            gid=GID_SUBTITLE,
        )
        direction_text = DIRECTION_NOTES.get(str(indicator.get("direction") or ""), "")
        direction = fig.text(
            0,
            0,
            direction_text,
            fontsize=8.5,
            ha="right",
            va="top",
            color=style.COLORS["muted"],
            gid=GID_DIRECTION,
        )
        legend = fig.legend(
            handles=handles,
            labels=[h.get_label() for h in handles],
            loc="upper left",
            ncol=max(1, len(handles)),
            borderaxespad=0,
            borderpad=0,
            handlelength=2.2,
            columnspacing=1.6,
        )
        legend.set_gid(GID_LEGEND)

        notes = []
        if series.has_national_rows and np.isnan(series.national).any():
            notes.append(GAP_NOTE)
        has_iqr = any(h.get_gid() == GID_IQR for h in handles)
        if (has_range and np.isnan(series.county_min).any()) or (
            has_iqr and np.isnan(series.county_q1).any()
        ):
            notes.append(BAND_GAP_NOTE)
        if not zero_based:
            notes.append(NOT_ZERO_BASED_NOTE)
        notes_text = fig.text(
            0,
            0,
            "\n".join(notes),
            fontsize=8,
            ha="left",
            va="bottom",
            color=style.COLORS["text"],
            gid=GID_NOTES,
            linespacing=1.35,
        )

        footer = style.add_footer(
            fig, str(indicator.get("source_nb") or ""), series.data_origins, release, x_in=_PAD_X_IN
        )
        _arrange(fig, ax, title, subtitle, direction, legend, notes_text, footer)
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
    with style.house_style():
        fig.savefig(
            target,
            format="png",
            dpi=dpi,
            facecolor="white",
            metadata={"Software": None},
            # PIL's optimize=True saves ~15 % of bytes but costs half the render time.
        )
    _close(fig)
    return target


# --- Data ------------------------------------------------------------------------------------


def _select_target_group(values: pd.DataFrame) -> pd.DataFrame:
    if "target_group" not in values.columns:
        return values
    groups = values["target_group"].dropna().unique()
    if len(groups) == 0:
        return values
    chosen = PREFERRED_TARGET_GROUP if PREFERRED_TARGET_GROUP in set(groups) else groups[0]
    return values[values["target_group"] == chosen]


def _resolve_unit(values: pd.DataFrame, indicator: Mapping) -> str:
    """The indicator's unit; refuses rows in another unit, which would mislabel the axis."""
    declared = indicator.get("unit")
    row_units = set(values["unit"].dropna().astype(str)) if "unit" in values.columns else set()
    if declared and row_units - {declared}:
        raise ValueError(
            f"indicator {indicator.get('id')!r} has unit {declared!r} but rows have {sorted(row_units)}"
        )
    if declared:
        return str(declared)
    if len(row_units) > 1:
        raise ValueError(f"indicator {indicator.get('id')!r} mixes units {sorted(row_units)}")
    return next(iter(row_units), "")


def _shown_values(frame: pd.DataFrame) -> pd.Series:
    """Values that may be drawn: numeric, and NaN unless the status is "shown".

    A suppressed cell may still carry a number upstream; it must not leak into the chart.
    """
    value = pd.Series(
        pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        index=frame.index,
    )
    if "status" in frame.columns:
        value = value.where(frame["status"].astype(object).eq("shown").fillna(False).astype(bool))
    return value


def _prepare_series(frame: pd.DataFrame) -> _Series:
    frame = frame.assign(year=pd.to_numeric(frame["year"], errors="coerce"))
    frame = frame[frame["year"].notna()].assign(year=lambda f: f["year"].astype(int))
    plotted = frame[frame["geo_level"].isin(["land", "fylke"])]
    span_source = plotted if not plotted.empty else frame
    if span_source.empty:
        raise ValueError("no rows with a year to chart")
    years = np.arange(span_source["year"].min(), span_source["year"].max() + 1)

    land = frame[frame["geo_level"] == "land"]
    if land["year"].duplicated().any():
        raise ValueError("more than one national row per year; the table is not for one indicator")
    national = (
        pd.Series(_shown_values(land).to_numpy(), index=land["year"].to_numpy())
        .reindex(years)
        .to_numpy(dtype=float)
    )

    counties = frame[frame["geo_level"] == "fylke"]
    if counties.duplicated(["geo_code", "year"]).any():
        raise ValueError("more than one row per county and year; the table is not for one indicator")
    county_values = counties.assign(_v=_shown_values(counties)).dropna(subset=["_v"])
    by_year = county_values.groupby("year")["_v"]
    stats = pd.DataFrame(
        {
            "n": by_year.count(),
            "min": by_year.min(),
            "max": by_year.max(),
            "q1": by_year.quantile(0.25),
            "q3": by_year.quantile(0.75),
        }
    ).reindex(years)
    n = stats["n"].fillna(0).to_numpy()
    range_ok = n >= MIN_COUNTIES_FOR_RANGE
    iqr_ok = n >= MIN_COUNTIES_FOR_IQR

    if "data_origin" not in frame.columns:
        raise ValueError("values has no data_origin column; the footer must say where the data come from")
    origin_rows = plotted if not plotted.empty else frame
    return _Series(
        years=years,
        national=national,
        county_min=np.where(range_ok, stats["min"].to_numpy(dtype=float), np.nan),
        county_max=np.where(range_ok, stats["max"].to_numpy(dtype=float), np.nan),
        county_q1=np.where(iqr_ok, stats["q1"].to_numpy(dtype=float), np.nan),
        county_q3=np.where(iqr_ok, stats["q3"].to_numpy(dtype=float), np.nan),
        has_national_rows=not land.empty,
        data_origins=style.data_origin_codes(origin_rows["data_origin"].dropna().astype(str)),
    )


# --- Drawing ---------------------------------------------------------------------------------


def _draw_data(ax: Axes, series: _Series) -> list:
    """Draw bands and line; return the legend handles in reading order (line first)."""
    handles = []
    x = series.years.astype(float)
    # fill_between masks NaN and splits the polygon there, so the bands break like the line.
    if np.isfinite(series.county_min).any():
        band = ax.fill_between(
            x,
            series.county_min,
            series.county_max,
            color=style.COLORS["band_range"],
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
            color=style.COLORS["band_iqr"],
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
            color=style.COLORS["national"],
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


def _set_y_limits(ax: Axes, series: _Series, unit: str) -> bool:
    """Choose the y range; return False when a non-negative axis deliberately skips zero."""
    data = np.concatenate([series.national, series.county_min, series.county_max])
    data = data[np.isfinite(data)]
    if data.size == 0:
        ax.text(
            0.5,
            0.5,
            "Ingen verdier å vise",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=style.COLORS["muted"],
        )
        ax.set_ylim(0, 1)
        return True
    lo, hi = float(data.min()), float(data.max())
    ax.margins(y=0.08)
    ax.autoscale_view()
    bottom, top = ax.get_ylim()
    if unit in style.NON_NEGATIVE_UNITS and lo >= 0:
        if lo <= ZERO_BASELINE_FACTOR * (hi - lo) or hi == lo:
            ax.set_ylim(0, top if hi > 0 else 1)
            return True
        return False
    return True


def _format_axes(ax: Axes, years: np.ndarray, unit: str) -> None:
    ax.set_ylabel(style.unit_label_nb(unit))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(style.nb_tick_formatter())
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    if len(years) <= 13:
        ax.set_xticks(years.astype(float))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(style.year_tick_formatter())
    ax.tick_params(axis="x", length=3)
    ax.tick_params(axis="y", length=0)
    # Only the x axis line remains on the left side: the gridlines carry the y scale.
    ax.spines["left"].set_visible(False)


def _subtitle(series: _Series, has_range: bool) -> str:
    first, last = int(series.years[0]), int(series.years[-1])
    span = f"{first}" if first == last else f"{first}–{last}"
    if series.has_national_rows and has_range:
        return f"Landet og spredning mellom fylker, {span}"
    if has_range:
        return f"Spredning mellom fylker, {span}"
    return f"Landet, {span}"


def _fit_width(text_artist, max_width_px: float, renderer) -> None:
    """Wrap a text artist's words at the longest line length whose rendered width fits."""
    words = " ".join(text_artist.get_text().split())
    for chars in range(TITLE_MAX_CHARS, TITLE_MIN_CHARS - 1, -2):
        text_artist.set_text("\n".join(textwrap.wrap(words, chars)))
        if text_artist.get_window_extent(renderer).width <= max_width_px:
            return


# --- Layout ----------------------------------------------------------------------------------


def _arrange(fig: Figure, ax: Axes, title, subtitle, direction, legend, notes, footer) -> None:
    """Stack title, subtitle, legend, plot, notes and footer without overlaps.

    Positions are measured from the rendered text rather than hard-coded, so long (wrapped)
    titles, two-line footers and optional notes all fit.
    """
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    dpi = fig.dpi
    pad_x = _PAD_X_IN / fig.get_size_inches()[0]

    def frac_y(inches: float) -> float:
        return inches * dpi / height_px

    def bottom_of(artist) -> float:
        return artist.get_window_extent(renderer).y0 / height_px

    def top_of(artist) -> float:
        return artist.get_window_extent(renderer).y1 / height_px

    title.set_position((pad_x, 1 - frac_y(_PAD_TOP_IN)))
    _fit_width(title, width_px * (1 - 2 * pad_x), renderer)
    y = bottom_of(title) - frac_y(_GAP_IN)
    subtitle.set_position((pad_x, y))
    direction.set_position((1 - pad_x, y))
    y = min(bottom_of(subtitle), bottom_of(direction)) - frac_y(_BLOCK_GAP_IN)
    legend.set_bbox_to_anchor((pad_x, y), transform=fig.transFigure)
    axes_top = (bottom_of(legend) if legend.get_texts() else y) - frac_y(_BLOCK_GAP_IN)

    y = top_of(footer) + frac_y(_BLOCK_GAP_IN / 2)
    if notes.get_text():
        notes.set_position((pad_x, y))
        y = top_of(notes) + frac_y(_GAP_IN)
    axes_floor = y + frac_y(_GAP_IN)

    # Tick labels and the y label sit outside the axes box; measure them and shrink the box.
    # Twice, because new tick positions after the first resize can change the label widths.
    for _ in range(2):
        box = ax.get_position()
        tight = ax.get_tightbbox(renderer)
        extra_left = box.x0 - tight.x0 / width_px
        extra_right = max(0.0, tight.x1 / width_px - box.x1)
        extra_bottom = box.y0 - tight.y0 / height_px
        # The top tick label reaches half its height above the axes box.
        extra_top = max(0.0, tight.y1 / height_px - box.y1)
        left = pad_x + extra_left
        right = 1 - pad_x - extra_right
        bottom = axes_floor + extra_bottom
        top = axes_top - extra_top
        ax.set_position((left, bottom, right - left, top - bottom))


def _close(fig: Figure) -> None:
    """Release the figure. Ours are not registered with pyplot; a caller's pyplot figure is."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
