"""What one map shows, as plain data: its rows, classes, text alternative and county table.

Everything comes from the published public release (``indicator_values_public``): a suppressed
value is null there and is never turned into a colour or a number here — it is a status.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.exports.origin import origin_counts
from pipelines.formatting import SYNTHETIC_NB, display_value, format_value_nb, unit_label_nb
from pipelines.maps.classes import Classes, classify

MUNICIPALITY = "kommune"
COUNTY = "fylke"
LEVELS = (MUNICIPALITY, COUNTY)
SHOWN = "shown"
MISSING = "missing"
KNOWN_STATUSES = ("shown", "suppressed", "missing", "not_applicable")
STATUS_WORDS_NB = {
    "suppressed": "skjult (personvern)",
    "missing": "mangler",
    "not_applicable": "ikke aktuelt",
}
# The release's columns a map reads.
MAP_COLUMNS = [
    "indicator_id", "geo_level", "geo_code", "geo_name", "year", "target_group", "is_headline",
    "value", "unit", "status", "data_origin",
]  # fmt: skip


@dataclass(frozen=True)
class MapData:
    """One indicator's map: the headline target group's values in one year, per level.

    ``regions[level]`` has one row per code of the boundary file (columns code, name, value,
    status); a code without a release row is ``missing``. ``levels`` are the levels drawn: those
    with at least one shown value.
    """

    indicator_id: str
    name_nb: str
    unit: str
    decimals: int
    direction: str
    source_nb: str
    target_group: str
    target_group_nb: str
    year: int
    regions: Mapping[str, pd.DataFrame]
    levels: tuple[str, ...]
    classes: Classes
    origins: Mapping[str, int]  # data_origin → rows on the map (see pipelines.exports.origin)

    @property
    def synthetic(self) -> bool:
        return bool(self.origins.get("synthetic"))

    @property
    def origin_codes(self) -> list[str]:
        return [code for code, n in self.origins.items() if n]

    def counts(self, level: str) -> dict[str, int]:
        """Regions per status at ``level`` (every status, zeros included)."""
        statuses = self.regions[level]["status"]
        return {s: int((statuses == s).sum()) for s in KNOWN_STATUSES}


def headline_rows(values: pd.DataFrame, catalogue: Catalogue, indicator_id: str) -> pd.DataFrame:
    """The municipal and county rows of the indicator's headline target group (every year)."""
    rows = values[(values["indicator_id"] == indicator_id) & values["geo_level"].isin(LEVELS)]
    if "is_headline" in rows.columns:
        return rows[rows["is_headline"].fillna(False).astype(bool)]
    return rows[rows["target_group"] == catalogue.indicators[indicator_id].headline_group]


def map_year(rows: pd.DataFrame) -> int | None:
    """The latest year with a shown municipal or county value; None when there is none."""
    shown = rows[(rows["status"] == SHOWN) & rows["value"].notna()]
    return None if shown.empty else int(shown["year"].max())


def _level_frame(rows: pd.DataFrame, level: str, geometry: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """One row per boundary code: the release's value and status, ``missing`` where it has none."""
    at = rows[rows["geo_level"] == level].drop_duplicates("geo_code").set_index("geo_code")
    frame = pd.DataFrame(geometry, columns=["code", "name"])
    frame["value"] = frame["code"].map(at["value"]).astype(float)
    statuses = frame["code"].map(at["status"]).astype(object)
    frame["status"] = statuses.where(statuses.notna(), MISSING).astype(str)
    # Only a shown status carries a number; a shown row without one is missing, never zero.
    frame.loc[frame["status"] != SHOWN, "value"] = math.nan
    frame.loc[(frame["status"] == SHOWN) & frame["value"].isna(), "status"] = MISSING
    unknown = set(frame["status"]) - set(KNOWN_STATUSES)
    if unknown:
        raise ValueError(f"unknown status {sorted(unknown)} at {level}; expected {list(KNOWN_STATUSES)}")
    release_names = at["geo_name"].dropna() if "geo_name" in at.columns else pd.Series(dtype=str)
    names = frame["code"].map(release_names).astype(object)
    frame["name"] = names.where(names.notna(), frame["name"])
    return frame


def map_data(
    values: pd.DataFrame,
    catalogue: Catalogue,
    indicator_id: str,
    geometry: Mapping[str, Sequence[tuple[str, str]]],
) -> MapData | None:
    """The map of one indicator from the release's ``values``; None when no municipality or county
    has a shown value (an indicator published for the nation only has no map).

    ``geometry`` maps each level to the (code, name) of its boundary file's regions.
    """
    rows = headline_rows(values, catalogue, indicator_id)
    year = map_year(rows)
    if year is None:
        return None
    in_year = rows[rows["year"] == year]
    regions = {level: _level_frame(in_year, level, geometry[level]) for level in LEVELS}
    levels = tuple(level for level in LEVELS if (regions[level]["status"] == SHOWN).any())
    indicator = catalogue.indicators[indicator_id]
    class_level = MUNICIPALITY if MUNICIPALITY in levels else COUNTY
    every = pd.concat([regions[level]["value"] for level in levels])
    class_values = regions[class_level]["value"].dropna()
    classes = classify(class_values, every.dropna(), indicator.direction, decimals=indicator.decimals)
    assert classes is not None  # a level in `levels` has a shown value
    drawn = in_year[in_year["geo_level"].isin(levels)]
    target_group = str(in_year["target_group"].iloc[0])
    group = catalogue.target_groups.get(target_group)
    return MapData(
        indicator_id=indicator_id,
        name_nb=indicator.name_nb,
        unit=indicator.unit,
        decimals=int(indicator.decimals),
        direction=indicator.direction,
        source_nb=indicator.source_nb,
        target_group=target_group,
        target_group_nb=group.name_nb if group else target_group,
        year=year,
        regions=regions,
        levels=levels,
        classes=classes,
        origins=origin_counts(drawn["data_origin"]),
    )


# --- Words --------------------------------------------------------------------------------------


def value_text(data: MapData, value: float) -> str:
    return format_value_nb(value, data.unit, data.decimals)


def extremes(data: MapData) -> tuple[pd.Series, pd.Series] | None:
    """The counties with the highest and the lowest shown value (ties: the lower county code)."""
    shown = data.regions[COUNTY]
    shown = shown[shown["status"] == SHOWN].sort_values("code", kind="stable")
    if shown.empty:
        return None
    return shown.loc[shown["value"].idxmax()], shown.loc[shown["value"].idxmin()]


def alt_text_nb(data: MapData) -> str:
    """A text alternative for the map: what it shows, the highest and lowest counties with their
    values, and how many municipalities and counties are hidden, missing or not applicable."""
    levels = " og ".join({MUNICIPALITY: "kommuner", COUNTY: "fylker"}[level] for level in data.levels)
    parts = [f"Kart over {levels}: {data.name_nb}, {data.target_group_nb.lower()}, {data.year}."]
    pair = extremes(data)
    if pair is None:
        parts.append("Ingen fylker har publisert verdi.")
    else:
        high, low = pair
        if high["value"] == low["value"]:
            shown = int((data.regions[COUNTY]["status"] == SHOWN).sum())
            parts.append(f"Alle {shown} fylker med verdi har {value_text(data, high['value'])}.")
        else:
            parts.append(
                f"Høyest blant fylkene: {high['name']} ({value_text(data, high['value'])}); "
                f"lavest: {low['name']} ({value_text(data, low['value'])})."
            )
    for level, plural in ((MUNICIPALITY, "kommuner"), (COUNTY, "fylker")):
        if level not in data.levels:
            continue
        counts = data.counts(level)
        notes = [f"{counts[s]} {STATUS_WORDS_NB[s]}" for s in STATUS_WORDS_NB if counts[s]]
        detail = f"; {', '.join(notes)}" if notes else ""
        parts.append(f"{counts[SHOWN]} av {sum(counts.values())} {plural} har verdi{detail}.")
    if MUNICIPALITY not in data.levels:
        parts.append("Indikatoren publiseres ikke per kommune.")
    if data.synthetic:
        parts.append(SYNTHETIC_NB + ".")
    return " ".join(parts)


def county_table(data: MapData) -> list[dict[str, str]]:
    """The county values behind the map, in county order: code, name, the value as printed
    (Norwegian number, or the status symbol «:», «..», «.») and the status."""
    return [
        {
            "code": row.code,
            "name": row.name,
            "value": display_value(row.value, row.status, data.decimals),
            "status": row.status,
        }
        for row in data.regions[COUNTY].itertuples(index=False)
    ]


def title_nb(data: MapData) -> str:
    return f"{data.name_nb}, {data.year}"


def subtitle_nb(data: MapData) -> str:
    unit = unit_label_nb(data.unit)
    return f"Målgruppe: {data.target_group_nb.lower()} · {unit[:1].upper() + unit[1:]}"
