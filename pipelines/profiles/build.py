"""Municipality profiles from the warehouse's public tables (what the asset and `direct` call)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.profiles.render import ProfileResult, render_profiles


def build_profiles(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> ProfileResult:
    values = con.execute(f'SELECT * FROM "{PUBLIC_TABLE}"').df()
    attainment = con.execute("SELECT * FROM goal_attainment").df()
    geography = con.execute("SELECT * FROM dim_geography").df()
    return render_profiles(values, attainment, geography, catalogue, base_dir, release)
