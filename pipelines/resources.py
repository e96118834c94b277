"""Dagster resources shared by every stage: where outputs go and the DuckDB warehouse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.paths import output_dir
from pipelines.warehouse import warehouse_path

# Every asset that writes the warehouse claims a slot in this pool. dagster.yaml limits the
# pool to one slot, so two runs started at once take turns instead of failing on DuckDB's
# single-writer lock.
DUCKDB_POOL = "duckdb_warehouse"


class OutputPaths(dg.ConfigurableResource):
    """The folder that receives exports and charts (``data/`` unless BOLIG_OUTPUT_DIR is set)."""

    output_dir: str

    @property
    def base(self) -> Path:
        return Path(self.output_dir)


def build_resources(base: Path | None = None) -> dict[str, dg.ConfigurableResource]:
    base = base or output_dir()
    return {
        "duckdb": DuckDBResource(database=str(warehouse_path(base))),
        "paths": OutputPaths(output_dir=str(base)),
    }


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue, validated once when the code location loads."""
    return load_catalogue()
