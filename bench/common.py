"""Small helpers shared by the benchmark scripts: repeated timing with median, min and max."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    name: str
    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def line(self, target: float | None = None) -> str:
        verdict = "" if target is None else (" — target met" if self.median < target else " — TARGET MISSED")
        return (
            f"{self.name}: median {self.median:.3f} s (min {min(self.runs):.3f}, max {max(self.runs):.3f}, "
            f"n={len(self.runs)}){'' if target is None else f', target < {target} s'}{verdict}"
        )


def time_it(name: str, func: Callable[[], object], repeat: int = 5, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        func()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return Timing(name, runs)


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
