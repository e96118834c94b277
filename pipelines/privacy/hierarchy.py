"""The additive relations between published cells: each parent is the sum of its children.

Built from the geography dimension (the public ``dim_geography``): every county, statsforvalter
region, KOSTRA group, centrality class and size band is the sum of its municipalities, and the
nation is the sum of the groups of each partition (and of the municipalities). For a measure
reported per county, each statsforvalter region is the sum of its counties and the nation the sum
of the counties (and of the regions).
"""

from __future__ import annotations

import pandas as pd

from pipelines.geography.reference import NATION_CODE

Cell = tuple[str, str]  # (geo_level, geo_code)


def partitions(dim_geography: pd.DataFrame) -> dict[str, str]:
    """Each level that groups municipalities → the column of the municipality rows that names
    the group: found from the data, so that a level added later (statsforvalter regions, …) is
    part of every attack and audit without a change here."""
    municipalities = dim_geography[dim_geography["geo_level"] == "kommune"]
    found: dict[str, str] = {}
    for level, codes in dim_geography.groupby("geo_level")["geo_code"]:
        if level in ("kommune", "land"):
            continue
        for column in municipalities.columns.drop(["geo_level", "geo_code", "geo_name"], errors="ignore"):
            named = set(municipalities[column].dropna().astype(str))
            if named and named <= set(codes):
                found[str(level)] = str(column)
                break
        else:
            raise ValueError(
                f"dim_geography: level '{level}' has no column of the municipality rows naming their "
                "group, so its sums cannot be part of the privacy audit"
            )
    return found


def county_partitions(dim_geography: pd.DataFrame) -> dict[str, str]:
    """The levels made of whole counties (statsforvalter regions) → the column of the county rows
    that names the group: the levels of `partitions` whose every municipality's group is its
    county's group."""
    municipalities = dim_geography[dim_geography["geo_level"] == "kommune"]
    counties = dim_geography[dim_geography["geo_level"] == "fylke"].set_index("geo_code")
    found: dict[str, str] = {}
    for level, column in partitions(dim_geography).items():
        if level == "fylke" or column not in counties.columns or counties[column].isna().any():
            continue
        of_county = municipalities["county_code"].map(counties[column])
        if (of_county == municipalities[column]).all():
            found[level] = column
    return found


def sum_relations(dim_geography: pd.DataFrame, base_level: str = "kommune") -> list[tuple[Cell, list[Cell]]]:
    """(parent, children) pairs for a measure reported at ``base_level`` (kommune or fylke)."""
    relations: list[tuple[Cell, list[Cell]]] = []
    nation: Cell = ("land", NATION_CODE)
    if base_level == "land":
        return relations
    if base_level == "fylke":
        counties = dim_geography[dim_geography["geo_level"] == "fylke"]
        relations.append((nation, [("fylke", c) for c in sorted(counties["geo_code"])]))
        for level, column in county_partitions(dim_geography).items():
            groups = counties.groupby(column)["geo_code"].apply(sorted)
            for group, members in groups.items():
                relations.append(((level, group), [("fylke", c) for c in members]))
            relations.append((nation, [(level, g) for g in sorted(groups.index)]))
        return relations
    municipalities = dim_geography[dim_geography["geo_level"] == "kommune"]
    relations.append((nation, [("kommune", c) for c in sorted(municipalities["geo_code"])]))
    for level, column in partitions(dim_geography).items():
        groups = municipalities.groupby(column)["geo_code"].apply(sorted)
        for group, members in groups.items():
            relations.append(((level, group), [("kommune", m) for m in members]))
        relations.append((nation, [(level, g) for g in sorted(groups.index)]))
    return relations
