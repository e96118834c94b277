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


def summary(runs: list[float]) -> dict[str, object]:
    """Median, min, max and the runs themselves (seconds), as the results files store them."""
    return {
        "median": statistics.median(runs),
        "min": min(runs),
        "max": max(runs),
        "n": len(runs),
        "runs": runs,
    }


def measure_or_child(
    doc: str, measure: Callable[[int], dict], child: Callable[[str], None], argv: list[str] | None
) -> None:
    """The command line of a benchmark that measures in fresh child processes of itself: print
    ``measure(--repeat)`` as JSON, or — with the hidden ``--child ARG`` — be one such child."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
    else:
        print(json.dumps(measure(args.repeat), indent=2))


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
