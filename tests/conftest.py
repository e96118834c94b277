"""Shared fixtures: one full pipeline run into a temporary folder, reused by many tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.definitions import all_assets
from pipelines.resources import build_resources


def all_years_tags() -> dict[str, str]:
    """Run tags that make one run cover every yearly partition (a single-run backfill)."""
    years = load_catalogue().settings.years
    return {
        "dagster/asset_partition_range_start": str(years[0]),
        "dagster/asset_partition_range_end": str(years[-1]),
    }


def materialize_all(base: Path, **kwargs) -> dg.ExecuteInProcessResult:
    """Materialise every asset for every year into ``base`` (as `make run` does)."""
    from pipelines.checks.assets import quality_checks
    from pipelines.inbox.assets import inbox_checks

    kwargs.setdefault("resources", build_resources(base))
    tags = {**all_years_tags(), **kwargs.pop("tags", {})}
    return dg.materialize([*all_assets, *inbox_checks, *quality_checks], tags=tags, **kwargs)


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Materialise every asset on the bundled data into a fresh folder; return that folder."""
    base = tmp_path_factory.mktemp("pipeline_run")
    result = materialize_all(base)
    assert result.success
    # every blocking data-quality check passes on the bundled data
    failed = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.check_name != "no_large_yearly_jumps"
    ]
    assert failed == [], [(e.asset_key, e.check_name) for e in failed]
    return base
