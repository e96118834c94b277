"""The text blocks around a chart (title, subtitle, legend, notes, footer) and where the plot goes.

Every chart kind has the same frame: title and subtitle at the top left, a direction note at the
top right, the legend under them, then the plot, then notes and the footer. :func:`add_blocks`
writes those texts with their ``gid`` values; :func:`place_blocks` stacks them (measured from the
rendered text, so wrapped titles and two-line footers fit) and returns the room left for the plot;
:func:`fit_axes` puts the plot's axes into that room, leaving space for its tick labels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from pipelines import palette
from pipelines.charts import style

GID_TITLE = "title"
GID_SUBTITLE = "subtitle"
GID_DIRECTION = "direction_note"
GID_NOTES = "notes"
GID_LEGEND = "legend"
GID_FOOTER = style.FOOTER_GID

DIRECTION_NOTES = {
    "lower_is_better": "Retning: lavere er bedre",
    "higher_is_better": "Retning: høyere er bedre",
    "neutral": "Kontekstindikator, uten retning",
}

# Titles are wrapped at the widest line length (in characters) that fits the figure.
TITLE_MAX_CHARS = 90
TITLE_MIN_CHARS = 30

# Layout distances in inches, so a chart looks the same whatever the figure size.
PAD_X_IN = 0.15
PAD_TOP_IN = 0.14
GAP_IN = 0.06
BLOCK_GAP_IN = 0.16


@dataclass
class Blocks:
    """The texts around the plot; ``legend`` is None when the chart has nothing to explain."""

    title: Text
    subtitle: Text
    direction: Text
    legend: Legend | None
    notes: Text
    footer: Text


def add_blocks(
    fig: Figure,
    *,
    title: str,
    subtitle: str,
    direction: str = "",
    handles: Sequence = (),
    notes: Iterable[str] = (),
    source: str,
    data_origins: str | Iterable[str],
    release: str,
    legend_ncol: int | None = None,
) -> Blocks:
    """Write title, subtitle, direction note, legend, notes and footer onto ``fig``.

    ``direction`` is the indicator's direction code ("lower_is_better", …); the texts are placed
    later by :func:`place_blocks`. Empty notes are dropped.
    """
    title_text = fig.text(
        0, 0, title, fontsize=13, fontweight="bold", ha="left", va="top", gid=GID_TITLE, linespacing=1.15
    )
    subtitle_text = fig.text(
        0, 0, subtitle, fontsize=10, ha="left", va="top", color=palette.COLORS["muted"], gid=GID_SUBTITLE
    )
    direction_text = fig.text(
        0,
        0,
        DIRECTION_NOTES.get(direction, ""),
        fontsize=8.5,
        ha="right",
        va="top",
        color=palette.COLORS["muted"],
        gid=GID_DIRECTION,
    )
    legend = None
    if handles:
        legend = fig.legend(
            handles=list(handles),
            labels=[h.get_label() for h in handles],
            loc="upper left",
            ncol=legend_ncol or max(1, len(handles)),
            borderaxespad=0,
            borderpad=0,
            handlelength=2.2,
            columnspacing=1.6,
        )
        legend.set_gid(GID_LEGEND)
    notes_text = fig.text(
        0,
        0,
        "\n".join(n for n in notes if n),
        fontsize=8,
        ha="left",
        va="bottom",
        color=palette.COLORS["text"],
        gid=GID_NOTES,
        linespacing=1.35,
    )
    footer = style.add_footer(fig, source, data_origins, release, x_in=PAD_X_IN)
    return Blocks(title_text, subtitle_text, direction_text, legend, notes_text, footer)


def fit_width(text_artist: Text, max_width_px: float, renderer) -> None:
    """Wrap a text artist's words at the longest line length whose rendered width fits."""
    words = " ".join(text_artist.get_text().split())
    for chars in range(TITLE_MAX_CHARS, TITLE_MIN_CHARS - 1, -2):
        text_artist.set_text("\n".join(textwrap.wrap(words, chars)))
        if text_artist.get_window_extent(renderer).width <= max_width_px:
            return


def add_indicator_blocks(
    fig: Figure,
    indicator: Mapping,
    *,
    what: str = "",
    subtitle: str,
    handles: Sequence = (),
    notes: Iterable[str] = (),
    data_origins: str | Iterable[str],
    release: str,
    legend_ncol: int | None = None,
) -> Blocks:
    """`add_blocks` for a chart of one indicator: its name (with «– what» when given) as the
    title, and its direction and source from the chart spec."""
    name = str(indicator.get("name_nb") or indicator.get("id") or "")
    return add_blocks(
        fig,
        title=f"{name} – {what}" if what else name,
        subtitle=subtitle,
        direction=str(indicator.get("direction") or ""),
        handles=handles,
        notes=notes,
        source=str(indicator.get("source_nb") or ""),
        data_origins=data_origins,
        release=release,
        legend_ncol=legend_ncol,
    )


def place_blocks(fig: Figure, blocks: Blocks) -> tuple[float, float]:
    """Stack the header above and the notes/footer below; return (floor, top) for the plot.

    Both are figure fractions: the plot with its tick labels must stay between them.
    """
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    pad_x = PAD_X_IN / fig.get_size_inches()[0]

    def frac_y(inches: float) -> float:
        return inches * fig.dpi / height_px

    def bottom_of(artist) -> float:
        return artist.get_window_extent(renderer).y0 / height_px

    def top_of(artist) -> float:
        return artist.get_window_extent(renderer).y1 / height_px

    blocks.title.set_position((pad_x, 1 - frac_y(PAD_TOP_IN)))
    fit_width(blocks.title, width_px * (1 - 2 * pad_x), renderer)
    y = bottom_of(blocks.title) - frac_y(GAP_IN)
    blocks.subtitle.set_position((pad_x, y))
    blocks.direction.set_position((1 - pad_x, y))
    # A long subtitle would run into the direction note: wrap it to the room left of it.
    direction_width = blocks.direction.get_window_extent(renderer).width if blocks.direction.get_text() else 0
    fit_width(blocks.subtitle, width_px * (1 - 2 * pad_x) - direction_width - 12, renderer)
    y = min(bottom_of(blocks.subtitle), bottom_of(blocks.direction)) - frac_y(BLOCK_GAP_IN)
    if blocks.legend is not None and blocks.legend.get_texts():
        blocks.legend.set_bbox_to_anchor((pad_x, y), transform=fig.transFigure)
        y = bottom_of(blocks.legend)
    top = y - frac_y(BLOCK_GAP_IN)

    y = top_of(blocks.footer) + frac_y(BLOCK_GAP_IN / 2)
    if blocks.notes.get_text():
        blocks.notes.set_position((pad_x, y))
        y = top_of(blocks.notes) + frac_y(GAP_IN)
    floor = y + frac_y(GAP_IN)
    return floor, top


def fit_axes(fig: Figure, ax: Axes, floor: float, top: float) -> None:
    """Size ``ax`` so that it and its tick labels fill the room between ``floor`` and ``top``.

    Measured again after the resize only if it moved the ticks (new labels can be wider).
    """
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    pad_x = PAD_X_IN / fig.get_size_inches()[0]
    ticks = None
    for _ in range(2):
        # A second measurement only when the resize moved the ticks (get_tightbbox is costly).
        locs = (tuple(ax.xaxis.get_majorticklocs()), tuple(ax.yaxis.get_majorticklocs()))
        if locs == ticks:
            return
        ticks = locs
        box = ax.get_position()
        tight = ax.get_tightbbox(renderer)
        extra_left = box.x0 - tight.x0 / width_px
        extra_right = max(0.0, tight.x1 / width_px - box.x1)
        extra_bottom = box.y0 - tight.y0 / height_px
        # The top tick label reaches half its height above the axes box.
        extra_top = max(0.0, tight.y1 / height_px - box.y1)
        left = pad_x + extra_left
        right = 1 - pad_x - extra_right
        bottom = floor + extra_bottom
        upper = top - extra_top
        ax.set_position((left, bottom, right - left, upper - bottom))
