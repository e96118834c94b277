"""One municipality profile page: a table of key indicators with a spine chart per row.

The design follows the Norwegian Institute of Public Health's folkehelseprofil: per indicator
the municipality's value, the change since its previous value, the county and the nation, and a
spine chart in which the bar is the range of all municipalities (darker: the middle half), the
county and the nation are marks and the municipality is a dot; for indicators with a direction
the better end is always on the right. The last column is the progress status towards the
strategy's goal.

:class:`ProfilePage` builds the figure once and then only changes texts, colours and marker
positions per municipality (:meth:`ProfilePage.update`); everything else — labels, headers, the
municipal spread, the nation — is the same on every page. With ``blit=True`` the unchanging
part is rasterised once and each page redraws only the changing artists on top of it, which is
what makes 357 pages fast. On top of that the table cells whose content repeats between
municipalities (a status, an arrow, a county's value, a rounded percentage) are kept as pixel
blocks after they are first drawn and pasted back when the same content comes again. A cell is
a fixed rectangle that no other changing artist touches, and a block is only kept when its text
fits inside it, so a blitted page is pixel-identical to a full draw (tested). Artists carry
``gid`` values (``GID_*``) so tests can find them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from pipelines import formatting, palette
from pipelines.charts import style
from pipelines.profiles import data as pdata
from pipelines.profiles.texts import (  # noqa: F401  (re-exported: the page's words live there)
    COUNTY_COLOR,
    HEADERS,
    LEGEND_COUNTY,
    LEGEND_IQR,
    LEGEND_MUNICIPALITY,
    LEGEND_NATION,
    LEGEND_RANGE,
    MUNICIPALITY_COLOR,
    NATION_COLOR,
    NO_STATUS_COLOR,
    SPINE_NOTE,
    STATUS_COLORS,
    SYMBOL_NOTE_PREFIX,
    SYMBOL_NOTES_NB,
    TREND_ARROWS,
    TREND_COLORS,
    TREND_NOTE,
    PageContext,
    change_text,
    page_context,
    row_details,
    spine_positions,
    static_notes,
    status_text,
    strategy_label,
    subtitle_text,
    symbol_note,
    title_text,
)

# --- Geometry (inches; A4 landscape) ----------------------------------------------------------

PAGE_SIZE_IN = (11.69, 8.27)
DEFAULT_DPI = 150  # sharp enough for slides and print; the HTML page is the one to read on screen

_PAD_X = 0.35
_TITLE_Y = 0.32
_SUBTITLE_Y = 0.72
_LEGEND_Y = 1.02
_HEADER_Y = 1.42
_TABLE_TOP = 1.62
_TABLE_BOTTOM = 6.9
_NOTES_Y = 7.0
_SYMBOLS_Y = 7.47

# Column anchors (x in inches); values are right-aligned on their anchor.
_X_LABEL = _PAD_X
_X_VALUE = 4.95
_X_TREND = 5.12
_X_CHANGE = 5.38
_X_COUNTY = 6.72
_X_NATION = 7.42
_X_SPINE = (7.62, 9.72)
_X_STATUS_MARK = 9.92
_X_STATUS = 10.05

LABEL_WRAP = 56

# Columns of profile_data that change from one municipality to the next.
UPDATE_COLUMNS = (
    "kommunenr",
    "kommune_name",
    "county_name",
    "kostra_group_name",
    "row",
    "value",
    "status",
    "data_origin",
    "trend",
    "trend_assessment",
    "change",
    "prev_year",
    "county_value",
    "county_status",
    "national_status",
    "progress_strategy",
    "progress_status",
    "progress_status_nb",
)

# --- Colours: the same on the HTML page (pipelines/profiles/texts.py) ----------------------------

OI = palette.OKABE_ITO
STRIPE_COLOR = "#F3F3F3"

# --- gids -------------------------------------------------------------------------------------

GID_TITLE = "profile_title"
GID_SUBTITLE = "profile_subtitle"
GID_NOTES = "profile_notes"
GID_SYMBOLS = "profile_symbols"
GID_FOOTER = style.FOOTER_GID
GID_RANGE = "spine_range"
GID_IQR = "spine_iqr"
GID_NATION_MARK = "spine_nation"
GID_COUNTY_MARK = "spine_county"
GID_MUNICIPALITY_MARK = "spine_municipality"
GID_STATUS_MARK = "status_mark"
GID_LEGEND = "profile_legend"


def row_gid(kind: str, row: int) -> str:
    """The gid of a per-row text: kind is label, value, trend, change, county, nation or status."""
    return f"{kind}_{row}"


# --- Page -------------------------------------------------------------------------------------


def _artist_key(artist) -> tuple:
    if isinstance(artist, Text):
        return (artist.get_text(), str(artist.get_color()))
    return tuple(np.round(artist.get_facecolor(), 4))


@dataclass
class _Cell:
    """A fixed rectangle of the page (pixels, origin bottom left) and the changing artists in it."""

    artists: list
    bbox: Bbox
    cached: dict  # artists' key → BufferRegion, or None when the content overflows the cell

    def key(self) -> tuple:
        return tuple(_artist_key(a) for a in self.artists)


class ProfilePage:
    """A reusable profile figure; call :meth:`update` with one municipality's rows of
    :func:`~pipelines.profiles.data.profile_data`, then :meth:`render_rgb` (or save the figure).

    ``template`` is any municipality's rows: the row labels, years, nation and municipal spread
    are the same for every municipality and are drawn once.
    """

    # Pixel blocks kept per cell; a cell whose content hardly repeats (a value with decimals)
    # stops growing at this size, which bounds memory at a few tens of MB.
    MAX_BLOCKS_PER_CELL = 64

    def __init__(
        self, template: pd.DataFrame, context: PageContext, *, dpi: int = DEFAULT_DPI, blit: bool = False
    ):
        rows = template.sort_values("row")
        self.n = len(rows)
        if self.n == 0:
            raise ValueError("a profile needs at least one indicator row")
        self.context = context
        self.dpi = dpi
        self.year = int(rows["year"].max())
        self._decimals = rows["decimals"].astype(int).to_numpy()
        self._years = rows["year"].astype(int).to_numpy()
        self._lo = rows["scale_min"].to_numpy(dtype=float)
        self._hi = rows["scale_max"].to_numpy(dtype=float)
        self._flip = rows["direction"].eq("lower_is_better").to_numpy()
        self._direct: list = []  # changing artists drawn on every page
        self._cells: list[_Cell] = []  # changing artists in cells
        self._background = None
        self._footer_key: tuple | None = None

        with style.house_style():
            self.fig = style.new_figure(PAGE_SIZE_IN, dpi)
            self._build(rows)
        self.set_blit(blit)

    # -- geometry helpers --

    @property
    def row_height(self) -> float:
        return (_TABLE_BOTTOM - _TABLE_TOP) / self.n

    def _row_y(self, i: int) -> float:
        return _TABLE_TOP + (i + 0.5) * self.row_height

    def _text(self, x: float, y: float, text: str = "", **kwargs) -> Text:
        return self.ax.text(x, y, text, clip_on=False, **kwargs)

    def _add_cell(self, artists: list, x0: float, y0: float, x1: float, y1: float) -> None:
        """A cell from (x0, y0) to (x1, y1) in inches from the top left, rounded out to pixels."""
        height = PAGE_SIZE_IN[1]
        bbox = Bbox.from_extents(
            math.floor(x0 * self.dpi),
            math.floor((height - y1) * self.dpi),
            math.ceil(x1 * self.dpi),
            math.ceil((height - y0) * self.dpi),
        )
        self._cells.append(_Cell(artists, bbox, {}))

    # -- building --

    def _build(self, rows: pd.DataFrame) -> None:
        fig = self.fig
        width, height = PAGE_SIZE_IN
        # One overlay axes in inches from the top left carries the table's texts and stripes.
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        self.ax = ax

        self.title = self._text(_PAD_X, _TITLE_Y, fontsize=16, fontweight="bold", va="center", gid=GID_TITLE)
        self.subtitle = self._text(
            _PAD_X, _SUBTITLE_Y, fontsize=10.5, color=palette.COLORS["muted"], va="center", gid=GID_SUBTITLE
        )
        self._direct.append(self.title)
        # Few combinations of county and KOSTRA group exist, so the subtitle is a cached cell.
        self._add_cell([self.subtitle], _PAD_X - 0.05, _SUBTITLE_Y - 0.15, width - _PAD_X, _SUBTITLE_Y + 0.15)

        h = self.row_height
        for i in range(0, self.n, 2):
            ax.add_patch(
                Rectangle(
                    (_PAD_X - 0.1, _TABLE_TOP + i * h),
                    width - 2 * _PAD_X + 0.2,
                    h,
                    facecolor=STRIPE_COLOR,
                    edgecolor="none",
                    zorder=0,
                )
            )
        header = {"fontsize": 8.5, "fontweight": "bold", "va": "bottom", "color": palette.COLORS["text"]}
        self._text(_X_LABEL, _HEADER_Y, HEADERS["label"], **header)
        self._text(_X_VALUE, _HEADER_Y, HEADERS["value"], ha="right", **header)
        self._text(_X_TREND, _HEADER_Y, HEADERS["trend"], **header)
        self._text(_X_COUNTY, _HEADER_Y, HEADERS["county"], ha="right", **header)
        self._text(_X_NATION, _HEADER_Y, HEADERS["nation"], ha="right", **header)
        self._text(sum(_X_SPINE) / 2, _HEADER_Y, HEADERS["spine"], ha="center", **header)
        self._text(_X_STATUS_MARK - 0.08, _HEADER_Y, HEADERS["status"], **header)
        ax.plot(
            [_PAD_X - 0.1, width - _PAD_X + 0.1], [_HEADER_Y + 0.06] * 2, color=palette.COLORS["axis"], lw=0.8
        )

        self.values, self.trends, self.changes, self.counties = [], [], [], []
        self.statuses, self.status_marks = [], []
        muted = palette.COLORS["muted"]
        for i, row in enumerate(rows.itertuples(index=False)):
            y = self._row_y(i)
            top, bottom = _TABLE_TOP + i * h + 0.02, _TABLE_TOP + (i + 1) * h - 0.02
            label = "\n".join(textwrap.wrap(str(row.label_nb), LABEL_WRAP))
            self._text(
                _X_LABEL, y - 0.035, label, fontsize=9, va="bottom", linespacing=1.1, gid=row_gid("label", i)
            )
            details = row_details(row.unit, row.direction, row.year, self.year)
            self._text(_X_LABEL, y + 0.02, details, fontsize=7.5, va="top", color=muted)
            self._text(
                _X_NATION,
                y,
                formatting.display_value(row.national_value, row.national_status, row.decimals),
                fontsize=9.5,
                ha="right",
                va="center",
                gid=row_gid("nation", i),
            )

            value = self._text(
                _X_VALUE, y, fontsize=10, fontweight="bold", ha="right", va="center", gid=row_gid("value", i)
            )
            trend = self._text(
                _X_TREND, y, fontsize=12, fontweight="bold", va="center", gid=row_gid("trend", i)
            )
            change = self._text(
                _X_CHANGE, y, fontsize=8, va="center", color=muted, linespacing=1.1, gid=row_gid("change", i)
            )
            county = self._text(_X_COUNTY, y, fontsize=9.5, ha="right", va="center", gid=row_gid("county", i))
            status = self._text(
                _X_STATUS, y, fontsize=8, va="center", linespacing=1.1, gid=row_gid("status", i)
            )
            mark = Rectangle(
                (_X_STATUS_MARK - 0.045, y - 0.045),
                0.09,
                0.09,
                facecolor=NO_STATUS_COLOR,
                edgecolor="none",
                gid=GID_STATUS_MARK,
            )
            ax.add_patch(mark)
            self.values.append(value)
            self.trends.append(trend)
            self.changes.append(change)
            self.counties.append(county)
            self.statuses.append(status)
            self.status_marks.append(mark)
            self._add_cell([value], _X_VALUE - 1.0, top, _X_VALUE + 0.06, bottom)
            self._add_cell([trend], _X_TREND - 0.04, top, _X_CHANGE - 0.04, bottom)
            self._add_cell([change], _X_CHANGE - 0.03, top, _X_COUNTY - 0.75, bottom)
            self._add_cell([county], _X_COUNTY - 0.74, top, _X_COUNTY + 0.06, bottom)
            self._add_cell([mark, status], _X_STATUS_MARK - 0.1, top, width - 0.1, bottom)

        self._build_spine(rows)
        self._build_legend()

        self.notes = self._text(
            _PAD_X,
            _NOTES_Y,
            "\n".join(static_notes(rows["progress_strategy"], self.context)),
            fontsize=7.5,
            va="top",
            linespacing=1.4,
            gid=GID_NOTES,
        )
        self.symbols = self._text(_PAD_X, _SYMBOLS_Y, fontsize=7.5, va="top", gid=GID_SYMBOLS)
        self._add_cell([self.symbols], _PAD_X - 0.05, _SYMBOLS_Y - 0.03, width - _PAD_X, _SYMBOLS_Y + 0.2)
        # The footer belongs to the background; a page with another data origin redraws it.
        self.footer = style.add_footer(
            fig, self.context.source_nb, ["synthetic"], self.context.release, x_in=_PAD_X
        )

    def _build_spine(self, rows: pd.DataFrame) -> None:
        width, height = PAGE_SIZE_IN
        x0, x1 = _X_SPINE
        spine = self.fig.add_axes(
            (x0 / width, 1 - _TABLE_BOTTOM / height, (x1 - x0) / width, (_TABLE_BOTTOM - _TABLE_TOP) / height)
        )
        spine.set_xlim(-0.04, 1.04)
        spine.set_ylim(self.n - 0.5, -0.5)
        spine.set_axis_off()
        self.spine = spine
        y = np.arange(self.n, dtype=float)

        def norm(column: str) -> np.ndarray:
            return spine_positions(rows[column].to_numpy(dtype=float), self._lo, self._hi, self._flip)

        for left_col, right_col, color, gid in (
            ("muni_min", "muni_max", palette.COLORS["band_range"], GID_RANGE),
            ("muni_q1", "muni_q3", palette.COLORS["band_iqr"], GID_IQR),
        ):
            a, b = norm(left_col), norm(right_col)
            ok = np.isfinite(a) & np.isfinite(b)
            bars = spine.barh(
                y[ok],
                np.abs(b - a)[ok],
                left=np.minimum(a, b)[ok],
                height=0.42,
                color=color,
                linewidth=0,
                zorder=1,
            )
            for bar in bars:
                bar.set_gid(gid)

        nation = np.where(rows["national_status"].eq(pdata.SHOWN).to_numpy(), norm("national_value"), np.nan)
        segments = [[(x, yy - 0.3), (x, yy + 0.3)] for x, yy in zip(nation, y, strict=True) if np.isfinite(x)]
        marks = LineCollection(segments, colors=NATION_COLOR, linewidths=2.2, zorder=2, capstyle="butt")
        marks.set_gid(GID_NATION_MARK)
        spine.add_collection(marks)

        empty = np.full(self.n, np.nan)
        self.county_marks = spine.scatter(
            empty, y, s=30, marker="D", c=COUNTY_COLOR, linewidths=0, zorder=3, gid=GID_COUNTY_MARK
        )
        self.municipality_marks = spine.scatter(
            empty,
            y,
            s=75,
            marker="o",
            c=MUNICIPALITY_COLOR,
            edgecolors=palette.COLORS["text"],
            linewidths=0.8,
            zorder=4,
            gid=GID_MUNICIPALITY_MARK,
        )
        self._direct += [self.county_marks, self.municipality_marks]
        self._y = y

    def _build_legend(self) -> None:
        text = palette.COLORS["text"]
        handles = [
            Line2D([], [], ls="none", marker="o", markersize=8, markerfacecolor=MUNICIPALITY_COLOR,
                   markeredgecolor=text, markeredgewidth=0.8, label=LEGEND_MUNICIPALITY),
            Line2D([], [], ls="none", marker="D", markersize=5.5, color=COUNTY_COLOR, label=LEGEND_COUNTY),
            Line2D([], [], ls="none", marker="|", markersize=11, markeredgewidth=2.2, color=NATION_COLOR,
                   label=LEGEND_NATION),
            Patch(facecolor=palette.COLORS["band_range"], label=LEGEND_RANGE),
            Patch(facecolor=palette.COLORS["band_iqr"], label=LEGEND_IQR),
        ]  # fmt: skip
        width, height = PAGE_SIZE_IN
        legend = self.fig.legend(
            handles=handles,
            loc="center left",
            bbox_to_anchor=(_PAD_X / width - 0.004, 1 - _LEGEND_Y / height),
            ncol=len(handles),
            fontsize=8.5,
            handlelength=1.6,
            columnspacing=1.8,
            borderaxespad=0,
            borderpad=0,
        )
        legend.set_gid(GID_LEGEND)

    # -- per municipality --

    def update(self, rows: pd.DataFrame) -> None:
        """Show one municipality: ``rows`` are its rows of ``profile_data``."""
        if not rows["row"].is_monotonic_increasing:
            rows = rows.sort_values("row")
        self.update_columns({column: rows[column].to_numpy(dtype=object) for column in UPDATE_COLUMNS})

    def update_columns(self, columns: Mapping[str, Sequence]) -> None:
        """:meth:`update` from plain columns (``UPDATE_COLUMNS``, rows in display order).

        This skips pandas per page, which matters when 357 pages are drawn in a row.
        """
        if len(columns["row"]) != self.n:
            raise ValueError(f"expected {self.n} indicator rows, got {len(columns['row'])}")
        self.title.set_text(title_text(columns["kommune_name"][0], columns["kommunenr"][0], self.year))
        self.subtitle.set_text(subtitle_text(columns["county_name"][0], columns["kostra_group_name"][0]))

        statuses = list(columns["status"])
        county_statuses = list(columns["county_status"])
        values = np.asarray(columns["value"], dtype=float)
        county_values = np.asarray(columns["county_value"], dtype=float)
        muted = palette.COLORS["muted"]
        names, main = self.context.strategy_names, self.context.main_strategy
        for i in range(self.n):
            decimals = self._decimals[i]
            trend = columns["trend"][i]
            self.values[i].set_text(formatting.display_value(values[i], statuses[i], decimals))
            self.trends[i].set_text(TREND_ARROWS.get(trend, "") if isinstance(trend, str) else "")
            self.trends[i].set_color(TREND_COLORS.get(columns["trend_assessment"][i], muted))
            self.changes[i].set_text(
                change_text(columns["change"][i], decimals, columns["prev_year"][i], self._years[i])
            )
            county = formatting.display_value(county_values[i], county_statuses[i], decimals)
            self.counties[i].set_text(county)
            self.statuses[i].set_text(
                status_text(columns["progress_status_nb"][i], columns["progress_strategy"][i], main, names)
            )
            self.status_marks[i].set_facecolor(
                STATUS_COLORS.get(columns["progress_status"][i], NO_STATUS_COLOR)
            )

        shown = np.array([s == pdata.SHOWN for s in statuses])
        county_shown = np.array([s == pdata.SHOWN for s in county_statuses])
        x_muni = np.where(shown, spine_positions(values, self._lo, self._hi, self._flip), np.nan)
        x_county = np.where(
            county_shown, spine_positions(county_values, self._lo, self._hi, self._flip), np.nan
        )
        self.municipality_marks.set_offsets(np.column_stack([x_muni, self._y]))
        self.county_marks.set_offsets(np.column_stack([x_county, self._y]))

        present = set(statuses) | set(county_statuses) | set(columns["national_status"])
        self.symbols.set_text(symbol_note(present))
        self._set_footer(columns["data_origin"])

    def _set_footer(self, origins: Iterable) -> None:
        named = [o for o in origins if isinstance(o, str)] or ["synthetic"]
        codes = tuple(formatting.data_origin_codes(named))
        if codes == self._footer_key:
            return
        self._footer_key = codes
        text = formatting.footer_text(self.context.source_nb, list(codes), self.context.release)
        self.footer.set_text(formatting.wrap_footer(text, style.footer_max_chars(PAGE_SIZE_IN[0], _PAD_X)))
        self._background = None  # the footer is part of the background

    # -- output --

    def _changing(self) -> list:
        return self._direct + [a for cell in self._cells for a in cell.artists]

    def set_blit(self, blit: bool) -> None:
        """With ``blit`` the changing artists are left out of a full draw and drawn by
        :meth:`render_rgb` over a cached background; turn it off before a vector save."""
        self.blit = blit
        for artist in self._changing():
            artist.set_animated(blit)

    def render_rgb(self) -> np.ndarray:
        """The current page as an (height, width, 3) uint8 array (a view), drawn with Agg."""
        canvas = self.fig.canvas
        with style.house_style():
            if not self.blit:
                canvas.draw()
                return np.asarray(canvas.buffer_rgba())[..., :3]
            if self._background is None:
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
                for cell in self._cells:
                    cell.cached.clear()
            else:
                canvas.restore_region(self._background)
            renderer = canvas.get_renderer()
            for cell in self._cells:
                key = cell.key()
                block = cell.cached.get(key, _MISSING)
                if block is not _MISSING and block is not None:
                    canvas.restore_region(block)
                    continue
                for artist in cell.artists:
                    artist.draw(renderer)
                if block is _MISSING and len(cell.cached) < self.MAX_BLOCKS_PER_CELL:
                    fits = all(
                        _inside(a.get_window_extent(renderer), cell.bbox)
                        for a in cell.artists
                        if not isinstance(a, Text) or a.get_text()
                    )
                    cell.cached[key] = canvas.copy_from_bbox(cell.bbox) if fits else None
            for artist in self._direct:
                artist.draw(renderer)
        return np.asarray(canvas.buffer_rgba())[..., :3]


_MISSING = object()


def _inside(extent: Bbox, cell: Bbox) -> bool:
    return extent.x0 >= cell.x0 and extent.x1 <= cell.x1 and extent.y0 >= cell.y0 and extent.y1 <= cell.y1


def build_profile_figure(
    data: pd.DataFrame,
    kommunenr: str,
    context: PageContext,
    *,
    dpi: int = DEFAULT_DPI,
) -> Figure:
    """The profile page of one municipality as a stand-alone figure (for tests and notebooks).

    ``data`` is the output of :func:`~pipelines.profiles.data.profile_data` (all municipalities
    or just this one).
    """
    rows = data[data["kommunenr"].astype(object) == str(kommunenr)]
    if rows.empty:
        raise ValueError(f"no profile rows for municipality {kommunenr!r}")
    page = ProfilePage(rows, context, dpi=dpi, blit=False)
    page.update(rows)
    return page.fig
