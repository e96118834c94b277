"""The additive relations between published cells: each parent is the sum of its children.

Built from the geography dimension (the public ``dim_geography``): every county, KOSTRA group,
centrality class and size band is the sum of its municipalities, and the nation is the sum of the
groups of each partition (and of the municipalities).
"""

from __future__ import annotations

import pandas as pd

from pipelines.geography.reference import NATION_CODE

Cell = tuple[str, str]  # (geo_level, geo_code)
PARTITIONS = {
    "fylke": "county_code",
    "kostragruppe": "kostra_group",
    "sentralitet": "centrality_class",
    "storrelsesgruppe": "size_band",
}


def sum_relations(dim_geography: pd.DataFrame, base_level: str = "kommune") -> list[tuple[Cell, list[Cell]]]:
    """(parent, children) pairs for a measure reported at ``base_level`` (kommune or fylke)."""
    relations: list[tuple[Cell, list[Cell]]] = []
    nation: Cell = ("land", NATION_CODE)
    if base_level == "land":
        return relations
    if base_level == "fylke":
        counties = dim_geography.loc[dim_geography["geo_level"] == "fylke", "geo_code"]
        return [(nation, [("fylke", c) for c in sorted(counties)])]
    municipalities = dim_geography[dim_geography["geo_level"] == "kommune"]
    relations.append((nation, [("kommune", c) for c in sorted(municipalities["geo_code"])]))
    for level, column in PARTITIONS.items():
        if column not in municipalities or municipalities[column].isna().all():
            continue
        groups = municipalities.groupby(column)["geo_code"].apply(sorted)
        for group, members in groups.items():
            relations.append(((level, group), [("kommune", m) for m in members]))
        relations.append((nation, [(level, g) for g in sorted(groups.index)]))
    return relations
