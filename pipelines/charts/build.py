"""Every indicator chart from the warehouse's public table (what the asset and `direct` call)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.charts.render import CHART_COLUMNS, render_indicator_charts
from pipelines.privacy.build import PUBLIC_TABLE


def build_charts(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> list[Path]:
    columns = ", ".join(f'"{c}"' for c in CHART_COLUMNS)  # the charts' columns, not all 20
    values = con.execute(f'SELECT {columns} FROM "{PUBLIC_TABLE}"').df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    return render_indicator_charts(values, catalogue, base_dir, release, geography=geography)
