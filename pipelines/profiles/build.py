"""Municipality profiles from the published public release (what the assets and `direct` call).

``con`` is :func:`pipelines.exports.reader.open_release`'s connection: its tables are views of the
release's Parquet files under the names of the warehouse tables they were published from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.profiles.render import ProfileResult, render_county_pdfs, render_profiles


def _tables(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    values = con.execute(f'SELECT * FROM "{PUBLIC_TABLE}"').df()
    attainment = con.execute("SELECT * FROM goal_attainment").df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    return values, attainment, geography


def build_profiles(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> ProfileResult:
    """The HTML pages, PNGs, index pages and ``index.csv``."""
    return render_profiles(*_tables(con), catalogue, base_dir, release)


def build_county_pdfs(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> list[Path]:
    """The county PDFs."""
    return render_county_pdfs(*_tables(con), catalogue, base_dir, release)
