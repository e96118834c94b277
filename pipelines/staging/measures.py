"""Build ``stg_measure_values``: one row per municipality × year × measure.

The long shape lets every indicator be computed by one generic query, whatever source its
numerator and denominator come from.
"""

from __future__ import annotations

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.warehouse import replace_table_from_sql

STAGED_TABLE = "stg_measure_values"


def measure_values_query(catalogue: Catalogue) -> str:
    """SQL that unpivots every declared measure from its raw source table."""
    parts = []
    for measure in catalogue.measures.values():
        source = catalogue.sources[measure.source]
        code, year = source.key_columns
        parts.append(
            f"""SELECT "{code}" AS kommunenr,
                   CAST("{year}" - {measure.year_offset} AS INTEGER) AS year,
                   '{measure.id}' AS measure_id,
                   CAST("{measure.column}" AS DOUBLE) AS value,
                   data_origin,
                   '{source.id}' AS source_id
            FROM "raw_{source.id}\""""
        )
    settings = catalogue.settings
    return (
        "SELECT * FROM (\n"
        + "\nUNION ALL\n".join(parts)
        + f"\n) WHERE year BETWEEN {settings.first_year} AND {settings.last_year}"
        + " ORDER BY measure_id, kommunenr, year"
    )


def build_measure_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> int:
    """Replace the staged measure table; returns its row count."""
    return replace_table_from_sql(con, STAGED_TABLE, measure_values_query(catalogue))
