"""The instance configurations load in Dagster through its public API: the repository's local
dagster.yaml, and the production example (with its PostgreSQL storage swapped for SQLite, because
dagster-postgres is not installed here)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def _load(folder: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(folder))


def test_the_local_dagster_yaml_loads_and_queues_one_run_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    instance = _load(tmp_path)
    try:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled
    finally:
        instance.dispose()


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    """The control case: Dagster does validate the file, so the test above means something."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    config["run_queue"]["max_concurrent_runz"] = 1
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(dg.DagsterInvalidConfigError):
        _load(tmp_path)


def test_the_production_example_loads(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "docs" / "dagster.production.yaml").read_text(encoding="utf-8"))
    assert "postgres" in config.pop("storage")
    config["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = _load(tmp_path)
    try:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
    finally:
        instance.dispose()
