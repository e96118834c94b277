"""The numbers on the statsforvalter region pages (pure pandas, no drawing).

A region page shows the profile's key indicators for the region, the nation and each of the
region's counties, in the year the municipality pages show for that indicator (the latest year
with a shown value). Values come from the public release as published: a value that is not
shown (suppressed, missing, not applicable) is NaN with its status kept, never a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.geography.reference import NATION_CODE, NATION_NAME
from pipelines.profiles.data import COUNTY_LEVEL, MISSING, NATION_LEVEL, SHOWN, spec_frame
from pipelines.profiles.spec import ProfileSpec

REGION_LEVEL = "statsforvalter"
PLACE_COLUMNS = [
    "statsforvalter_code",
    "row",
    "indicator_id",
    "target_group",
    "label_nb",
    "unit",
    "decimals",
    "direction",
    "year",
    "place_level",
    "place_code",
    "place_name",
    "value",
    "status",
    "data_origin",
]


@dataclass(frozen=True)
class Region:
    code: str  # SF01 … SF10
    name: str  # «Statsforvalteren i Vestland»
    counties: tuple[tuple[str, str], ...]  # (county_code, county name), by code


def regions(geography: pd.DataFrame) -> list[Region]:
    """The statsforvalter regions of ``dim_geography`` with their counties (none when the
    geography has no such level, as for vintages other than 2024)."""
    if "statsforvalter_code" not in geography.columns:
        return []
    geo = geography.astype({"geo_level": object, "geo_code": object})
    counties = geo[geo["geo_level"] == COUNTY_LEVEL]
    found = []
    for row in geo[geo["geo_level"] == REGION_LEVEL].sort_values("geo_code").itertuples(index=False):
        members = counties[counties["statsforvalter_code"].astype(object) == row.geo_code]
        found.append(
            Region(
                str(row.geo_code),
                str(row.geo_name),
                tuple(
                    sorted(zip(members["geo_code"].astype(str), members["geo_name"].astype(str), strict=True))
                ),
            )
        )
    return found


def region_data(
    values: pd.DataFrame,
    found: list[Region],
    catalogue,
    spec: ProfileSpec,
    row_years: pd.DataFrame,
) -> pd.DataFrame:
    """One row per region × profile row × place: the region, the nation, then each county.

    ``values`` is the public indicator table; ``row_years`` (row, year) the year each profile row
    shows (as on the municipality pages, from ``profile_data``)."""
    rows = spec_frame(spec, catalogue).merge(row_years.drop_duplicates("row"), on="row")
    v = values[["indicator_id", "target_group", "geo_level", "geo_code", "year", "value", "status"]].copy()
    v["data_origin"] = values["data_origin"] if "data_origin" in values.columns else None
    for column in ("indicator_id", "target_group", "geo_level", "geo_code", "status", "data_origin"):
        v[column] = v[column].astype(object).where(v[column].notna(), None)
    v["year"] = pd.to_numeric(v["year"]).astype(int)
    v["value"] = pd.to_numeric(v["value"]).astype(float).where(v["status"].eq(SHOWN))
    v = v.rename(columns={"geo_level": "place_level", "geo_code": "place_code"})
    places = []
    for region in found:
        sequence = [(REGION_LEVEL, region.code, region.name), (NATION_LEVEL, NATION_CODE, NATION_NAME)]
        sequence += [(COUNTY_LEVEL, code, name) for code, name in region.counties]
        for order, (level, code, name) in enumerate(sequence):
            places.append(
                {
                    "statsforvalter_code": region.code,
                    "place_order": order,
                    "place_level": level,
                    "place_code": code,
                    "place_name": name,
                }
            )
    if not places:
        return pd.DataFrame(columns=PLACE_COLUMNS)
    frame = pd.DataFrame(places).merge(rows, how="cross")
    keys = ["indicator_id", "target_group", "year", "place_level", "place_code"]
    frame = frame.merge(v, on=keys, how="left", validate="many_to_one")
    frame["status"] = frame["status"].where(frame["status"].notna(), MISSING)
    frame = frame.sort_values(["statsforvalter_code", "row", "place_order"], kind="stable")
    return frame[PLACE_COLUMNS].reset_index(drop=True)
