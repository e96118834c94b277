"""The whole pipeline on the bundled data: through Dagster's CLI, from Python, and without Dagster.

Every measurement is one fresh process into a fresh output folder, timed from the parent (process
start to exit — what a user waits for) with the peak resident memory the kernel reports for that
process and the workers it started (``os.wait4``). Modes:

- ``cli``: ``dagster asset materialize --select '*' --partition-range 2014...2024`` (= ``make run``
  without make), with a throwaway DAGSTER_HOME holding the project's dagster.yaml (SQLite);
- ``materialize``: ``pipelines.materialize.materialize_all`` (``dagster.materialize``, an
  in-memory instance);
- ``direct``: ``pipelines.direct.run_all`` — the same library functions without Dagster;
- ``year``: a NEW reporting year — the folder first gets a ``cli`` run of every year but the last
  (not timed), then the timed command runs the last year only (``make run-year``): what the June
  run costs when last year's figures arrive.

    .venv/bin/python -m bench.bench_pipeline            # 3 rounds of every mode
    .venv/bin/python -m bench.bench_pipeline --repeat 1
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import measure_or_child, summary

REPO = Path(__file__).resolve().parent.parent
MODES = ("cli", "year", "materialize", "direct")


def _years() -> tuple[str, str]:
    from pipelines.years import partition_range

    first, last = partition_range().split("...")
    return first, last


def _command(mode: str) -> list[str]:
    first, last = _years()
    dagster = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "--select", "*"]
    if mode == "cli":
        return [*dagster, "--partition-range", f"{first}...{last}", "-m", "pipelines.definitions"]
    if mode == "before_year":
        return [*dagster, "--partition-range", f"{first}...{int(last) - 1}", "-m", "pipelines.definitions"]
    if mode == "year":
        return [*dagster, "--partition", last, "-m", "pipelines.definitions"]
    return [sys.executable, "-m", "bench.bench_pipeline", "--child", mode]


def run_once(mode: str, out_dir: Path, home: Path) -> dict:
    """One process of ``mode`` writing into ``out_dir``; its wall time and peak memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    env.update(BOLIG_OUTPUT_DIR=str(out_dir), DAGSTER_HOME=str(home))
    start = time.perf_counter()
    process = subprocess.Popen(
        _command(mode), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{mode} failed:\n{stderr.decode()[-3000:]}")
    return {"seconds": elapsed, "peak_gb": usage.ru_maxrss * 1024 / 1e9}


def _child(mode: str) -> None:
    out_dir = Path(os.environ["BOLIG_OUTPUT_DIR"])
    if mode == "materialize":
        from pipelines.materialize import materialize_all

        if not materialize_all(out_dir).success:
            raise SystemExit("materialize_all failed")
    elif mode == "direct":
        from pipelines.direct import run_all

        run_all(out_dir)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


def measure(repeat: int = 3) -> dict[str, dict]:
    """``repeat`` rounds of every mode, interleaved so that a busy moment slows all alike."""
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as folder:
        home = Path(folder) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        for round_ in range(repeat):
            for mode in ("cli", "materialize", "direct"):
                out_dir = Path(folder) / f"{mode}_{round_}"
                runs[mode].append(run_once(mode, out_dir, home))
                shutil.rmtree(out_dir)
                if mode == "cli":  # a new year on top of a run of all the years before it
                    year_dir = Path(folder) / f"year_{round_}"
                    run_once("before_year", year_dir, home)
                    runs["year"].append(run_once("year", year_dir, home))
                    shutil.rmtree(year_dir)
                print(f"  round {round_ + 1}: {mode} {runs[mode][-1]['seconds']:.1f} s", flush=True)
    return {
        mode: {
            **summary([r["seconds"] for r in measured]),
            "peak_gb": max(r["peak_gb"] for r in measured),
        }
        for mode, measured in runs.items()
    }


def main(argv: list[str] | None = None) -> None:
    measure_or_child(__doc__, measure, _child, argv)


if __name__ == "__main__":
    main()
