"""Compute every catalogue indicator for every municipality, county and the nation.

The arithmetic lives in ``assets/sql/indicator_values.sql``; this module prepares its inputs
(the indicator specs from YAML and the geography membership) and runs it in DuckDB.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.levels import geo_membership
from pipelines.paths import ASSETS_DIR
from pipelines.warehouse import replace_table_from_sql

INDICATOR_TABLE = "indicator_values"


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


def indicator_values_query() -> str:
    return (ASSETS_DIR / "sql" / "indicator_values.sql").read_text(encoding="utf-8")


def build_indicator_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> int:
    """Replace ``indicator_values`` in the warehouse; returns its row count."""
    dim = con.execute("SELECT * FROM dim_municipality").df()
    groups = con.execute("SELECT * FROM dim_comparison_group").df()
    years = pd.DataFrame({"year": catalogue.settings.years})
    con.register("indicator_spec", indicator_spec(catalogue))
    con.register("geo_membership", geo_membership(dim, groups))
    con.register("reporting_years", years)
    try:
        return replace_table_from_sql(con, INDICATOR_TABLE, indicator_values_query())
    finally:
        for view in ("indicator_spec", "geo_membership", "reporting_years"):
            con.unregister(view)
