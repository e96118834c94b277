"""Compute goal attainment from the warehouse's indicator table and store it (the ``progress`` stage)."""

from __future__ import annotations

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.indicators.compute import INDICATOR_TABLE
from pipelines.progress.attainment import goal_attainment, goal_rollup
from pipelines.warehouse import replace_table


def build_goal_attainment(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> tuple[int, int]:
    """Replace ``goal_attainment`` and ``goal_rollup``; returns their row counts."""
    values = con.execute(f'SELECT * FROM "{INDICATOR_TABLE}"').df()
    attainment = goal_attainment(values, catalogue)
    rollup = goal_rollup(attainment, catalogue)
    return replace_table(con, "goal_attainment", attainment), replace_table(con, "goal_rollup", rollup)
