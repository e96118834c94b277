"""Compute every indicator for every geography level and year from the staged measures, and the
goal attainment on top. Target (indicators): under 2 s.

    .venv/bin/python -m bench.bench_indicators
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import machine, summary, time_it
from pipelines.catalogue import load_catalogue
from pipelines.direct import run_all
from pipelines.indicators.compute import build_indicator_values
from pipelines.progress.build import build_goal_attainment
from pipelines.warehouse import connect

TARGET_SECONDS = 2.0


def run() -> dict[str, dict]:
    """Indicators and goal attainment from staged measures: summaries in seconds."""
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as folder:
        path = run_all(Path(folder), catalogue, charts=False)
        with connect(path) as con:
            rows = build_indicator_values(con, catalogue)
            indicators = time_it("indicators", lambda: build_indicator_values(con, catalogue))
            attainment = time_it("attainment", lambda: build_goal_attainment(con, catalogue))
    return {
        "indicators": {**summary(indicators.runs), "rows": rows, "indicators": len(catalogue.indicators)},
        "goal_attainment": summary(attainment.runs),
    }


def main() -> None:
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as folder:
        path = run_all(Path(folder), catalogue, charts=False)
        with connect(path) as con:
            rows = build_indicator_values(con, catalogue)
            indicators = time_it(
                f"{len(catalogue.indicators)} indicators → {rows:,} rows",
                lambda: build_indicator_values(con, catalogue),
            )
            attainment = time_it("goal attainment + roll-ups", lambda: build_goal_attainment(con, catalogue))
    print(machine())
    print(indicators.line(TARGET_SECONDS))
    print(attainment.line())


if __name__ == "__main__":
    main()
