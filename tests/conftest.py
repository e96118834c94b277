"""Shared fixtures: one full pipeline run into a temporary folder, reused by many tests.

Under pytest-xdist the full run is made once for the whole session, by whichever worker needs it
first, into the session's shared temporary folder; the other worker waits for it and reuses it.
Tests only read it: a test that writes (a warehouse it changes, a connection opened for writing)
works on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from pipelines.materialize import materialize_all

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # None in a plain (single-process) run


def _materialize(base: Path) -> None:
    """Materialise every asset on the bundled data into ``base`` (which must not exist)."""
    result = materialize_all(base)
    assert result.success
    # every blocking data-quality check passes on the bundled data
    failed = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.check_name != "no_large_yearly_jumps"
    ]
    assert failed == [], [(e.asset_key, e.check_name) for e in failed]


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Materialise every asset on the bundled data into a fresh folder; return that folder."""
    if WORKER is None:
        base = tmp_path_factory.mktemp("pipeline_run")
        _materialize(base)
        return base
    # Under xdist each worker's basetemp is <session basetemp>/popen-gwN: the parent is this
    # session's alone, shared by its workers.
    shared = tmp_path_factory.getbasetemp().parent
    base, done = shared / "pipeline_run", shared / "pipeline_run.done"
    with FileLock(shared / "pipeline_run.lock"):
        if not done.exists():
            if base.exists():  # a worker that failed half-way: start again, do not reuse
                shutil.rmtree(base)
            _materialize(base)
            done.touch()
        else:
            _remember_answers(base)
    return base


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
