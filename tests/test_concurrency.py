"""Two runs started at once take turns on the DuckDB warehouse instead of failing on its lock.

DuckDB allows one read-write process per database file. Every asset that opens the warehouse sits in
the `duckdb_warehouse` pool, and the repository's `dagster.yaml` limits every pool to one slot, so a
second run waits for the slot ("Step blocked by limit for pool ...") instead of failing with
`IO Error: Could not set lock on file ... Conflicting lock is held`. These tests check the real thing
(two `dagster asset materialize` processes on one instance and one warehouse), show that the lock
they avoid is real, and keep the configuration and the pool declarations from drifting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

from pipelines.resources import DUCKDB_POOL

REPO = Path(__file__).resolve().parent.parent
DAGSTER = Path(sys.executable).with_name("dagster")
LOCK_ERRORS = ("Could not set lock", "Conflicting lock")
# Seconds for both runs together. Measured on 2 shared cores: one run alone ~21 s, two at once 82-113 s
# (a blocked step re-polls for the slot with a backoff of up to 15 s, so the runs do not hand over at once).
RUN_TIMEOUT = 240


def _repository() -> dg.RepositoryDefinition:
    from pipelines.definitions import defs

    return defs.get_repository_def()


def _partition_range() -> str | None:
    """`first...last` when the asset graph is partitioned (yearly partitions), else None.

    `dagster asset materialize --select '*'` on partitioned assets needs a partition range; the
    range is taken from the partitions definition itself, so it matches the keys the CLI expects.
    """
    partitions = [
        a.partitions_def for a in _repository().asset_graph.assets_defs if a.partitions_def is not None
    ]
    if not partitions:
        return None
    keys = partitions[0].get_partition_keys()
    return f"{keys[0]}...{keys[-1]}"


def _materialize_command() -> list[str]:
    command = [str(DAGSTER), "asset", "materialize", "--select", "*", "-m", "pipelines.definitions"]
    partition_range = _partition_range()
    if partition_range:
        command += ["--partition-range", partition_range]
    return command


def _clean_env(dagster_home: Path, output_dir: Path) -> dict[str, str]:
    """The caller's environment without any project or Dagster settings, plus the temp folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(dagster_home)
    env["BOLIG_OUTPUT_DIR"] = str(output_dir)
    return env


def _open_instance(dagster_home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home)))


def _stop(process: subprocess.Popen) -> None:
    """Stop a process we started, and its children (it leads its own session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- the negative control: the lock is real -------------------------------------------------------


def test_two_plain_duckdb_writers_collide(tmp_path: Path) -> None:
    """Without Dagster's pool, a second process cannot open the warehouse while the first has it."""
    path = tmp_path / "warehouse.duckdb"
    holder_code = textwrap.dedent(
        f"""
        import sys, duckdb
        con = duckdb.connect({str(path)!r})
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        print("ready", flush=True)
        sys.stdin.readline()  # hold the connection until the test says stop
        con.close()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        second = subprocess.run(
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert all(message in second.stderr for message in LOCK_ERRORS), second.stderr
    finally:
        if holder.stdin is not None:
            holder.stdin.close()  # EOF: the holder closes its connection and exits
        try:
            holder.wait(timeout=30)
        finally:
            _stop(holder)
    # once the first writer is gone, the file opens again
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


# --- the configuration that prevents it ---------------------------------------------------------


def test_dagster_yaml_limits_every_pool_to_one_slot() -> None:
    config = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["concurrency"]["pools"]["default_limit"] == 1
    # `granularity: run` would stop enforcing the pool inside launched runs (CLI runs included)
    assert config["concurrency"]["pools"].get("granularity", "op") == "op"
    # a cancelled or crashed run must give its slot back
    assert config["run_monitoring"]["enabled"] is True
    free_after = config["run_monitoring"]["free_slots_after_run_end_seconds"]
    assert isinstance(free_after, int) and free_after > 0
    # and Dagster itself accepts the file (unknown or conflicting keys raise here)
    validated, _ = dagster_instance_config(str(REPO))
    assert validated["concurrency"]["pools"]["default_limit"] == 1


def test_production_example_config_is_a_valid_instance_config(tmp_path: Path) -> None:
    """docs/dagster.production.yaml keeps the same pool guarantees and stays loadable by Dagster."""
    text = (REPO / "docs" / "dagster.production.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    assert "postgres" in config["storage"]
    (tmp_path / "dagster.yaml").write_text(text, encoding="utf-8")
    # the schema, the storage selector and the run_coordinator / concurrency.runs conflict check
    dagster_instance_config(str(tmp_path))


def _warehouse_nodes(kind: str) -> list[dg.AssetsDefinition]:
    """Executable nodes (assets or asset checks) that use the `duckdb` resource."""
    nodes = []
    for definition in _repository().asset_graph.assets_defs:
        if not definition.is_executable or "duckdb" not in definition.required_resource_keys:
            continue
        is_check_only = not definition.keys and bool(definition.check_keys)
        if (kind == "check") == is_check_only:
            nodes.append(definition)
    return nodes


def test_every_asset_that_uses_the_warehouse_is_in_the_pool() -> None:
    """A new asset that opens the warehouse without `pool=DUCKDB_POOL` fails here, not in production."""
    assets = _warehouse_nodes("asset")
    assert len(assets) >= 20  # the whole pipeline, not an empty selection
    outside = sorted(
        key.to_user_string()
        for definition in assets
        if definition.node_def.pool != DUCKDB_POOL
        for key in definition.keys
    )
    assert not outside, f"assets using the `duckdb` resource without pool={DUCKDB_POOL!r}: {outside}"


def test_every_asset_check_that_uses_the_warehouse_is_in_the_pool() -> None:
    checks = _warehouse_nodes("check")
    assert checks
    outside = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}"
        for definition in checks
        if definition.node_def.pool != DUCKDB_POOL
        for key in definition.check_keys
    )
    assert not outside, f"asset checks using the `duckdb` resource without pool={DUCKDB_POOL!r}: {outside}"


# --- the real thing: two runs at once -------------------------------------------------------------


def test_two_runs_started_together_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `dagster asset materialize` runs of every asset, started at the same moment on one
    instance and one warehouse: both succeed, neither hits the lock, and the pool made one wait."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").symlink_to(REPO / "dagster.yaml")  # the repository's settings, nothing else
    # Create the instance's SQLite storage once, as `make run` or `dagster dev` would have done: two
    # processes creating a brand-new instance at the same moment race on its schema (alembic), which
    # is not what this test is about.
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the event log lives under it (pipelines/event_log.py)
    _open_instance(home).dispose()
    output_dir = tmp_path / "output"
    env = _clean_env(home, output_dir)
    command = _materialize_command()

    logs = [tmp_path / f"run_{i}.log" for i in (1, 2)]
    handles = [log.open("w", encoding="utf-8") for log in logs]
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a hung run can be stopped with its children
        )
        for handle in handles
    ]
    try:
        for process in processes:
            remaining = RUN_TIMEOUT - (time.monotonic() - started)
            process.wait(timeout=max(remaining, 1))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the two runs did not finish within {RUN_TIMEOUT} s; logs in {tmp_path}")
    finally:
        for process in processes:
            _stop(process)
        for handle in handles:
            handle.close()

    outputs = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-5000:]
        assert "RUN_SUCCESS" in output, output[-5000:]
        for message in LOCK_ERRORS:
            assert message not in output, f"{message!r} in a run's output:\n{output[-5000:]}"
    # the runs really competed: at least one step waited for the other run's slot
    assert any(f"blocked by limit for pool {DUCKDB_POOL}" in output for output in outputs)

    # the pool had one slot, and both runs gave it back
    instance = _open_instance(home)
    try:
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
        assert info.slot_count == 1
        assert info.active_slot_count == 0
        runs = instance.get_runs()
        assert len(runs) == 2 and all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
    finally:
        instance.dispose()

    # and the outputs are complete: the warehouse, and the public release
    warehouse = output_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM indicator_values_public").fetchone()[0] > 0
    release = output_dir / "exports" / "public" / "latest"
    assert (release / "indicator_values.parquet").is_file()
    assert (release / "release.json").is_file()
