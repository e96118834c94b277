"""The suppression step between the internal and the public tier (the ``privacy`` stage)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.privacy.suppression import SuppressionResult, hidden_share_table, memo_rows, suppress
from pipelines.warehouse import replace_table, table_exists

PUBLIC_TABLE = "indicator_values_public"
FLAGGED_TABLE = "indicator_values_flagged"  # internal: with primary/secondary and the reason
CELLS_TABLE = "suppressed_cells"  # internal: every hidden measure cell and why
AUDIT_TABLE = "suppression_audit"  # internal: per target, the interval an attacker can prove
SHARES_TABLE = "suppression_hidden_share"  # internal: hidden share per indicator and level
SUMMARY_TABLE = "suppression_summary"  # internal: the audit's headline figures (one row)
MEMO_TABLE = "suppression_memo"  # internal: answers per input fingerprint (a cache)


def build_public_values(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> SuppressionResult:
    """Suppress the internal indicator table into the public one; store both, the cells and the audit."""
    values = con.execute(f'SELECT * FROM "{INDICATOR_TABLE}"').df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    result = suppress(values, catalogue, geography, _read_memo(con))
    replace_table(con, FLAGGED_TABLE, result.internal)
    replace_table(con, PUBLIC_TABLE, result.public)
    replace_table(con, CELLS_TABLE, result.cells)
    replace_table(con, AUDIT_TABLE, result.audit)
    replace_table(con, SHARES_TABLE, hidden_share_table(result.internal, result.public))
    replace_table(con, SUMMARY_TABLE, pd.DataFrame([result.summary]))
    replace_table(con, MEMO_TABLE, memo_rows(result.memo))
    return result


def _read_memo(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    if not table_exists(con, MEMO_TABLE):
        return {}
    columns = {row[0] for row in con.execute(f'DESCRIBE "{MEMO_TABLE}"').fetchall()}
    if "answer" not in columns:
        return {}  # a memo from an earlier version of the step: solve afresh
    rows = con.execute(f'SELECT fingerprint, answer FROM "{MEMO_TABLE}"').fetchall()
    return {fingerprint: json.loads(answer) for fingerprint, answer in rows}
