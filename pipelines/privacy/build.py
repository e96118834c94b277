"""The suppression step between the internal and the public tier (the ``privacy`` stage)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.privacy.suppression import SuppressionResult, suppress
from pipelines.warehouse import replace_table, table_exists

PUBLIC_TABLE = "indicator_values_public"
FLAGGED_TABLE = "indicator_values_flagged"  # internal: with primary/secondary and the reason
CELLS_TABLE = "suppressed_cells"  # internal: every hidden measure cell and why
MEMO_TABLE = "suppression_memo"  # internal: secondary cells per input fingerprint (a cache)


def build_public_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> SuppressionResult:
    """Suppress the internal indicator table into the public one; store both and the cell flags."""
    values = con.execute(f'SELECT * FROM "{INDICATOR_TABLE}"').df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    result = suppress(values, catalogue, geography, _read_memo(con))
    replace_table(con, FLAGGED_TABLE, result.internal)
    replace_table(con, PUBLIC_TABLE, result.public)
    replace_table(con, CELLS_TABLE, result.cells)
    memo = pd.DataFrame(
        {"fingerprint": list(result.memo), "cells": [json.dumps(c) for c in result.memo.values()]},
        dtype="object",
    )
    replace_table(con, MEMO_TABLE, memo)
    return result


def _read_memo(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    if not table_exists(con, MEMO_TABLE):
        return {}
    rows = con.execute(f'SELECT fingerprint, cells FROM "{MEMO_TABLE}"').fetchall()
    return {fingerprint: [tuple(cell) for cell in json.loads(cells)] for fingerprint, cells in rows}
