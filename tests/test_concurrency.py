"""Runs that meet each other, runs that die, and analysts who read while a run writes.

DuckDB lets one process open the warehouse for writing. Steps take turns through a file lock beside
it (pipelines/warehouse.py), which the operating system drops when a process dies, so:

- two runs started at once both succeed (one waits for the other's steps);
- after `kill -9` at any point, the next run succeeds without manual steps, and the killed run is
  marked failed (pipelines/runs.py) instead of staying "started";
- an analyst who reads the published Parquet never disturbs a run, and a run never breaks the read;
  one who holds the warehouse file open makes a run wait, not fail.

These tests drive the real thing: `dagster asset materialize` processes on one instance, as `make run`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
DAGSTER = Path(sys.executable).with_name("dagster")
LOCK_ERRORS = ("Could not set lock", "Conflicting lock")
RUN_TIMEOUT = 300  # seconds for a test's runs together (one run alone takes well under a minute)
# DEBUG: the run's log in the terminal, so the tests can see events ("RUN_SUCCESS") and waits
CONFIG = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}

pytestmark = pytest.mark.slow


# The warehouse's second half, on a warehouse an earlier run filled (the `output_dir` fixture), as an
# analyst reruns part of the pipeline: staging, privacy, progress and the release, 14 steps that
# each take the warehouse lock, about half a whole run's time. The source loads and indicators
# before them take the same lock in the same way, and the drawing steps read only the published
# release; running them too adds time here, not coverage.
SELECTION = "group:staging or group:privacy or group:progress or group:exports"


def _materialize_command() -> list[str]:
    return [str(DAGSTER), "asset", "materialize", "--select", SELECTION, "-m", "pipelines.definitions",
            "--config-json", json.dumps(CONFIG)]  # fmt: skip


@pytest.fixture()
def instance_home(tmp_path: Path) -> Path:
    """A Dagster home with the repository's dagster.yaml and its storage created once (as `make run`
    or `dagster dev` would have: two processes creating a brand-new instance at once race on its
    schema, which is not what these tests are about)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").symlink_to(REPO / "dagster.yaml")
    dg.DagsterInstance.from_config(str(home)).dispose()
    return home


def _env(home: Path, output_dir: Path) -> dict[str, str]:
    """The caller's environment without any project or Dagster settings, plus the temp folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(home)
    env["BOLIG_OUTPUT_DIR"] = str(output_dir)
    return env


def _start(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        _materialize_command(), cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,  # so it can be killed with its children
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait(processes: list[subprocess.Popen], started: float) -> None:
    try:
        for process in processes:
            process.wait(timeout=max(RUN_TIMEOUT - (time.monotonic() - started), 1))
    except subprocess.TimeoutExpired:
        pytest.fail(f"runs did not finish within {RUN_TIMEOUT} s")
    finally:
        for process in processes:
            _stop(process)


def _runs(home: Path) -> list[dg.DagsterRun]:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        return list(instance.get_runs())
    finally:
        instance.dispose()


def _started_runs(home: Path) -> int:
    """Runs that are executing their steps (they tag themselves with their process when they do)."""
    from pipelines.runs import PID_TAG

    return sum(run.status == dg.DagsterRunStatus.STARTED and PID_TAG in run.tags for run in _runs(home))


def _release_ok(output_dir: Path) -> None:
    release = output_dir / "exports" / "public" / "latest"
    assert (release / "indicator_values.parquet").is_file() and (release / "release.json").is_file()
    with duckdb.connect(str(output_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM indicator_values_public").fetchone()[0] > 0


# --- the negative control: the lock is real -------------------------------------------------------


def test_two_plain_duckdb_writers_collide(tmp_path: Path) -> None:
    """Without the warehouse lock, a second process cannot open the warehouse while the first has it."""
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(path)!r})
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        second = subprocess.run(
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode != 0
        assert all(message in second.stderr for message in LOCK_ERRORS), second.stderr
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(timeout=30)
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_the_lock_makes_a_writer_wait_and_dies_with_its_holder(tmp_path: Path) -> None:
    """pipelines.warehouse.open_for_writing: a second writer waits; a holder killed with SIGKILL
    leaves nothing behind that blocks the next writer; a writer that waits too long fails clearly."""
    from pipelines.warehouse import WarehouseBusyError, open_for_writing

    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from pipelines.warehouse import open_for_writing
            with open_for_writing(Path({str(path)!r}), 10) as con:
                con.execute("CREATE TABLE t AS SELECT 1 AS x")
                print("holding", flush=True)
                time.sleep(600)
        """)],
        cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        busy = pytest.raises(WarehouseBusyError, match="another run kept the warehouse")
        with busy, open_for_writing(path, 1):
            pass
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
        started = time.monotonic()
        with open_for_writing(path, 30) as con:
            assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert time.monotonic() - started < 5
    finally:
        _stop(holder)


# --- the real thing -------------------------------------------------------------------------------


@pytest.fixture()
def output_dir(pipeline_run: Path, tmp_path: Path) -> Path:
    """The runs' output folder, holding the warehouse of an earlier run (the shared one), as a
    yearly run finds it: the runs redo every step, and the privacy step takes its remembered
    answers from the warehouse instead of solving every cell afresh (time, not coverage, here)."""
    output = tmp_path / "output"
    output.mkdir()
    shutil.copy2(pipeline_run / "warehouse.duckdb", output / "warehouse.duckdb")
    return output


def test_two_runs_started_together_both_succeed(
    tmp_path: Path, instance_home: Path, output_dir: Path
) -> None:
    env = _env(instance_home, output_dir)
    logs = [tmp_path / f"run_{i}.log" for i in (1, 2)]
    started = time.monotonic()
    processes = [_start(env, log) for log in logs]
    _wait(processes, started)
    outputs = [log.read_text(errors="replace") for log in logs]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-5000:]
        assert "RUN_SUCCESS" in output, output[-5000:]
        assert not any(message in output for message in LOCK_ERRORS), output[-5000:]
    # they really met: a step of one waited for the other's
    assert any("in use by another run's step; waiting" in output for output in outputs)
    runs = _runs(instance_home)
    assert len(runs) == 2 and all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
    _release_ok(output_dir)


def _kill_when(process: subprocess.Popen, condition, timeout: float = RUN_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_after_kill_9_the_next_run_succeeds_and_the_killed_runs_show_failed(
    tmp_path: Path, instance_home: Path, output_dir: Path
) -> None:
    from pipelines.runs import fail_dead_runs

    env = _env(instance_home, output_dir)
    # 1. killed 7 s in — and not before its run has started its first step (on a busy machine the
    #    CLI may need longer than that just to start)
    first = _start(env, tmp_path / "killed_early.log")
    started = time.monotonic()
    _kill_when(first, lambda: time.monotonic() - started > 7 and _started_runs(instance_home) == 1)
    # 2. killed while the public release is being written (its temporary folder exists)
    builds = output_dir / "exports" / ".public-work"  # where a release is written before it is swapped in
    second = _start(env, tmp_path / "killed_publishing.log")
    _kill_when(second, lambda: builds.is_dir() and any(p.name.startswith(".tmp-") for p in builds.iterdir()))
    assert any(p.name.startswith(".tmp-") for p in builds.iterdir())  # left behind by the kill
    runs = _runs(instance_home)
    assert [run.status for run in runs] == [dg.DagsterRunStatus.STARTED] * 2  # what Dagster alone shows

    # 3. the next run, as `make run` starts it: dead runs marked failed, then the run itself
    instance = dg.DagsterInstance.from_config(str(instance_home))
    try:
        assert sorted(fail_dead_runs(instance)) == sorted(run.run_id for run in runs)
    finally:
        instance.dispose()
    third = _start(env, tmp_path / "next.log")
    _wait([third], time.monotonic())
    output = (tmp_path / "next.log").read_text(errors="replace")
    assert third.returncode == 0 and "RUN_SUCCESS" in output, output[-5000:]
    statuses = Counter(run.status for run in _runs(instance_home))
    assert statuses == Counter({dg.DagsterRunStatus.FAILURE: 2, dg.DagsterRunStatus.SUCCESS: 1})
    assert not builds.exists()  # its leftovers were removed by the next publish
    _release_ok(output_dir)


def test_analysts_reading_never_fail_a_run_and_a_run_never_fails_their_read(
    tmp_path: Path, instance_home: Path, pipeline_run: Path
) -> None:
    """A notebook reads the published Parquet through views.sql the whole time a run republishes;
    another process holds the warehouse file itself open (read-only) until the run has said that it
    waits for it, then closes it."""
    output_dir = tmp_path / "output"
    shutil.copytree(pipeline_run, output_dir, symlinks=True)
    release = output_dir / "exports" / "public" / "latest"
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time, duckdb
            con = duckdb.connect()
            con.execute("SET file_search_path = '{release}'")
            con.execute(open('{release}/views.sql').read())
            reads, deadline = 0, time.monotonic() + 600
            while time.monotonic() < deadline:
                n = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
                assert n > 0
                reads += 1
                try:
                    open('{tmp_path}/stop').close()
                    break
                except FileNotFoundError:
                    time.sleep(0.05)
            print('reads', reads, flush=True)
        """)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    warehouse = str(output_dir / "warehouse.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({warehouse!r}, read_only=True); "
         "print('open', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        log = tmp_path / "run.log"
        run = _start(_env(instance_home, output_dir), log)
        deadline = time.monotonic() + RUN_TIMEOUT
        while "is open in another process" not in log.read_text(errors="replace"):  # it waits, saying why
            assert run.poll() is None, log.read_text(errors="replace")[-5000:]
            assert time.monotonic() < deadline, "the run never said that it waits for the warehouse"
            time.sleep(0.2)
        assert holder.stdin is not None
        holder.stdin.close()  # the analyst closes the file; the run goes on
        _wait([run], time.monotonic())
        output = log.read_text(errors="replace")
        assert run.returncode == 0 and "RUN_SUCCESS" in output, output[-5000:]
        (tmp_path / "stop").touch()
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        assert int(out.split()[-1]) > 10
    finally:
        (tmp_path / "stop").touch()
        _stop(reader)
        _stop(holder)
