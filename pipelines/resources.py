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
from pipelines.sources.modes import catalogue_for
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.statbank import StatbankClient
from pipelines.warehouse import warehouse_path

# Every asset that writes the warehouse claims a slot in this pool. dagster.yaml limits the
# pool to one slot, so two runs started at once take turns instead of failing on DuckDB's
# single-writer lock.
DUCKDB_POOL = "duckdb_warehouse"
# Every asset runs a range of yearly partitions in one run (one process, one DuckDB writer), so a
# backfill of all years is a single run from the UI and from `dagster asset materialize
# --partition-range`.
SINGLE_RUN = dg.BackfillPolicy.single_run()
RELEASE_ENV = "BOLIG_RELEASE"  # e.g. 2025-06-16; default: today's date in Norway
STATBANK_URL = "https://data.ssb.no/api/pxwebapi/v2"
KLASS_URL = "https://data.ssb.no/api/klass/v1"


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


class SourceSettings(dg.ConfigurableResource):
    """Where source data come from: `demo` (bundled files, default), `cache` (replayed StatBank
    responses, offline) or `live` (Statistics Norway's APIs). Set in the launchpad's resource
    config, or with BOLIG_SOURCE_MODE, BOLIG_STATBANK_URL, BOLIG_KLASS_URL, BOLIG_ALLOW_STALE."""

    mode: str = "demo"
    statbank_base_url: str = STATBANK_URL
    klass_base_url: str = KLASS_URL
    cache_dir: str = ""
    allow_stale: bool = False  # use the last cached response (marked stale) when a live call fails
    retries: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 30.0

    def cache_root(self, base: Path) -> Path:
        return Path(self.cache_dir) if self.cache_dir else base / "cache" / "ssb"

    def statbank_client(self, base: Path) -> StatbankClient | None:
        if self.mode == "demo":
            return None
        return StatbankClient(
            self.statbank_base_url,
            ResponseCache(self.cache_root(base)),
            self.mode,
            allow_stale=self.allow_stale,
            retries=self.retries,
            backoff=self.backoff_seconds,
            timeout=self.timeout_seconds,
        )

    def catalogue(self) -> Catalogue:
        return catalogue_for(self.mode)


def build_resources(
    base: Path | None = None, release: str | None = None, sources: SourceSettings | None = None
) -> dict[str, dg.ConfigurableResource]:
    base = base or output_dir()
    base.mkdir(parents=True, exist_ok=True)  # DuckDBResource does not create the warehouse's folder
    env = os.environ
    return {
        "duckdb": DuckDBResource(database=str(warehouse_path(base))),
        "paths": OutputPaths(output_dir=str(base), release=release or env.get(RELEASE_ENV, "")),
        "sources": sources
        or SourceSettings(
            mode=env.get("BOLIG_SOURCE_MODE", "demo"),
            statbank_base_url=env.get("BOLIG_STATBANK_URL", STATBANK_URL),
            klass_base_url=env.get("BOLIG_KLASS_URL", KLASS_URL),
            cache_dir=env.get("BOLIG_CACHE_DIR", ""),
            allow_stale=env.get("BOLIG_ALLOW_STALE", "").lower() in {"1", "true", "yes"},
        ),
    }


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue, validated once when the code location loads."""
    return load_catalogue()
