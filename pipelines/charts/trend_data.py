"""What a national trend chart draws, as plain numbers: :func:`trend_series`.

The chart (:mod:`pipelines.charts.indicator_chart`) draws these arrays and the steering report
prints them as the data table beside the chart, so both read the one computation here. No
matplotlib: the report loads this module without a drawing library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines import formatting

PREFERRED_TARGET_GROUP = "alle"
# A min–max band needs two counties; quartiles of fewer than four values are mostly
# interpolation, so the inner band is left out rather than suggesting a spread we do not know.
MIN_COUNTIES_FOR_RANGE = 2
MIN_COUNTIES_FOR_IQR = 4


@dataclass(frozen=True)
class TrendSeries:
    """What the chart draws, one entry per year of the span (NaN where nothing is drawn).

    ``national_status`` is the national row's status per year ("" where there is no row), so a
    table can say why a year has no value («:» suppressed, «..» missing, «.» not applicable).
    """

    years: np.ndarray
    national: np.ndarray
    national_status: tuple[str, ...]
    county_min: np.ndarray
    county_max: np.ndarray
    county_q1: np.ndarray
    county_q3: np.ndarray
    has_national_rows: bool
    data_origins: list[str]


def distinct_values(column: pd.Series) -> list[str]:
    """The distinct non-null values of a column as text, in order of appearance.

    ``unique()`` first: iterating over every row of an Arrow-backed string column in Python is
    what would otherwise dominate a small chart's data preparation.
    """
    return [str(v) for v in column.dropna().unique()]


def main_target_group(values: pd.DataFrame, indicator: Mapping) -> str | None:
    """The target group a one-group chart shows (None when the table has no target groups).

    The indicator's main group (first of ``indicator["target_groups"]``) when the table has it,
    else "alle", else the first group in the table.
    """
    if "target_group" not in values.columns:
        return None
    present = distinct_values(values["target_group"])
    if not present:
        return None
    declared = list(indicator.get("target_groups") or ())
    if declared and declared[0] in present:
        return declared[0]
    return PREFERRED_TARGET_GROUP if PREFERRED_TARGET_GROUP in present else present[0]


def shown_values(frame: pd.DataFrame) -> pd.Series:
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


def data_origins(frame: pd.DataFrame) -> list[str]:
    """The origin codes of the rows drawn, for the footer (refuses a table without the column)."""
    if "data_origin" not in frame.columns:
        raise ValueError("values has no data_origin column; the footer must say where the data come from")
    return formatting.data_origin_codes(distinct_values(frame["data_origin"]))


def indicator_trend(values: pd.DataFrame, indicator: Mapping) -> tuple[str | None, TrendSeries]:
    """(target group, series) of the national trend chart of one indicator: the chart's main
    target group (:func:`main_target_group`) and what :func:`trend_series` makes of its rows."""
    group = main_target_group(values, indicator)
    return group, trend_series(values if group is None else values[values["target_group"] == group])


def trend_series(frame: pd.DataFrame) -> TrendSeries:
    """The national line and the county bands of one indicator and target group, per year.

    Only "shown" values count; the span runs from the first to the last year with a national or
    county row. The min–max band needs ``MIN_COUNTIES_FOR_RANGE`` county values in a year, the
    midtre halvdel (25th–75th percentile, linear interpolation) ``MIN_COUNTIES_FOR_IQR``.
    """
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
        pd.Series(shown_values(land).to_numpy(), index=land["year"].to_numpy())
        .reindex(years)
        .to_numpy(dtype=float)
    )
    if "status" in land.columns:
        statuses = pd.Series(land["status"].astype(object).to_numpy(), index=land["year"].to_numpy())
    else:
        statuses = pd.Series("shown", index=land["year"].to_numpy(), dtype=object)
    national_status = tuple("" if pd.isna(s) else str(s) for s in statuses.reindex(years))

    counties = frame[frame["geo_level"] == "fylke"]
    if counties.duplicated(["geo_code", "year"]).any():
        raise ValueError("more than one row per county and year; the table is not for one indicator")
    county_values = counties.assign(_v=shown_values(counties)).dropna(subset=["_v"])
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

    origin_rows = plotted if not plotted.empty else frame
    return TrendSeries(
        years=years,
        national=national,
        national_status=national_status,
        county_min=np.where(range_ok, stats["min"].to_numpy(dtype=float), np.nan),
        county_max=np.where(range_ok, stats["max"].to_numpy(dtype=float), np.nan),
        county_q1=np.where(iqr_ok, stats["q1"].to_numpy(dtype=float), np.nan),
        county_q3=np.where(iqr_ok, stats["q3"].to_numpy(dtype=float), np.nan),
        has_national_rows=not land.empty,
        data_origins=data_origins(origin_rows),
    )
