"""Where each municipality stands within its comparison group (KOSTRA group), for one year.

One row per KOSTRA group, each municipality a dot, the group's median marked and the national
value as a reference line. A caller may highlight one municipality (``highlight="0301"``): its
dot is larger and coloured, and its name is written next to it; the profile pages reuse this.

:func:`comparison_positions` prepares the numbers, :func:`draw_comparison_groups` draws them into
any axes (so a profile page can place it in its own layout) and :func:`plot_comparison_groups`
makes the complete chart with title, notes and footer. Municipalities without a published value
(suppressed, missing, not applicable) have no dot and are counted in the row label; they are
never drawn as zero.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import IdentityTransform, ScaledTranslation, blended_transform_factory

from pipelines import formatting, palette
from pipelines.charts import indicator_chart as ic
from pipelines.charts import layout, style

GID_MUNICIPALITIES = "municipalities"  # one scatter per group; its label is the group code
_DOT = MarkerStyle("o")
DOT_PATH = _DOT.get_path().transformed(_DOT.get_transform())  # what ax.scatter draws for "o"
GID_MEDIAN = "group_median"
GID_NATIONAL = "national_reference"
GID_HIGHLIGHT = "highlight"  # a ring around the highlighted municipality's dot
GID_HIGHLIGHT_LABEL = "highlight_label"
GID_GROUP_LABEL = "group_label"  # the group's name left of its row

LABEL_MUNICIPALITY = "Kommune"
LABEL_MEDIAN = "Median i gruppen"
LABEL_NATIONAL = "Landet"

DOT_COLOR = palette.OKABE_ITO["blue"]
DOT_ALPHA = 0.55
DOT_SIZE = 18.0
HIGHLIGHT_COLOR = palette.OKABE_ITO["vermillion"]
HIGHLIGHT_SIZE = 70.0
NATIONAL_COLOR = "#444444"
# Dots of one row are spread over a few lanes (by rank) so that close values stay apart.
JITTER_LANES = (0.0, 0.2, -0.2, 0.1, -0.1)

ROW_HEIGHT_IN = 0.3
WIDTH_IN = 8.0
CHROME_HEIGHT_IN = 2.3  # title, legend, notes and footer
DPI = 120


@dataclass(frozen=True)
class Municipalities:
    """The municipalities of one group that have a value, sorted by value (then number)."""

    kommunenr: np.ndarray
    names: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class GroupPositions:
    """The numbers behind the chart: per group its municipalities' values in one year."""

    year: int
    unit: str
    groups: list[str]  # group codes, top to bottom
    group_names: dict[str, str]
    members: dict[str, int]  # municipalities per group (with or without a value)
    values: dict[str, Municipalities]  # per group: those with a published value
    national: float  # NaN when the nation has no published value that year
    data_origins: list[str]


def kostra_membership(geography: pd.DataFrame | None = None) -> pd.Series:
    """KOSTRA group code ("EKG01") per municipality number, from the geography dimension.

    Accepts ``dim_geography`` (geo_level, geo_code, kostra_group) or ``dim_comparison_group``
    (kommunenr, kostra_group). Without a frame, reads the bundled reference file of the 2024
    groups (the groups the warehouse uses).
    """
    if geography is None:
        from pipelines.geography.reference import read_reference_csv

        frame = read_reference_csv("kostra_groups_2024.csv")
        return pd.Series(
            ("EKG" + frame["kostra_group"]).to_numpy(), index=frame["code"].to_numpy(), name="kostra_group"
        )
    if "kommunenr" in geography.columns:
        frame = geography[["kommunenr", "kostra_group"]]
    elif {"geo_level", "geo_code", "kostra_group"} <= set(geography.columns):
        frame = geography.loc[geography["geo_level"] == "kommune", ["geo_code", "kostra_group"]]
        frame = frame.rename(columns={"geo_code": "kommunenr"})
    else:
        raise ValueError("geography needs kommunenr or geo_level/geo_code, and kostra_group columns")
    frame = frame.dropna()
    return pd.Series(
        frame["kostra_group"].astype(str).to_numpy(),
        index=frame["kommunenr"].astype(str).to_numpy(),
        name="kostra_group",
    )


def _group_sort_key(code: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", code)
    return (int(digits) if digits else 10_000, code)


def _default_group_name(code: str) -> str:
    digits = re.sub(r"\D", "", code)
    return f"KOSTRA-gruppe {int(digits)}" if digits else code


def comparison_positions(
    values: pd.DataFrame,
    indicator: Mapping,
    membership: pd.Series,
    *,
    year: int | None = None,
    groups: Sequence[str] | None = None,
) -> GroupPositions | None:
    """Municipal values of the indicator's main target group, per KOSTRA group, in one year.

    ``year`` defaults to the latest year with any published municipal value; ``groups``
    restricts (and orders) the rows. None when no municipality has a published value.
    """
    unit = ic.resolve_unit(values, indicator)
    target_group = ic.main_target_group(values, indicator)
    rows = values if target_group is None else values[values["target_group"] == target_group]
    kommune = rows[rows["geo_level"] == "kommune"]
    kommune = kommune.assign(
        _v=ic.shown_values(kommune), year=pd.to_numeric(kommune["year"], errors="coerce")
    )
    with_value = kommune[kommune["_v"].notna()]
    if with_value.empty:
        return None
    year = int(with_value["year"].max()) if year is None else int(year)
    this_year = kommune[kommune["year"] == year]
    if this_year["geo_code"].duplicated().any():
        raise ValueError("more than one row per municipality and year; the table is not for one indicator")

    codes = groups if groups is not None else sorted(set(membership.to_numpy()), key=_group_sort_key)
    codes = [str(c) for c in codes]
    named = rows[rows["geo_level"] == "kostragruppe"].drop_duplicates("geo_code")
    names = dict(zip(named["geo_code"].astype(str), named["geo_name"].astype(str), strict=True))
    # numpy rather than one pandas selection per group: this runs for every indicator.
    kommunenr = this_year["geo_code"].astype(str).to_numpy(dtype=object)
    value = this_year["_v"].to_numpy(float)
    group_of = membership.reindex(kommunenr).to_numpy(dtype=object)
    keep = np.isfinite(value) & pd.notna(group_of)
    if not keep.any():
        return None  # no municipality with a value belongs to a known group (other borders?)
    kommunenr, value, group_of = kommunenr[keep], value[keep], group_of[keep].astype(str)
    town = this_year["geo_name"].astype(str).to_numpy(dtype=object)[keep]
    order = np.lexsort((kommunenr, value, group_of))
    kommunenr, value, group_of, town = kommunenr[order], value[order], group_of[order], town[order]
    starts = {g: i for i, g in reversed(list(enumerate(group_of)))}
    counts = pd.Series(group_of).value_counts().to_dict()
    per_group = {}
    for code in codes:
        lo = starts.get(code, 0)
        hi = lo + counts.get(code, 0)
        per_group[code] = Municipalities(kommunenr[lo:hi], town[lo:hi], value[lo:hi])
    members = membership.value_counts().to_dict()
    land = rows[(rows["geo_level"] == "land") & (pd.to_numeric(rows["year"], errors="coerce") == year)]
    national = ic.shown_values(land).to_numpy(float)
    shown_rows = pd.concat([this_year[this_year["_v"].notna()], land])
    return GroupPositions(
        year=year,
        unit=unit,
        groups=codes,
        group_names={c: names.get(c, _default_group_name(c)) for c in codes},
        members={c: int(members.get(c, 0)) for c in codes},
        values=per_group,
        national=float(national[0]) if national.size and np.isfinite(national[0]) else float("nan"),
        data_origins=ic.data_origins(shown_rows if not shown_rows.empty else rows),
    )


def draw_comparison_groups(
    ax: Axes, positions: GroupPositions, *, highlight: str | None = None
) -> tuple[list, bool]:
    """Draw the rows into ``ax``; returns the legend handles and whether the x axis starts at zero
    (False means the axis skips zero on purpose and the chart must say so).

    Sets the x limits, the unit as x label and the group names as y tick labels.

    Each group's dots are one scatter (gid ``GID_MUNICIPALITIES``, label = group code) holding
    exactly one dot per municipality with a value; the highlighted municipality's dot is in its
    group's scatter too, drawn last, larger and in ``HIGHLIGHT_COLOR``.
    """
    n = len(positions.groups)
    medians = []
    highlight_found = None
    all_values = [positions.national]
    dot_rgba = np.array([*to_rgb(DOT_COLOR), DOT_ALPHA])
    highlight_rgba = np.array([*to_rgb(HIGHLIGHT_COLOR), 1.0])
    for row, code in enumerate(positions.groups):
        frame = positions.values[code]
        x = frame.values
        all_values += list(x)
        lanes = np.array([JITTER_LANES[i % len(JITTER_LANES)] for i in range(len(x))])
        y = row + lanes
        colors = np.tile(dot_rgba, (len(x), 1))
        sizes = np.full(len(x), DOT_SIZE)
        edges = np.tile(np.array([1.0, 1.0, 1.0, 0.9]), (len(x), 1))
        order = np.arange(len(x))
        if highlight is not None:
            hit = np.flatnonzero(frame.kommunenr == highlight)
            if hit.size:
                i = int(hit[0])
                colors[i], sizes[i], edges[i] = highlight_rgba, HIGHLIGHT_SIZE, (0.0, 0.0, 0.0, 1.0)
                y[i] = row  # on the row's centre line, where the eye looks for it
                order = np.r_[np.delete(order, i), i]  # last, so it is drawn on top
                highlight_found = (float(x[i]), float(row), str(frame.names[i]))
        dots = PathCollection(
            [DOT_PATH],
            sizes=sizes[order],
            offsets=np.column_stack([x[order], y[order]]),
            offset_transform=ax.transData,
            facecolors=colors[order],
            edgecolors=edges[order],
            linewidths=0.5,
            zorder=3,
            label=code,
            gid=GID_MUNICIPALITIES,
            # The x limits hold every value; unclipped, a dot on the axis edge is drawn whole.
            clip_on=False,
        )
        dots.set_transform(IdentityTransform())  # sizes are in points², as with ax.scatter
        # Built directly rather than with ax.scatter (~1.6 ms each, 17 a chart): both limits are set
        # explicitly below, so the dots need no autoscaling.
        ax.add_collection(dots, autolim=False)
        medians.append(float(np.median(x)) if x.size else np.nan)

    rows = np.arange(n, dtype=float)
    ax.plot(
        medians,
        rows,
        linestyle="none",
        marker="|",
        markersize=15,
        markeredgewidth=2.4,
        color=palette.COLORS["text"],
        zorder=4,
        label=LABEL_MEDIAN,
        gid=GID_MEDIAN,
        clip_on=False,
    )
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor=(*to_rgb(DOT_COLOR), DOT_ALPHA),
            markeredgecolor="white",
            label=LABEL_MUNICIPALITY,
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="|",
            markersize=11,
            markeredgewidth=2.4,
            color=palette.COLORS["text"],
            label=LABEL_MEDIAN,
        ),
    ]
    if np.isfinite(positions.national):
        national = ax.axvline(
            positions.national,
            color=NATIONAL_COLOR,
            linestyle=(0, (4, 2.5)),
            linewidth=1.2,
            zorder=2,
            label=f"{LABEL_NATIONAL}: {formatting.format_number_nb(positions.national, 1)}",
            gid=GID_NATIONAL,
        )
        handles.append(national)
    if highlight_found is not None:
        x, y, name = highlight_found
        # A ring over the dot keeps it visible where the median mark would cover it.
        ax.scatter(
            [x],
            [y],
            s=HIGHLIGHT_SIZE * 1.9,
            facecolors="none",
            edgecolors=HIGHLIGHT_COLOR,
            linewidths=1.4,
            zorder=5,
            gid=GID_HIGHLIGHT,
            clip_on=False,
        )
        ax.annotate(
            name,
            (x, y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8.5,
            fontweight="bold",
            color=HIGHLIGHT_COLOR,
            zorder=6,
            gid=GID_HIGHLIGHT_LABEL,
            annotation_clip=False,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=8,
                markerfacecolor=HIGHLIGHT_COLOR,
                markeredgecolor="black",
                markeredgewidth=0.5,
                label=name,
            )
        )

    low, high, zero_based = ic.value_limits(np.asarray(all_values, dtype=float), positions.unit)
    ax.set_xlim(low, high)
    ax.set_ylim(n - 0.5, -0.5)
    # Row names as texts, not y ticks: seventeen tick objects cost more than the dots.
    ax.set_yticks([])
    at_left = blended_transform_factory(ax.transAxes, ax.transData)
    shift = ScaledTranslation(-4 / 72, 0, ax.figure.dpi_scale_trans)
    for row, code in enumerate(positions.groups):
        ax.text(
            0,
            row,
            _row_label(positions, code),
            transform=at_left + shift,
            ha="right",
            va="center",
            fontsize=8.5,
            gid=GID_GROUP_LABEL,
        )
    ic.format_value_axis(ax.xaxis, positions.unit)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="x", length=3)
    ax.spines["left"].set_visible(False)
    return handles, zero_based


def _row_label(positions: GroupPositions, code: str) -> str:
    name = positions.group_names[code]
    shown, total = len(positions.values[code]), positions.members[code]
    return name if shown == total else f"{name} ({shown} av {total})"


def plot_comparison_groups(
    values: pd.DataFrame,
    indicator: Mapping,
    release: str,
    membership: pd.Series | None = None,
    *,
    highlight: str | None = None,
    year: int | None = None,
    groups: Sequence[str] | None = None,
) -> Figure | None:
    """The complete chart: municipalities per KOSTRA group in the latest year with data.

    ``membership`` maps municipality number to KOSTRA group (see :func:`kostra_membership`;
    None reads the bundled reference). ``highlight`` is one municipality number to single out;
    ``year`` and ``groups`` as in :func:`comparison_positions`. None when no municipality has a
    published value (nothing to place).
    """
    if values is None or values.empty:
        raise ValueError(f"no rows to chart for indicator {indicator.get('id')!r}")
    membership = kostra_membership() if membership is None else membership
    positions = comparison_positions(values, indicator, membership, year=year, groups=groups)
    if positions is None:
        return None
    height = CHROME_HEIGHT_IN + ROW_HEIGHT_IN * max(len(positions.groups), 3)
    with style.house_style():
        fig = style.new_figure((WIDTH_IN, height), DPI)
        ax = fig.add_axes((0.25, 0.2, 0.7, 0.6))
        handles, zero_based = draw_comparison_groups(ax, positions, highlight=highlight)

        missing = any(len(positions.values[c]) < positions.members[c] for c in positions.groups)
        notes = [style.GAP_NOTE_DOTS if missing else ""]
        notes.append(
            "Tall i parentes: kommuner med publisert verdi av alle kommunene i gruppen." if missing else ""
        )
        if not np.isfinite(positions.national):
            notes.append(f"Landet har ingen publisert verdi i {positions.year}.")
        if highlight is not None and not any(
            (positions.values[c].kommunenr == highlight).any() for c in positions.groups
        ):
            notes.append(f"Kommune {highlight} har ingen publisert verdi i {positions.year}.")
        if not zero_based:
            notes.append("X-aksen starter ikke på null.")
        subtitle = ic.with_target_group(
            f"Kommunene i sine KOSTRA-grupper, {positions.year}",
            indicator,
            ic.main_target_group(values, indicator),
        )
        blocks = layout.add_indicator_blocks(
            fig, indicator, what="KOSTRA-grupper", subtitle=subtitle, handles=handles, notes=notes,
            data_origins=positions.data_origins, release=release,
        )  # fmt: skip
        floor, top = layout.place_blocks(fig, blocks)
        layout.fit_axes(fig, ax, floor, top)
    return fig
