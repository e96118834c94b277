"""Dagster resources shared by every stage: where outputs go and the DuckDB warehouse."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.exports.release import default_release_id
from pipelines.paths import output_dir
from pipelines.warehouse import warehouse_path

# Every asset that writes the warehouse claims a slot in this pool. dagster.yaml limits the
# pool to one slot, so two runs started at once take turns instead of failing on DuckDB's
# single-writer lock.
DUCKDB_POOL = "duckdb_warehouse"
RELEASE_ENV = "BOLIG_RELEASE"  # e.g. 2025-06-16; default: today's date in Norway


class OutputPaths(dg.ConfigurableResource):
    """The folder that receives exports and charts (``data/`` unless BOLIG_OUTPUT_DIR is set), and
    the release id the exports are published under (today's date unless set)."""

    output_dir: str
    release: str = ""

    @property
    def base(self) -> Path:
        return Path(self.output_dir)

    @property
    def release_id(self) -> str:
        return self.release or default_release_id()


def build_resources(
    base: Path | None = None, release: str | None = None
) -> dict[str, dg.ConfigurableResource]:
    base = base or output_dir()
    return {
        "duckdb": DuckDBResource(database=str(warehouse_path(base))),
        "paths": OutputPaths(output_dir=str(base), release=release or os.environ.get(RELEASE_ENV, "")),
    }


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue, validated once when the code location loads."""
    return load_catalogue()
