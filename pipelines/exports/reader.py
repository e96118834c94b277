"""The published public release as a read-only DuckDB connection, for the products that are
built from it (charts, profiles, the report).

Products read what was published, not the warehouse, so "public values only" holds by
construction: each view below is a Parquet file of the release, under the name of the
warehouse table it was published from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.exports.public import LATEST_DIR

# warehouse table → file of the public release
RELEASE_FILES = {
    "indicator_values_public": "indicator_values.parquet",
    "goal_attainment": "goal_attainment.parquet",
    "goal_rollup": "goal_rollup.parquet",
    "finding_verdicts": "finding_verdicts.parquet",
    "finding_tests": "finding_tests.parquet",
    "priority_trends": "priority_trends.parquet",
    "dim_geography": "dim_geography.parquet",
}


def latest_release(base: Path) -> Path:
    return base / LATEST_DIR


@contextmanager
def open_release(folder: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with one view per published table of ``folder``."""
    missing = [name for name in RELEASE_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder}: the public release lacks {', '.join(missing)} — materialise `public_release` first"
        )
    con = duckdb.connect()
    try:
        for table, name in RELEASE_FILES.items():
            path = str((folder / name).resolve()).replace("'", "''")
            con.execute(f"CREATE VIEW \"{table}\" AS SELECT * FROM read_parquet('{path}')")
        yield con
    finally:
        con.close()
