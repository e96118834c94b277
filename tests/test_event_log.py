"""The local event log (pipelines/event_log.py): same files and answers, fewer connections."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.instance.ref import InstanceRef

from pipelines.event_log import LocalSqliteEventLogStorage

REPO = Path(__file__).resolve().parent.parent


@dg.asset
def tiny() -> int:
    return 1


@dg.asset(deps=[tiny])
def tinier() -> None:
    return None


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    inst = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    yield inst
    inst.dispose()


def _count_connects(engine: sa.Engine) -> list[int]:
    counter = [0]
    sa.event.listen(engine, "connect", lambda *_: counter.__setitem__(0, counter[0] + 1))
    return counter


def test_repository_instance_uses_it_in_dagsters_default_place(instance) -> None:
    storage = instance.event_log_storage
    assert isinstance(storage, LocalSqliteEventLogStorage)
    assert Path(storage._base_dir) == Path(os.environ["DAGSTER_HOME"]) / "history" / "runs"


def test_runs_are_recorded_and_read_back_by_another_instance(instance) -> None:
    result = dg.materialize([tiny, tinier], instance=instance)
    assert result.success
    # A second instance on the same folder (as the webserver would be) sees the run and its assets.
    other = dg.DagsterInstance.from_ref(InstanceRef.from_dir(os.environ["DAGSTER_HOME"]))
    try:
        assert other.get_latest_materialization_event(dg.AssetKey("tinier")) is not None
        records = other.get_records_for_run(result.run_id).records
        types = {r.event_log_entry.dagster_event_type for r in records if r.event_log_entry.is_dagster_event}
        assert dg.DagsterEventType.RUN_SUCCESS in types
        assert dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED in types
    finally:
        other.dispose()


def test_index_keeps_one_connection_with_synchronous_normal(instance) -> None:
    storage: LocalSqliteEventLogStorage = instance.event_log_storage
    engine = storage._engine("index")
    connects = _count_connects(engine)
    for _ in range(3):
        assert dg.materialize([tiny, tinier], instance=instance).success
    # Three runs store dozens of asset events in the index; the pool opened at most one more
    # connection (Dagster's own storage opens one per event).
    assert connects[0] <= 1
    with storage.index_connection() as conn:
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_forked_child_leaves_the_parents_connection_alone(instance) -> None:
    assert dg.materialize([tiny], instance=instance).success
    pid = os.fork()
    if pid == 0:  # child: its own connection works; the parent's pooled one is not touched
        code = 1
        try:
            code = 0 if instance.get_latest_materialization_event(dg.AssetKey("tiny")) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert dg.materialize([tiny, tinier], instance=instance).success
    assert instance.get_latest_materialization_event(dg.AssetKey("tinier")) is not None
