"""Materialise every asset for every reporting year from Python, as `make run` does on the CLI.

Used by the tests (one full run into a temporary folder) and by the benchmark's `materialize` mode.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.catalogue import load_catalogue
from pipelines.resources import build_resources


def all_years_tags() -> dict[str, str]:
    """Run tags that make one run cover every yearly partition (a single-run backfill)."""
    years = load_catalogue().settings.years
    return {
        "dagster/asset_partition_range_start": str(years[0]),
        "dagster/asset_partition_range_end": str(years[-1]),
    }


def materialize_all(base: Path, **kwargs) -> dg.ExecuteInProcessResult:
    """Materialise every asset and check for every year into ``base``."""
    from pipelines.checks.assets import quality_checks
    from pipelines.definitions import all_assets
    from pipelines.inbox.assets import inbox_checks

    kwargs.setdefault("resources", build_resources(base))
    tags = {**all_years_tags(), **kwargs.pop("tags", {})}
    return dg.materialize([*all_assets, *inbox_checks, *quality_checks], tags=tags, **kwargs)
