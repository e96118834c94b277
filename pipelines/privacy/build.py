"""The suppression step between the internal and the public tier (the ``privacy`` stage)."""

from __future__ import annotations

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.privacy.suppression import SuppressionResult, suppress
from pipelines.warehouse import replace_table

PUBLIC_TABLE = "indicator_values_public"
FLAGGED_TABLE = "indicator_values_flagged"  # internal: with primary/secondary and the reason
CELLS_TABLE = "suppressed_cells"  # internal: every hidden measure cell and why


def build_public_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> SuppressionResult:
    """Suppress the internal indicator table into the public one; store both and the cell flags."""
    values = con.execute(f'SELECT * FROM "{INDICATOR_TABLE}"').df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    result = suppress(values, catalogue, geography)
    replace_table(con, FLAGGED_TABLE, result.internal)
    replace_table(con, PUBLIC_TABLE, result.public)
    replace_table(con, CELLS_TABLE, result.cells)
    return result
