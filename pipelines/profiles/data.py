"""The numbers on the municipality profiles, as one long table (pure pandas, no drawing).

:func:`profile_data` returns one row per municipality and key indicator: the municipality's,
its county's and the nation's value in the indicator's latest year with data, the change since
the municipality's previous year with a value, the spread across all municipalities (for the
spine chart) and the progress status from ``goal_attainment``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.profiles.spec import ProfileSpec

SHOWN = "shown"
MISSING = "missing"
NATION_LEVEL = "land"
COUNTY_LEVEL = "fylke"
MUNICIPALITY_LEVEL = "kommune"
KOSTRA_LEVEL = "kostragruppe"

# Status when goal_attainment has no row for the series (e.g. a new indicator).
NO_STATUS = "no_status"
NO_STATUS_NB = "Ikke vurdert"

TREND_UP, TREND_DOWN, TREND_FLAT = "up", "down", "flat"
GOOD, BAD, NEUTRAL = "good", "bad", "neutral"

COLUMNS = [
    "kommunenr",
    "kommune_name",
    "county_code",
    "county_name",
    "kostra_group",
    "kostra_group_name",
    "row",
    "indicator_id",
    "target_group",
    "label_nb",
    "unit",
    "decimals",
    "direction",
    "year",
    "value",
    "status",
    "data_origin",
    "prev_year",
    "prev_value",
    "change",
    "trend",
    "trend_assessment",
    "county_value",
    "county_status",
    "national_value",
    "national_status",
    "n_municipalities",
    "muni_min",
    "muni_q1",
    "muni_q3",
    "muni_max",
    "scale_min",
    "scale_max",
    "progress_strategy",
    "progress_status",
    "progress_status_nb",
]


def spec_frame(spec: ProfileSpec, catalogue: Catalogue) -> pd.DataFrame:
    """The profile's rows with their catalogue attributes, in display order."""
    records = []
    for position, row in enumerate(spec.rows):
        indicator = catalogue.indicators[row.indicator]
        served = {ref.strategy for ref in indicator.serves}
        strategy = next((s for s in spec.status_strategies if s in served), None)
        records.append(
            {
                "row": position,
                "indicator_id": row.indicator,
                "target_group": row.target_group,
                "label_nb": row.label_nb,
                "unit": indicator.unit,
                "decimals": indicator.decimals,
                "direction": indicator.direction,
                "progress_strategy": strategy,
            }
        )
    return pd.DataFrame.from_records(records)


def _text(series: pd.Series) -> pd.Series:
    """Plain Python strings (object dtype), so merges and comparisons behave the same everywhere."""
    return series.astype(object).where(series.notna(), None)


def profile_year(values: pd.DataFrame, spec: ProfileSpec) -> int:
    """The latest year in which any key indicator has a shown value."""
    keys = pd.DataFrame(
        {
            "indicator_id": [r.indicator for r in spec.rows],
            "target_group": [r.target_group for r in spec.rows],
        }
    )
    shown = values.loc[values["status"].astype(object) == SHOWN, ["indicator_id", "target_group", "year"]]
    shown = shown.assign(
        indicator_id=_text(shown["indicator_id"]), target_group=_text(shown["target_group"])
    ).merge(keys, on=["indicator_id", "target_group"])
    if shown.empty:
        raise ValueError("none of the profile's indicators has a shown value")
    return int(pd.to_numeric(shown["year"]).max())


def profile_data(
    values: pd.DataFrame,
    goal_attainment: pd.DataFrame,
    geography: pd.DataFrame,
    catalogue: Catalogue,
    spec: ProfileSpec,
    year: int | None = None,
) -> pd.DataFrame:
    """One row per municipality (geo_level 'kommune' in ``geography``) and profile indicator.

    ``values`` is the public indicator table (``indicator_values_public``). For each indicator
    the shown year is the latest year up to ``year`` (default: the latest year of any profile
    indicator) in which it has a shown value at any level; all three columns (municipality,
    county, nation) are for that year. Values that are not shown (suppressed, missing, not
    applicable) are NaN with their status kept, never 0; a municipality without a row has
    status 'missing'.

    ``change`` is the value minus the municipality's latest earlier shown value; ``trend`` is
    'flat' when the change rounds to zero at the indicator's decimals (as it is printed), and
    ``trend_assessment`` says whether the change is 'good' or 'bad' given the direction
    ('neutral' for flat changes and context indicators). The progress status is that of the
    first strategy in ``spec.status_strategies`` the indicator serves.
    """
    rows = spec_frame(spec, catalogue)
    if year is None:
        year = profile_year(values, spec)

    v = values[["indicator_id", "target_group", "geo_level", "geo_code", "year", "value", "status"]].copy()
    v["data_origin"] = values["data_origin"] if "data_origin" in values.columns else None
    for column in ("indicator_id", "target_group", "geo_level", "geo_code", "status", "data_origin"):
        v[column] = _text(v[column])
    v["year"] = pd.to_numeric(v["year"]).astype(int)
    v = v.merge(rows[["row", "indicator_id", "target_group"]], on=["indicator_id", "target_group"])
    v = v[v["year"] <= year]
    shown = v["status"].eq(SHOWN)
    v["value"] = pd.to_numeric(v["value"]).astype(float).where(shown)

    # The year shown per indicator row: its latest year with any shown value.
    row_year = v[shown].groupby("row")["year"].max().rename("year")
    rows = rows.merge(row_year, left_on="row", right_index=True, how="left")
    rows["year"] = rows["year"].fillna(year).astype(int)
    current = v.merge(rows[["row", "year"]], on=["row", "year"])

    geo = geography.copy()
    for column in ("geo_level", "geo_code", "geo_name", "county_code", "county_name", "kostra_group"):
        geo[column] = _text(geo[column])
    kostra_names = dict(
        zip(
            geo.loc[geo["geo_level"] == KOSTRA_LEVEL, "geo_code"],
            geo.loc[geo["geo_level"] == KOSTRA_LEVEL, "geo_name"],
            strict=True,
        )
    )
    municipalities = (
        geo[geo["geo_level"] == MUNICIPALITY_LEVEL]
        .rename(columns={"geo_code": "kommunenr", "geo_name": "kommune_name"})[
            ["kommunenr", "kommune_name", "county_code", "county_name", "kostra_group"]
        ]
        .sort_values("kommunenr")
    )
    municipalities["kostra_group_name"] = municipalities["kostra_group"].map(kostra_names)
    frame = municipalities.merge(rows, how="cross")

    # Municipality, county and nation in the shown year.
    muni = current[current["geo_level"] == MUNICIPALITY_LEVEL][
        ["row", "geo_code", "value", "status", "data_origin"]
    ].rename(columns={"geo_code": "kommunenr"})
    frame = frame.merge(muni, on=["row", "kommunenr"], how="left", validate="many_to_one")
    frame["status"] = frame["status"].where(frame["status"].notna(), MISSING)
    county = current[current["geo_level"] == COUNTY_LEVEL][["row", "geo_code", "value", "status"]].rename(
        columns={"geo_code": "county_code", "value": "county_value", "status": "county_status"}
    )
    frame = frame.merge(county, on=["row", "county_code"], how="left", validate="many_to_one")
    frame["county_status"] = frame["county_status"].where(frame["county_status"].notna(), MISSING)
    nation = current[current["geo_level"] == NATION_LEVEL][["row", "value", "status"]].rename(
        columns={"value": "national_value", "status": "national_status"}
    )
    if nation["row"].duplicated().any():
        raise ValueError("more than one national row per indicator and year")
    frame = frame.merge(nation, on="row", how="left")
    frame["national_status"] = frame["national_status"].where(frame["national_status"].notna(), MISSING)

    # The municipality's previous shown value.
    earlier = v[shown & v["geo_level"].eq(MUNICIPALITY_LEVEL)].merge(
        rows[["row", "year"]].rename(columns={"year": "_shown_year"}), on="row"
    )
    earlier = earlier[earlier["year"] < earlier["_shown_year"]].sort_values("year")
    prev = (
        earlier.groupby(["row", "geo_code"], sort=False)[["year", "value"]]
        .last()
        .reset_index()
        .rename(columns={"geo_code": "kommunenr", "year": "prev_year", "value": "prev_value"})
    )
    frame = frame.merge(prev, on=["row", "kommunenr"], how="left")
    frame["prev_year"] = frame["prev_year"].astype("Int64")
    has_both = frame["status"].eq(SHOWN) & frame["prev_value"].notna()
    frame["change"] = (frame["value"] - frame["prev_value"]).where(has_both)
    scale = 10.0 ** frame["decimals"].astype(float)
    # Judged on the change as printed, so an arrow never contradicts its number («→ +1»).
    flat = (frame["change"].abs() * scale).round() == 0
    frame["trend"] = np.select(
        [~has_both, flat, frame["change"] > 0], [None, TREND_FLAT, TREND_UP], default=TREND_DOWN
    )
    frame["trend"] = frame["trend"].astype(object).where(has_both, None)
    sign = frame["direction"].map({"higher_is_better": 1.0, "lower_is_better": -1.0}).fillna(0.0)
    signed = np.sign(frame["change"].fillna(0.0)) * sign
    frame["trend_assessment"] = np.select(
        [~has_both, flat | signed.eq(0), signed > 0], [None, NEUTRAL, GOOD], default=BAD
    )
    frame["trend_assessment"] = frame["trend_assessment"].astype(object).where(has_both, None)

    # Spread across municipalities and a common scale per row (for the spine chart).
    muni_values = current[(current["geo_level"] == MUNICIPALITY_LEVEL) & current["value"].notna()]
    grouped = muni_values.groupby("row")["value"]
    spread = pd.DataFrame(
        {
            "n_municipalities": grouped.count(),
            "muni_min": grouped.min(),
            "muni_q1": grouped.quantile(0.25),
            "muni_q3": grouped.quantile(0.75),
            "muni_max": grouped.max(),
        },
        index=pd.Index(rows["row"], name="row"),
    )
    compared = current[current["geo_level"].isin([MUNICIPALITY_LEVEL, COUNTY_LEVEL, NATION_LEVEL])]
    compared = compared[compared["value"].notna()].groupby("row")["value"]
    spread["scale_min"] = compared.min()
    spread["scale_max"] = compared.max()
    frame = frame.merge(spread, left_on="row", right_index=True, how="left")
    frame["n_municipalities"] = frame["n_municipalities"].fillna(0).astype(int)

    # Progress status of the municipality's series.
    goals = goal_attainment[goal_attainment["geo_level"].astype(object) == MUNICIPALITY_LEVEL][
        ["strategy_id", "indicator_id", "target_group", "geo_code", "status", "status_nb"]
    ].copy()
    for column in goals.columns:
        goals[column] = _text(goals[column])
    goals = goals.rename(
        columns={
            "strategy_id": "progress_strategy",
            "geo_code": "kommunenr",
            "status": "progress_status",
            "status_nb": "progress_status_nb",
        }
    )
    frame = frame.merge(
        goals,
        on=["progress_strategy", "indicator_id", "target_group", "kommunenr"],
        how="left",
        validate="many_to_one",
    )
    no_status = frame["progress_status"].isna()
    frame.loc[no_status, "progress_status"] = NO_STATUS
    frame.loc[no_status, "progress_status_nb"] = NO_STATUS_NB

    frame = frame.sort_values(["kommunenr", "row"], kind="stable").reset_index(drop=True)
    return frame[COLUMNS]
