"""Independent problems (one family of measures in one year each) solved side by side.

Worker processes are spawned, not forked, so that no lock or thread of the parent (DuckDB,
Dagster) is copied into them; they pay off only when there are enough problems to share.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Answer = TypeVar("Answer")

PROBLEMS_PER_WORKER = 8  # fewer than this per worker: starting processes costs more than it saves
MAX_WORKERS = 4


def solve_all(
    solve: Callable[[Job], Answer], jobs: Sequence[Job], size: Callable[[Job], int]
) -> list[Answer]:
    """``solve`` applied to every job, in order; the largest jobs (by ``size``) start first."""
    workers = min(len(jobs) // PROBLEMS_PER_WORKER, os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2:
        return [solve(job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -size(jobs[i]))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        solved = dict(zip(order, pool.map(solve, [jobs[i] for i in order]), strict=True))
    return [solved[i] for i in range(len(jobs))]
