"""CPU-bound drawing in one forked worker per core, shared by the charts and the profiles.

Fork, not spawn: the workers inherit the imported libraries and the prepared data instead of
importing and unpickling them again (~1.5 s per worker). Forking a process that has threads
(DuckDB's, Dagster's) is only safe for the child's own fresh work, though: the garbage collector
in a child must not walk the objects it inherited, whose C-level state may belong to a thread that
does not exist there — that crashed workers (segfault while "Garbage-collecting") when the
pipeline ran inside a busy test process. So the parent freezes its objects before forking
(gc.freeze: they go to a permanent generation the collector skips), and unfreezes afterwards.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_forked(
    fn: Callable[[T], R], jobs: Iterable[T], workers: int | None = None, min_jobs: int = 2
) -> list[R]:
    """``fn`` over ``jobs`` in order, in ``workers`` forked processes (default: one per core, at
    most 4); in this process when there is one core, too few jobs, or no fork (Windows, macOS
    spawn default)."""
    jobs = list(jobs)
    workers = min(workers or min(os.cpu_count() or 1, 4), len(jobs))
    if workers < 2 or len(jobs) < min_jobs or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(job) for job in jobs]
    # No gc.collect() first: it cost ~0.2 s per call on a full run's heap, and frozen garbage is
    # simply collected after gc.unfreeze().
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(fn, jobs))
    finally:
        gc.unfreeze()
