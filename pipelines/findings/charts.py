"""Small multiples for the report: one figure per tested finding and one per prioritised measure.

Drawn from the published public rows only. Each panel is one indicator × target group: the
nation as a line (gaps are gaps, never zero), the counties as thin grey lines behind it, and
either the finding's period (its start and end marked) or the three periods of the before/after
comparison (each period's average annual change drawn as a dashed line through its mean).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts import style
from pipelines.formatting import format_number_nb, unit_label_nb
from pipelines.palette import OKABE_ITO, tint

PANEL_WIDTH_IN = 3.3
HEIGHT_IN = 3.5
NATION_COLOR = OKABE_ITO["blue"]
PERIOD_COLOR = OKABE_ITO["vermillion"]
COUNTY_COLOR = tint(OKABE_ITO["black"], 0.22)
SOURCE = "se indikatorhåndboken; beregnet fra den publiserte utgaven"


def _series(values: pd.DataFrame, indicator: str, group: str, level: str) -> pd.DataFrame:
    rows = values[
        (values["indicator_id"] == indicator)
        & (values["target_group"] == group)
        & (values["geo_level"] == level)
    ]
    return rows.sort_values(["geo_code", "year"])


def _title(catalogue: Catalogue, indicator: str, group: str) -> str:
    spec = catalogue.indicators[indicator]
    name = spec.name_nb
    if group != "alle":
        name += f" ({catalogue.target_groups[group].name_nb.lower()})"
    return "\n".join(textwrap.wrap(name, 42)[:3])


def _panel(ax, values: pd.DataFrame, catalogue: Catalogue, indicator: str, group: str) -> pd.Series:
    """Counties in grey (for rates; a county's count is not on the nation's scale) and the nation in
    colour; returns the nation's series by year."""
    if catalogue.indicators[indicator].unit != "count":
        for _, county in _series(values, indicator, group, "fylke").groupby("geo_code"):
            ax.plot(county["year"], county["value"], color=COUNTY_COLOR, linewidth=0.6, zorder=1)
    nation = _series(values, indicator, group, "land").set_index("year")["value"]
    ax.plot(
        nation.index, nation.values, color=NATION_COLOR, linewidth=2, marker="o", markersize=2.5, zorder=3
    )
    ax.set_title(_title(catalogue, indicator, group), fontsize=8, loc="left")
    unit = unit_label_nb(catalogue.indicators[indicator].unit)
    ax.set_ylabel(unit or "antall", fontsize=7)
    ax.yaxis.set_major_formatter(style.nb_tick_formatter())
    ax.xaxis.set_major_formatter(style.year_tick_formatter())
    ax.tick_params(labelsize=7)
    return nation


def _figure(n_panels: int):
    fig = style.new_figure(figsize=(max(2, n_panels) * PANEL_WIDTH_IN, HEIGHT_IN))
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    return fig, axes


def _png(fig, origin: str, release: str) -> bytes:
    style.add_footer(fig, SOURCE, origin, release)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.78, bottom=0.24, wspace=0.35)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=style.FIGURE_DPI)
    return buffer.getvalue()


def finding_png(
    values: pd.DataFrame, tests: pd.DataFrame, catalogue: Catalogue, origin: str, release: str
) -> bytes:
    """One panel per test of a finding: the period's start and end marked on the national line."""
    with style.house_style():
        fig, axes = _figure(len(tests))
        for ax, test in zip(axes, tests.itertuples(index=False), strict=False):
            nation = _panel(ax, values, catalogue, test.indicator_id, test.target_group)
            if pd.notna(test.start_year):
                ax.axvspan(test.start_year, test.end_year, color=tint(PERIOD_COLOR, 0.1), zorder=0)
                decimals = catalogue.indicators[test.indicator_id].decimals
                for year in (test.start_year, test.end_year):
                    ax.plot([year], [nation[year]], "o", color=PERIOD_COLOR, markersize=5, zorder=4)
                    ax.annotate(format_number_nb(nation[year], decimals), (year, nation[year]), fontsize=7,
                                xytext=(0, 6), textcoords="offset points", ha="center")  # fmt: skip
        for ax in axes[len(tests) :]:
            ax.set_visible(False)
        return _png(fig, origin, release)


def priority_png(
    values: pd.DataFrame, trends: pd.DataFrame, series: Sequence[tuple[str, str]], catalogue: Catalogue,
    origin: str, release: str,
) -> bytes:  # fmt: skip
    """One panel per indicator of a prioritised measure: each period's average annual change as a
    dashed line through the period's mean, and the breaks at 2018 and 2021."""
    with style.house_style():
        fig, axes = _figure(len(series))
        national = trends[trends["geo_level"] == "land"]
        for ax, (indicator, group) in zip(axes, series, strict=False):
            nation = _panel(ax, values, catalogue, indicator, group)
            rows = national[(national["indicator_id"] == indicator) & (national["target_group"] == group)]
            for period in rows.itertuples(index=False):
                if period.first_year > rows["first_year"].min():
                    ax.axvline(period.first_year - 0.5, color=COUNTY_COLOR, linestyle=":", linewidth=1)
                if pd.isna(period.average_annual_change):
                    continue
                years = [
                    y for y in range(period.first_year - 1, period.last_year + 1) if pd.notna(nation.get(y))
                ]
                if not years:
                    continue
                mid_year = sum(years) / len(years)
                mid_value = float(nation[years].mean())
                xs = [years[0], years[-1]]
                ys = [mid_value + period.average_annual_change * (x - mid_year) for x in xs]
                ax.plot(xs, ys, color=PERIOD_COLOR, linestyle="--", linewidth=1.2, zorder=2)
        for ax in axes[len(series) :]:
            ax.set_visible(False)
        return _png(fig, origin, release)
