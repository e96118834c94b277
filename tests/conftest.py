"""Shared fixtures: one full pipeline run into a temporary folder, reused by many tests.

The suite runs in two pytest-xdist workers (``-n 2`` in pyproject.toml). The full run is made once
for the whole session, by whichever worker needs it first, into the session's shared temporary
folder; the other worker waits for it and reuses it. Tests only read it: a test that writes (a
warehouse it changes, a connection opened for writing) works on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from pipelines.exports.public import SPREADSHEETS_ENV
from pipelines.materialize import materialize_all

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # None in a plain (single-process) run


# The Excel workbook and CSV files cost about 30 s per release and are checked on the shared run's
# release (tests/test_spreadsheet.py); the many other runs of the suite publish without them.
os.environ[SPREADSHEETS_ENV] = "0"


def _materialize(base: Path) -> None:
    """Materialise every asset on the bundled data into ``base`` (which must not exist), with the
    workbook and CSV files in its release, as `make run` writes it."""
    os.environ[SPREADSHEETS_ENV] = "1"
    try:
        result = materialize_all(base)
    finally:
        os.environ[SPREADSHEETS_ENV] = "0"
    assert result.success
    # every blocking data-quality check passes on the bundled data
    failed = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.check_name != "no_large_yearly_jumps"
    ]
    assert failed == [], [(e.asset_key, e.check_name) for e in failed]


def built_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], None],
    on_reuse: Callable[[Path], None] = lambda base: None,
) -> Path:
    """A folder that ``build`` fills once per test session, whichever worker asks first; the
    other worker waits for it (a file lock) and reuses it. Tests only read it."""
    if WORKER is None:
        base = tmp_path_factory.mktemp(name)
        build(base)
        return base
    # Under xdist each worker's basetemp is <session basetemp>/popen-gwN: the parent is this
    # session's alone, shared by its workers.
    shared = tmp_path_factory.getbasetemp().parent
    base, done = shared / name, shared / f"{name}.done"
    with FileLock(shared / f"{name}.lock"):
        if not done.exists():
            if base.exists():  # a worker that failed half-way: start again, do not reuse
                shutil.rmtree(base)
            build(base)
            done.touch()
        else:
            on_reuse(base)
    return base


@pytest.fixture(scope="module")
def catalogue():
    """The catalogue in assets/, once per module (a module may define its own)."""
    from pipelines.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture()
def con():
    """An in-memory DuckDB connection, closed after the test (a module may define its own)."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Materialise every asset on the bundled data into a fresh folder; return that folder."""
    return built_once(tmp_path_factory, "pipeline_run", _materialize, on_reuse=_remember_answers)


def _remember_answers(base: Path) -> None:
    """Give this process the suppression answers of the shared run, as the process that made it
    has them in memory: a later run over mostly the same inputs in this worker (tests that run the
    pipeline again with an inbox file, a live source, one more indicator) then solves only what
    changed, in whichever worker it lands. The answers are keyed by a fingerprint of their exact
    inputs (pipelines/privacy/suppression.py), so they change no result."""
    from pipelines.privacy import suppression

    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT fingerprint, answer FROM suppression_memo").fetchall()
    suppression._remember({fingerprint: json.loads(answer) for fingerprint, answer in rows})


@pytest.fixture(scope="session")
def reused_answers(pipeline_run: Path) -> None:
    """For tests that run the whole pipeline again on (mostly) the bundled data: the shared run's
    suppression answers are in this process's memory before they start, whatever the order of the
    tests and whichever worker runs them (see ``_remember_answers``)."""


# Under xdist, the order in which the tests are handed to the workers, one at a time
# (--maxschedchunk 1; each worker holds two: the one it runs and the next).
#
# - The tests that take longest start first (longest-processing-time-first), so that neither
#   worker is left running a long test alone at the end: the first worker starts with the first two
#   below, the second with the next two. Seconds measured on the 2-core machine, serially, while it
#   was also busy otherwise.
# - Then the tests that do not need the shared run, then those that do: a worker waits for the
#   shared run only once it has nothing else to do. The first test handed out always needs it, so
#   that one worker starts it at once.
#
# Without xdist the order is pytest's own.
LONGEST_FIRST = (
    # worker 1: the shared run (~80 s), then the two attacks on the release
    "test_privacy.py::test_outside_attack_on_the_full_release_proves_no_small_count",  # 195 s
    "test_privacy.py::test_the_attack_recovers_the_leaks_of_the_earlier_rules",  # 110 s
    # worker 2: `dagster dev` and Chromium, then three runs of the CLI
    "test_ui_browser.py::test_materialize_all_from_the_ui",  # 280 s
    "test_concurrency.py::test_after_kill_9_the_next_run_succeeds_and_the_killed_runs_show_failed",  # 115 s
    # then whichever worker is free
    "test_concurrency.py::test_two_runs_started_together_both_succeed",  # 95 s
    "test_release.py::test_qc_report_lists_changes_since_the_previous_release",  # 80 s
    "test_inbox_pipeline.py::test_same_file_again_changes_nothing_and_a_corrected_file_replaces_only_its_keys",
    "test_concurrency.py::test_analysts_reading_never_fail_a_run_and_a_run_never_fails_their_read",
    "test_operations.py::test_a_year_replaces_exactly_its_own_rows_and_reruns_identically",
    "test_catalogue_outputs.py::test_a_new_yaml_entry_reaches_every_output",
    "test_operations.py::test_preliminary_run_marks_only_that_years_values",
    "test_inbox_pipeline.py::test_a_dropped_file_flows_to_the_outputs_and_bad_rows_are_quarantined",
    "test_pipeline.py::test_another_vintage_of_borders_is_a_setting",
    "test_inbox_pipeline.py::test_record_level_files_are_aggregated_into_the_measures",
    "test_inbox_files.py::test_100_mb_file_is_validated_fast_and_loses_nothing",
    "test_profiles.py::test_full_render_writes_every_municipality_and_county",
)


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected: order what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if WORKER is None:
        return

    def listed(item: pytest.Item) -> int | None:
        nodeid = item.nodeid.removeprefix("tests/")
        return next((i for i, key in enumerate(LONGEST_FIRST) if nodeid.startswith(key)), None)

    def needs_run(item: pytest.Item) -> bool:
        return "pipeline_run" in item.fixturenames  # directly or through another fixture

    first = sorted((i for i in items if listed(i) is not None), key=listed)
    rest = [i for i in items if listed(i) is None]
    order = first + [i for i in rest if not needs_run(i)] + [i for i in rest if needs_run(i)]
    starter = next((i for i in order if needs_run(i)), None)
    if starter is not None:
        order.remove(starter)
        order.insert(0, starter)
    items[:] = order  # the same in every worker: xdist checks that their collections agree
