"""Shared fixtures: one full pipeline run into a temporary folder, reused by many tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.materialize import materialize_all


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
