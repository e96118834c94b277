"""Drawing jobs side by side in spawned worker processes, shared by the charts and the profiles.

Spawned, not forked: the builders run inside a Dagster step whose process holds DuckDB's and
Dagster's threads, and a forked child inherits their locks in whatever state they were. A
spawned worker starts a fresh interpreter and gets its job by pickling, so a job must be plain
data (frames, dicts, paths) and the function a module-level one. Starting a worker costs 1–2 s
(importing matplotlib and pandas, loading fonts), so a pool is only worth it for enough work.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

MAX_WORKERS = 4


def workers_for(n_items: int, items_per_worker: int) -> int:
    """How many workers ``n_items`` of work deserve: one per idle core this process may use (at
    most ``MAX_WORKERS``), but none that would get fewer than ``items_per_worker`` items, because
    starting it would cost more than it saves."""
    return max(1, min(idle_cores(), MAX_WORKERS, n_items // items_per_worker))


def idle_cores() -> int:
    """The cores this process may use, less those other processes keep busy (1-minute load).

    Why: on a busy machine extra workers only queue for the same cores and add their start-up
    cost. Measured on the 2-core development machine with the bundled data, build_charts took
    7 s with two workers and 12 s in one process while the machine was otherwise idle, but 35–40 s
    with two workers and 25 s in one process while other test runs kept both cores busy.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        others = max(0.0, os.getloadavg()[0] - 1)  # this process is part of the load
    except (AttributeError, OSError):  # no load average (Windows)
        others = 0.0
    return max(1, min(cores, round(cores - others)))


def map_jobs(fn: Callable[[Job], Result], jobs: Sequence[Job], workers: int) -> list[Result]:
    """``fn`` over ``jobs``, results in job order: in this process when ``workers`` < 2 (or
    there are fewer than two jobs), else in ``workers`` spawned processes."""
    workers = min(workers, len(jobs))
    if workers < 2:
        return [fn(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(fn, jobs))
