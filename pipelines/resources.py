"""Dagster resources shared by every stage: where outputs go, the DuckDB warehouse, the sources,
and which reporting years a run covers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.catalogue.modes import catalogue_for
from pipelines.paths import default_release_id, output_dir
from pipelines.runs import record_run_process
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.ratelimit import (
    DEFAULT_MAX_CALLS,
    DEFAULT_WINDOW_SECONDS,
    SSB_MAX_CALLS,
    SSB_WINDOW_SECONDS,
    limiter_for,
)
from pipelines.ssb.statbank import StatbankClient
from pipelines.warehouse import open_for_writing, warehouse_path

RELEASE_ENV = "BOLIG_RELEASE"  # e.g. 2025-06-16; default: today's date in Norway
WAIT_ENV = "BOLIG_WAREHOUSE_WAIT_SECONDS"
STATBANK_URL = "https://data.ssb.no/api/pxwebapi/v2"
KLASS_URL = "https://data.ssb.no/api/klass/v1"
FIGURES = ("final", "preliminary")


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file. A step that opens it holds the warehouse lock (a file lock
    beside it, `warehouse.duckdb.lock`) until it closes it, so two runs started at once take
    turns step by step instead of failing on DuckDB's single-writer lock. The operating system
    releases the lock when a process dies, even after `kill -9`: nothing is left to clean up."""

    database: str
    wait_seconds: float = 1800.0  # how long a step waits for another run's step before it fails

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Tag the run with this process, so a run killed with `kill -9` can be recognised as
        # dead and marked failed (pipelines.runs) instead of staying "started" for ever.
        if context.instance is not None and context.run is not None:
            record_run_process(context.instance, context.run.run_id)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = Path(self.database)
        with open_for_writing(path, self.wait_seconds, log=dg.get_dagster_logger()) as con:
            yield con


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


class ReportingRun(dg.ConfigurableResource):
    """Which reporting years a run recomputes, and whether SSB's figures are final or preliminary.

    By default a run covers every reporting year in `assets/settings.yaml` with final figures.
    The March and June schedules set one year (the year before) and `preliminary` / `final`;
    from the launchpad, set e.g. `years: [2024]` to recompute one year's sources, measures and
    indicators (every other year's rows stay as they are)."""

    years: list[int] = []
    figures: str = "final"

    def selected_years(self) -> list[int] | None:
        """The years to recompute, or None for every reporting year."""
        if self.figures not in FIGURES:
            raise dg.Failure(f"reporting.figures = {self.figures!r}: expected one of {', '.join(FIGURES)}")
        if not self.years:
            return None
        known = catalogue().settings.years
        unknown = sorted(set(self.years) - set(known))
        if unknown:
            raise dg.Failure(
                f"reporting.years {unknown} are not reporting years ({known[0]}–{known[-1]} in "
                "assets/settings.yaml): raise last_year there first"
            )
        return sorted(set(self.years))

    @property
    def preliminary(self) -> bool:
        return self.figures == "preliminary"


class SourceSettings(dg.ConfigurableResource):
    """Where source data come from: `demo` (bundled files, default), `cache` (replayed StatBank
    responses, offline) or `live` (Statistics Norway's APIs), and how politely and patiently live
    calls are made. Set in the launchpad's resource config, or with BOLIG_SOURCE_MODE,
    BOLIG_STATBANK_URL, BOLIG_KLASS_URL, BOLIG_CACHE_DIR, BOLIG_ALLOW_STALE and, for the numbers,
    the BOLIG_STATBANK_* variables in `NUMBER_ENV_VARS`."""

    mode: str = "demo"
    statbank_base_url: str = STATBANK_URL
    klass_base_url: str = KLASS_URL
    cache_dir: str = ""
    allow_stale: bool = False  # use the last cached response (marked stale) when a live call fails
    retries: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 30.0  # one attempt, from connecting to the body's last byte
    total_deadline_seconds: float = 120.0  # one request: all its attempts and the waits between
    # The process's rate limit for the StatBank server (KLASS, on the same host, shares it). SSB
    # allows 30 calls per 60 s per IP address; 27 leaves room for other users of the address.
    max_calls_per_window: int = DEFAULT_MAX_CALLS
    rate_window_seconds: float = DEFAULT_WINDOW_SECONDS
    # Tables (ids in assets/statbank.yaml) to ask live; the others come from the cache, or stay
    # missing with a note. None: every enabled table.
    live_tables: list[str] | None = None

    def cache_root(self, base: Path) -> Path:
        return Path(self.cache_dir) if self.cache_dir else base / "cache" / "ssb"

    def statbank_client(self, base: Path) -> StatbankClient | None:
        if self.mode == "demo":
            return None
        _check_live_settings(self)
        limiter = limiter_for(self.statbank_base_url)
        limiter.configure(self.max_calls_per_window, self.rate_window_seconds)
        return StatbankClient(
            self.statbank_base_url,
            ResponseCache(self.cache_root(base)),
            self.mode,
            allow_stale=self.allow_stale,
            retries=self.retries,
            backoff=self.backoff_seconds,
            timeout=self.timeout_seconds,
            total_deadline=self.total_deadline_seconds,
            limiter=limiter,
        )

    def catalogue(self) -> Catalogue:
        return catalogue_for(self.mode)


def build_resources(
    base: Path | None = None, release: str | None = None, sources: SourceSettings | None = None
) -> dict[str, dg.ConfigurableResource]:
    base = base or output_dir()
    env = os.environ
    return {
        "warehouse": Warehouse(
            database=str(warehouse_path(base)), wait_seconds=float(env.get(WAIT_ENV, "1800"))
        ),
        "paths": OutputPaths(output_dir=str(base), release=release or env.get(RELEASE_ENV, "")),
        "reporting": ReportingRun(),
        "sources": sources
        or SourceSettings(
            mode=env.get("BOLIG_SOURCE_MODE", "demo"),
            statbank_base_url=env.get("BOLIG_STATBANK_URL", STATBANK_URL),
            klass_base_url=env.get("BOLIG_KLASS_URL", KLASS_URL),
            cache_dir=env.get("BOLIG_CACHE_DIR", ""),
            allow_stale=env.get("BOLIG_ALLOW_STALE", "").lower() in {"1", "true", "yes"},
            **{
                field: _number(env, name, SourceSettings.model_fields[field].default, kind)
                for field, (name, kind) in NUMBER_ENV_VARS.items()
            },
        ),
    }


# The numeric settings of `SourceSettings` and the environment variables that set them.
NUMBER_ENV_VARS = {
    "timeout_seconds": ("BOLIG_STATBANK_TIMEOUT_SECONDS", float),
    "retries": ("BOLIG_STATBANK_RETRIES", int),
    "backoff_seconds": ("BOLIG_STATBANK_BACKOFF_SECONDS", float),
    "total_deadline_seconds": ("BOLIG_STATBANK_TOTAL_DEADLINE_SECONDS", float),
    "max_calls_per_window": ("BOLIG_STATBANK_MAX_CALLS", int),
    "rate_window_seconds": ("BOLIG_STATBANK_RATE_WINDOW_SECONDS", float),
}


def _check_live_settings(settings: SourceSettings) -> None:
    """Refuse values (from the launchpad, say) that the environment's parser would refuse, and a
    rate limit above SSB's published one."""
    problems = []
    for field, (name, _kind) in NUMBER_ENV_VARS.items():
        value = getattr(settings, field)
        if value < 0 or (value == 0 and field != "retries"):
            problems.append(f"{field} = {value!r} (env {name}): expected a number above 0")
    if settings.max_calls_per_window > SSB_MAX_CALLS or settings.rate_window_seconds < SSB_WINDOW_SECONDS:
        problems.append(
            f"{settings.max_calls_per_window} calls per {settings.rate_window_seconds:g} s "
            f"(max_calls_per_window, rate_window_seconds): SSB allows at most {SSB_MAX_CALLS} calls "
            f"per {SSB_WINDOW_SECONDS:g} s per IP address, so at most {SSB_MAX_CALLS} calls and at "
            f"least {SSB_WINDOW_SECONDS:g} s"
        )
    if problems:
        raise ValueError("sources: " + "; ".join(problems))


def _number(env, name: str, default, kind):
    """A positive number from the environment, or a clear error naming the variable."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a {'whole ' if kind is int else ''}number") from None
    if value < 0 or (kind is float and value == 0):
        raise ValueError(f"{name}={raw!r}: expected a number above 0")
    return value


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue, validated once when the code location loads."""
    return load_catalogue()

