"""Compute every catalogue indicator for every municipality, county and the nation.

The arithmetic lives in ``assets/sql/indicator_values.sql``; this module prepares its inputs
(the indicator specs from YAML and the geography membership) and runs it in DuckDB.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.reference import NATION_CODE, NATION_NAME
from pipelines.paths import ASSETS_DIR
from pipelines.warehouse import replace_table_from_sql

INDICATOR_TABLE = "indicator_values"
GEO_LEVELS = ("land", "fylke", "kommune")  # order in which rows are listed


def indicator_spec(catalogue: Catalogue) -> pd.DataFrame:
    """One row per indicator × target group, as the SQL expects."""
    rows = [
        {
            "indicator_id": ind.id,
            "target_group": group,
            "numerator": ind.numerator,
            "denominator": ind.denominator,
            "factor": float(ind.factor),
            "unit": ind.unit,
        }
        for ind in catalogue.indicators.values()
        for group in ind.target_groups
    ]
    return pd.DataFrame(rows)


def geo_membership(dim_municipality: pd.DataFrame) -> pd.DataFrame:
    """Which municipalities make up each geography at each level."""
    kommune = pd.DataFrame(
        {
            "geo_level": "kommune",
            "geo_code": dim_municipality["kommunenr"],
            "geo_name": dim_municipality["kommune_name"],
            "kommunenr": dim_municipality["kommunenr"],
        }
    )
    fylke = pd.DataFrame(
        {
            "geo_level": "fylke",
            "geo_code": dim_municipality["county_code"],
            "geo_name": dim_municipality["county_name"],
            "kommunenr": dim_municipality["kommunenr"],
        }
    )
    land = pd.DataFrame(
        {
            "geo_level": "land",
            "geo_code": NATION_CODE,
            "geo_name": NATION_NAME,
            "kommunenr": dim_municipality["kommunenr"],
        }
    )
    membership = pd.concat([land, fylke, kommune], ignore_index=True)
    membership["geo_order"] = membership["geo_level"].map({lvl: i for i, lvl in enumerate(GEO_LEVELS)})
    return membership


def indicator_values_query() -> str:
    return (ASSETS_DIR / "sql" / "indicator_values.sql").read_text(encoding="utf-8")


def build_indicator_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> int:
    """Replace ``indicator_values`` in the warehouse; returns its row count."""
    dim = con.execute("SELECT * FROM dim_municipality").df()
    years = pd.DataFrame({"year": catalogue.settings.years})
    con.register("indicator_spec", indicator_spec(catalogue))
    con.register("geo_membership", geo_membership(dim))
    con.register("reporting_years", years)
    try:
        return replace_table_from_sql(con, INDICATOR_TABLE, indicator_values_query())
    finally:
        for view in ("indicator_spec", "geo_membership", "reporting_years"):
            con.unregister(view)
