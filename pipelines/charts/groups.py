"""The national series of each target group of an indicator, against «alle».

Only for indicators with more than one target group (``indicator["target_groups"]``): one line
per group, «alle» first and darkest, in fixed colours (a group has the same colour on every
chart). Targets are drawn for the group they belong to, in that group's colour, and the strategy
periods are shaded. Suppressed, missing and not-applicable values are gaps, never zeros.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pipelines import palette
from pipelines.charts import indicator_chart as ic
from pipelines.charts import layout, style

GID_GROUP = "target_group_line"  # one line per target group; its label is the group's name
ALL = "alle"

# Okabe–Ito colours by target group, so a group looks the same on every chart. Yellow is left
# out (too light on white).
GROUP_COLORS: dict[str, str] = {
    "alle": palette.OKABE_ITO["black"],
    "barnefamilier": palette.OKABE_ITO["orange"],
    "unge": palette.OKABE_ITO["bluish_green"],
    "bostedslose": palette.OKABE_ITO["blue"],
    "rus_psykisk": palette.OKABE_ITO["reddish_purple"],
    "flyktninger": palette.OKABE_ITO["sky_blue"],
    "nedsatt_funksjonsevne": palette.OKABE_ITO["vermillion"],
}
# Markers differ too, so the lines stay apart in greyscale print.
GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
FALLBACK_COLORS = [c for name, c in palette.OKABE_ITO.items() if name not in ("yellow",)]


def chart_groups(values: pd.DataFrame, indicator: Mapping) -> list[str]:
    """The target groups the chart compares: «alle» (if there) first, then the indicator's order.

    Empty when the indicator has fewer than two target groups with rows: then there is nothing
    to compare and no chart is drawn.
    """
    present = set(ic._distinct(values["target_group"])) if "target_group" in values else set()
    declared = list(indicator.get("target_groups") or sorted(present))
    groups = [g for g in declared if g in present]
    if ALL in groups:
        groups = [ALL] + [g for g in groups if g != ALL]
    return groups if len(groups) > 1 else []


def group_color(group: str, index: int) -> str:
    return GROUP_COLORS.get(group, FALLBACK_COLORS[index % len(FALLBACK_COLORS)])


def plot_target_groups(values: pd.DataFrame, indicator: Mapping, release: str) -> Figure | None:
    """One national line per target group (None when the indicator has only one group).

    Lines carry gid ``GID_GROUP`` and the Norwegian group name (``indicator["target_group_names"]``)
    as label; targets (``indicator["targets"]``) are drawn for their own group.
    """
    if values is None or values.empty:
        raise ValueError(f"no rows to chart for indicator {indicator.get('id')!r}")
    groups = chart_groups(values, indicator)
    if not groups:
        return None
    unit = ic.resolve_unit(values, indicator)
    land = values[(values["geo_level"] == "land") & values["target_group"].isin(groups)]
    land = land.assign(year=pd.to_numeric(land["year"], errors="coerce"), _v=ic.shown_values(land))
    land = land[land["year"].notna()].assign(year=lambda f: f["year"].astype(int))
    if land.empty:
        return None
    if land.duplicated(["target_group", "year"]).any():
        raise ValueError("more than one national row per group and year; the table is not for one indicator")
    years = np.arange(land["year"].min(), land["year"].max() + 1)
    grid = land.pivot(index="target_group", columns="year", values="_v").reindex(index=groups, columns=years)
    names = indicator.get("target_group_names") or {}
    decimals = int(indicator.get("decimals") if indicator.get("decimals") is not None else 1)

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes((0.1, 0.2, 0.85, 0.6))
        x = years.astype(float)
        handles = []
        target_values = []
        target_notes: list[str] = []
        for i, group in enumerate(groups):
            y = grid.loc[group].to_numpy(float)
            color = group_color(group, i)
            (line,) = ax.plot(
                x,
                y,
                color=color,
                linewidth=2.6 if group == ALL else 2.0,
                marker=GROUP_MARKERS[i % len(GROUP_MARKERS)],
                markersize=5,
                markeredgecolor="white",
                markeredgewidth=0.8,
                label=str(names.get(group, group)),
                zorder=3 if group == ALL else 3.5,
                solid_capstyle="round",
                gid=GID_GROUP,
            )
            handles.append(line)
            national = {int(yr): float(v) for yr, v in zip(years, y, strict=True)}
            marks, notes = style.resolve_targets(indicator.get("targets") or (), group, national, decimals)
            style.draw_targets(ax, marks, color=color)
            target_values += [m.value for m in marks]
            target_notes += notes
        if target_values:
            handles.append(
                Line2D(
                    [],
                    [],
                    color=palette.COLORS["muted"],
                    linestyle=(0, (4, 2.5)),
                    linewidth=1.4,
                    marker="D",
                    markersize=5,
                    label="Mål (i målgruppens farge)",
                )
            )
        data = np.concatenate([grid.to_numpy(float).ravel(), np.asarray(target_values, dtype=float)])
        bottom, top, zero_based = ic.value_limits(data, unit)
        ax.set_ylim(bottom, top)
        ic.format_trend_axes(ax, years, unit)
        style.shade_strategy_periods(ax, indicator.get("strategies") or ())

        notes = [style.gap_note(grid.to_numpy(float).ravel())]
        if not zero_based:
            notes.append(ic.NOT_ZERO_BASED_NOTE)
        notes += target_notes
        span = ic.year_span_nb(years)
        subtitle = (
            f"Landet, {span} · målgruppene mot alle" if ALL in groups else f"Landet, {span} · målgruppene"
        )
        blocks = layout.add_indicator_blocks(
            fig, indicator, what="målgrupper", subtitle=subtitle, handles=handles, notes=notes,
            data_origins=ic.data_origins(land), release=release, legend_ncol=min(len(handles), 3),
        )  # fmt: skip
        ic.arrange(fig, ax, blocks)
    return fig
