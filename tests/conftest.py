"""Shared fixtures: one full pipeline run into a temporary folder, reused by many tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import all_assets
from pipelines.resources import build_resources


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Materialise every asset on the bundled data into a fresh folder; return that folder."""
    base = tmp_path_factory.mktemp("pipeline_run")
    result = dg.materialize(all_assets, resources=build_resources(base))
    assert result.success
    return base
