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

For the two CLI modes the run's own record in the Dagster instance is read back as well
(``--child breakdown``): how long the run itself took from its first to its last event, and how
much of that went to the steps of the yearly-partitioned assets — the work that grows with the
number of years. Process wall time minus run time is Dagster's CLI start and teardown.

    .venv/bin/python -m bench.bench_pipeline            # 3 rounds of every mode
    .venv/bin/python -m bench.bench_pipeline --repeat 1
"""

from __future__ import annotations

import os
import shutil
import statistics
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


def _child_env(**settings: str) -> dict[str, str]:
    """This environment without the caller's own BOLIG_*/DAGSTER_* settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    return {**env, **settings}


def run_once(mode: str, out_dir: Path, home: Path) -> dict:
    """One process of ``mode`` writing into ``out_dir``; its wall time and peak memory."""
    env = _child_env(BOLIG_OUTPUT_DIR=str(out_dir), DAGSTER_HOME=str(home))
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


def _print_latest_run_breakdown() -> None:
    """(child, DAGSTER_HOME set) The newest run's duration and its partitioned assets' step time, as JSON."""
    import json

    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    partitioned = {key.to_user_string() for key in keys if graph.get(key).partitions_def is not None}
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    stats = instance.get_run_stats(run.run_id)
    steps = instance.get_run_step_stats(run.run_id)
    seconds = {s.step_key: s.end_time - s.start_time for s in steps if s.start_time and s.end_time}
    partitioned_s = sum(t for key, t in seconds.items() if key in partitioned)
    print(
        json.dumps(
            {
                "run_s": stats.end_time - stats.start_time,
                "partitioned_steps_s": partitioned_s,
                "other_steps_s": sum(seconds.values()) - partitioned_s,
            }
        )
    )


def latest_run_breakdown(home: Path) -> dict[str, float]:
    """What :func:`_print_latest_run_breakdown` finds in the instance at ``home``."""
    import json

    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_pipeline", "--child", "breakdown"],
        cwd=REPO,
        env=_child_env(DAGSTER_HOME=str(home)),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child(mode: str) -> None:
    if mode == "breakdown":
        _print_latest_run_breakdown()
        return
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
                    runs[mode][-1].update(latest_run_breakdown(home))
                    year_dir = Path(folder) / f"year_{round_}"
                    run_once("before_year", year_dir, home)
                    runs["year"].append(run_once("year", year_dir, home))
                    runs["year"][-1].update(latest_run_breakdown(home))
                    shutil.rmtree(year_dir)
                print(f"  round {round_ + 1}: {mode} {runs[mode][-1]['seconds']:.1f} s", flush=True)
    return {
        mode: {
            **summary([r["seconds"] for r in measured]),
            "peak_gb": max(r["peak_gb"] for r in measured),
            **{  # medians of the instance's own figures, for the CLI modes
                key: statistics.median(r[key] for r in measured)
                for key in ("run_s", "partitioned_steps_s", "other_steps_s")
                if all(key in r for r in measured)
            },
        }
        for mode, measured in runs.items()
    }


def main(argv: list[str] | None = None) -> None:
    measure_or_child(__doc__, measure, _child, argv)


if __name__ == "__main__":
    main()
