"""Compute every catalogue indicator for every geography, year and target group.

The arithmetic lives in ``assets/sql/indicator_values.sql``; this module prepares its inputs —
the indicator specs from YAML, the level each indicator's values rest on, and which reported
geographies make up which published ones — and runs it in DuckDB.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.levels import geo_membership
from pipelines.geography.reference import NATION_CODE, NATION_NAME
from pipelines.paths import ASSETS_DIR
from pipelines.warehouse import replace_rows_from_sql, table_rows, transaction

INDICATOR_TABLE = "indicator_values"
LEVEL_RANK = {"kommune": 0, "fylke": 1, "land": 2}


def base_level(catalogue: Catalogue, numerator: str, denominator: str | None) -> str:
    """The coarsest level among an indicator's measures: where its parts can be paired."""
    levels = [catalogue.measure_level(numerator)]
    if denominator is not None:
        levels.append(catalogue.measure_level(denominator))
    return max(levels, key=LEVEL_RANK.__getitem__)


def indicator_table(indicator_id: str) -> str:
    """The warehouse table (and Dagster asset) holding one indicator's values."""
    return f"indicator_{indicator_id}"


def indicator_spec(catalogue: Catalogue, indicator_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per indicator × target group, as the SQL expects."""
    rows = []
    for indicator in catalogue.indicators.values():
        if indicator_ids is not None and indicator.id not in indicator_ids:
            continue
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            rows.append(
                {
                    "indicator_id": indicator.id,
                    "target_group": group,
                    "numerator": numerator,
                    "denominator": denominator,
                    "factor": float(indicator.factor),
                    "unit": indicator.unit,
                    "base_level": base_level(catalogue, numerator, denominator),
                }
            )
    return pd.DataFrame(rows).astype({"denominator": "object"})


def unit_tables(
    membership: pd.DataFrame, dim_municipality: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unit_rollup, unit_membership) for the three base levels.

    A county unit counts towards its county, its statsforvalter region (when the membership has
    regions: a region is whole counties) and the nation."""
    municipalities = dim_municipality["kommunenr"]
    counties = dim_municipality[["county_code", "county_name"]].drop_duplicates()
    county_of = dim_municipality[["county_code", "kommunenr"]]

    def rows(base: str, unit, member_level: str, member) -> pd.DataFrame:
        return pd.DataFrame({"base_level": base, "unit_code": unit, "member_level": member_level,
                             "member_code": member})  # fmt: skip

    codes = counties["county_code"]
    rollup = pd.concat(
        [
            rows("kommune", municipalities, "kommune", municipalities),
            rows("fylke", county_of["county_code"], "kommune", county_of["kommunenr"]),
            rows("fylke", codes, "fylke", codes),
            rows("land", NATION_CODE, "kommune", municipalities),
            rows("land", NATION_CODE, "fylke", codes),
            rows("land", [NATION_CODE], "land", [NATION_CODE]),
        ],
        ignore_index=True,
    )
    order = membership.drop_duplicates("geo_level").set_index("geo_level")["geo_order"]
    by_municipality = membership.rename(columns={"kommunenr": "unit_code"}).assign(base_level="kommune")
    regions = (
        membership.loc[membership["geo_level"] == "statsforvalter", ["kommunenr", "geo_code", "geo_name"]]
        .merge(county_of, on="kommunenr")
        .drop_duplicates(["county_code", "geo_code"])
    )
    if regions["county_code"].duplicated().any():
        raise ValueError("a county lies in more than one statsforvalter region")
    by_county = pd.concat(
        [
            pd.DataFrame({"unit_code": codes, "geo_level": "fylke", "geo_code": codes,
                          "geo_name": counties["county_name"]}),
            pd.DataFrame({"unit_code": regions["county_code"], "geo_level": "statsforvalter",
                          "geo_code": regions["geo_code"], "geo_name": regions["geo_name"]}),
            pd.DataFrame({"unit_code": codes, "geo_level": "land", "geo_code": NATION_CODE,
                          "geo_name": NATION_NAME}),
        ]
    ).assign(base_level="fylke")  # fmt: skip
    by_nation = pd.DataFrame(
        {
            "unit_code": [NATION_CODE],
            "geo_level": ["land"],
            "geo_code": [NATION_CODE],
            "geo_name": [NATION_NAME],
        }
    ).assign(base_level="land")
    unit_membership = pd.concat([by_municipality, by_county, by_nation], ignore_index=True)
    unit_membership["geo_order"] = unit_membership["geo_level"].map(order)
    columns = ["base_level", "unit_code", "geo_level", "geo_order", "geo_code", "geo_name"]
    return rollup, unit_membership[columns]


def measure_years(catalogue: Catalogue) -> pd.DataFrame:
    rows = [(m.id, year) for m in catalogue.measures.values() if m.years for year in m.years]
    return pd.DataFrame(rows, columns=["measure_id", "year"]).astype(
        {"measure_id": "object", "year": "int64"}
    )


def indicator_values_query() -> str:
    return (ASSETS_DIR / "sql" / "indicator_values.sql").read_text(encoding="utf-8")


def build_indicator_values(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    years: list[int] | None = None,
    indicator_ids: list[str] | None = None,
    table: str = INDICATOR_TABLE,
) -> int:
    """Replace ``table`` (by default ``indicator_values``, every indicator) in the warehouse — all
    reporting years, or only the rows of ``years`` (each year's values rest on that year's
    measures only); returns the rows written. ``indicator_ids`` limits it to those indicators."""
    dim = con.execute("SELECT * FROM dim_municipality").df()
    groups = con.execute("SELECT * FROM dim_comparison_group").df()
    membership = geo_membership(dim, groups)
    rollup, unit_membership = unit_tables(membership, dim)
    inputs = {
        "indicator_spec": indicator_spec(catalogue, indicator_ids),
        "unit_rollup": rollup,
        "unit_membership": unit_membership,
        "geographies": membership.drop(columns="kommunenr").drop_duplicates(["geo_level", "geo_code"]),
        "measure_years": measure_years(catalogue),
        "reporting_years": pd.DataFrame({"year": years if years is not None else catalogue.settings.years}),
    }
    for name, frame in inputs.items():
        con.register(name, frame)
    try:
        return replace_rows_from_sql(con, table, indicator_values_query(), "year", years)
    finally:
        for name in inputs:
            con.unregister(name)


def combine_indicator_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> int:
    """Replace ``indicator_values`` with every indicator's own table, in one transaction.

    Appended one table at a time, sorted by indicator id, so the rows keep the order one query
    over all indicators gives (DuckDB keeps insertion order)."""
    first, *rest = sorted(catalogue.indicators)
    with transaction(con):
        con.execute(f'CREATE OR REPLACE TABLE "{INDICATOR_TABLE}" AS FROM "{indicator_table(first)}"')
        for indicator_id in rest:
            con.execute(f'INSERT INTO "{INDICATOR_TABLE}" BY NAME FROM "{indicator_table(indicator_id)}"')
    return table_rows(con, INDICATOR_TABLE)
