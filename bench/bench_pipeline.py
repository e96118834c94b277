"""The whole pipeline on the bundled data: through Dagster's CLI, from Python, and without Dagster.

Every measurement is one fresh process into a fresh output folder, timed from the parent (process
start to exit — what a user waits for) with the peak resident memory the kernel reports for that
process and the workers it started (``os.wait4``). Modes:

- ``cli``: exactly ``make run``'s Dagster command, ``dagster asset materialize --select '*' -m
  pipelines.definitions --config-json '{"loggers": …WARNING…}'``, with a throwaway DAGSTER_HOME
  holding the project's dagster.yaml (SQLite);
- ``materialize``: ``pipelines.materialize.materialize_all`` (``dagster.materialize``, an
  in-memory instance);
- ``direct``: ``pipelines.direct.run_all`` — the same library functions without Dagster;
- ``year``: a NEW reporting year — the folder first gets a ``cli`` run configured for every
  reporting year but the last (``{"years": [2014, …, 2023]}``, not timed), then the timed command
  is the same ``cli`` run configured for the last year only (``{"years": [2024]}``, = ``make
  run-year YEAR=2024``): what the June run costs when last year's figures arrive.

Where the time goes, by asset group. For the two CLI modes the run's own record in the Dagster
instance is read back afterwards (``--child breakdown``, public API only:
``DagsterInstance.get_run_stats`` and ``get_run_step_stats``): ``run_s``, the run from its first to
its last event, and the seconds of its steps summed per asset group. With the in-process executor a
step key is the op's name, mapped to its group through the assets definitions of
``pipelines.definitions.defs`` (``node_def.name`` → the groups of its assets, or of the assets an
asset check checks). Process wall time minus ``run_s`` is Dagster's CLI start and teardown. The
``direct`` child times the same library calls grouped the same way (``indicators`` there is
``tema_*`` and ``indicators`` together: it builds every indicator in one call).

    .venv/bin/python -m bench.bench_pipeline            # 3 rounds of every mode
    .venv/bin/python -m bench.bench_pipeline --repeat 1
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from bench.common import measure_or_child, summary

REPO = Path(__file__).resolve().parent.parent
MODES = ("cli", "year", "materialize", "direct")
# `make run`'s run config for the terminal: warnings and errors only (the Makefile's QUIET)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
TEMA_PREFIX = "tema_"
# The library calls of pipelines.direct.run_all, by the asset group whose steps do that work.
DIRECT_CALLS = {
    "pipelines.direct": {
        "load_reference_geography": "sources",
        "load_source": "sources",
        "ingest_contract": "sources",
        "ingest_records": "sources",
        "build_measure_values": "staging",
        "build_indicator_values": "indicators",  # every indicator at once: tema_* and indicators
        "build_public_values": "privacy",
        "build_goal_attainment": "progress",
        "publish_public": "exports",
        "write_internal": "exports",
    },
    "pipelines.charts.build": {"build_charts": "publication"},
    "pipelines.profiles.build": {"build_profiles": "publication"},
    "pipelines.report.build": {"build_report": "publication"},
}


def reporting_years() -> list[int]:
    from pipelines.catalogue import load_catalogue

    return load_catalogue().settings.years


def run_config(years: list[int] | None = None) -> dict:
    """``make run``'s run config, or ``make run-year``'s when ``years`` is given."""
    if years is None:
        return QUIET
    return {**QUIET, "resources": {"reporting": {"config": {"years": years}}}}


def command(mode: str, years: list[int] | None = None) -> list[str]:
    """The process a measurement starts: a Dagster CLI run (``cli``) configured for ``years`` (all
    when None), or this module as a child running ``mode``."""
    if mode == "cli":
        dagster = str(Path(sys.executable).parent / "dagster")
        config = json.dumps(run_config(years))
        return [dagster, "asset", "materialize", "--select", "*", "-m", "pipelines.definitions",
                "--config-json", config]  # fmt: skip
    return [sys.executable, "-m", "bench.bench_pipeline", "--child", mode]


def _child_env(**settings: str) -> dict[str, str]:
    """This environment without the caller's own BOLIG_*/DAGSTER_* settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    return {**env, **settings}


def _groups_file(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + ".groups.json")


def run_once(mode: str, out_dir: Path, home: Path, years: list[int] | None = None) -> dict:
    """One process of ``mode`` writing into ``out_dir``; its wall time and peak memory (and for
    ``direct`` the seconds of its library calls by group)."""
    env = _child_env(BOLIG_OUTPUT_DIR=str(out_dir), DAGSTER_HOME=str(home))
    start = time.perf_counter()
    process = subprocess.Popen(
        command(mode, years), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{mode} failed:\n{stderr.decode()[-3000:]}")
    measured = {"seconds": elapsed, "peak_gb": usage.ru_maxrss * 1024 / 1e9}
    groups = _groups_file(out_dir)
    if groups.exists():
        measured["groups_s"] = json.loads(groups.read_text(encoding="utf-8"))
        groups.unlink()
    return measured


# --- the breakdown by asset group -------------------------------------------------------------


def op_groups(assets_defs: Iterable, group_of: Mapping) -> dict[str, str]:
    """Op name → asset group, for assets definitions and asset checks definitions.

    ``group_of`` maps an asset key to its group (from the asset graph). An op whose assets (or,
    for a check, checked assets) lie in several groups gets them joined with ``+``."""
    found: dict[str, str] = {}
    for definition in assets_defs:
        keys = set(getattr(definition, "group_names_by_key", {}))
        keys |= {check.asset_key for check in getattr(definition, "check_keys", ())}
        groups = sorted({group_of[key] for key in keys if key in group_of})
        if groups:
            found[definition.node_def.name] = "+".join(groups)
    return found


def group_seconds(step_seconds: Mapping[str, float], groups: Mapping[str, str]) -> dict[str, float]:
    """Seconds of steps summed per group (a step of an unknown op counts as ``other``)."""
    totals: dict[str, float] = {}
    for step, seconds in step_seconds.items():
        group = groups.get(step, "other")
        totals[group] = totals.get(group, 0.0) + seconds
    return dict(sorted(totals.items()))


def bucket(group: str) -> str:
    """The group as the direct path can be compared with: the per-indicator ``tema_*`` groups and
    ``indicators`` are one call there."""
    return "indicators" if group.startswith(TEMA_PREFIX) else group


def bucketed(groups_s: Mapping[str, float]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for group, seconds in groups_s.items():
        totals[bucket(group)] = totals.get(bucket(group), 0.0) + seconds
    return totals


def breakdowns(defs, instance) -> list[dict]:
    """Every run in ``instance``, oldest first: its duration and its step seconds by asset group of
    ``defs`` (a ``dagster.Definitions``)."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    group_of = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    definitions = [d for d in [*defs.assets, *defs.asset_checks] if isinstance(d, dg.AssetsDefinition)]
    groups = op_groups(definitions, group_of)
    found = []
    for run in reversed(instance.get_runs()):  # newest first → oldest first
        stats = instance.get_run_stats(run.run_id)
        steps = {
            s.step_key: s.end_time - s.start_time
            for s in instance.get_run_step_stats(run.run_id)
            if s.start_time and s.end_time
        }
        found.append(
            {
                "run_id": run.run_id,
                "status": run.status.value,
                "run_s": stats.end_time - stats.start_time,
                "steps": len(steps),
                "groups_s": group_seconds(steps, groups),
            }
        )
    return found


def _print_run_breakdowns() -> None:
    """(child, DAGSTER_HOME set) :func:`breakdowns` of the project's instance, as one JSON list."""
    import dagster as dg

    from pipelines.definitions import defs

    print(json.dumps(breakdowns(defs, dg.DagsterInstance.get())))


def run_breakdowns(home: Path) -> list[dict]:
    """What :func:`_print_run_breakdowns` finds in the instance at ``home``."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_pipeline", "--child", "breakdown"],
        cwd=REPO,
        env=_child_env(DAGSTER_HOME=str(home)),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- the children -----------------------------------------------------------------------------


def _timed(func: Callable, group: str, seconds: dict[str, float], depth: list[int]) -> Callable:
    """``func``, adding the seconds of its outermost calls to ``seconds[group]``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        depth[0] += 1
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                seconds[group] = seconds.get(group, 0.0) + time.perf_counter() - start

    return wrapper


def _run_direct_timed(out_dir: Path) -> dict[str, float]:
    """``pipelines.direct.run_all`` with its library calls timed by group (the wrappers cost two
    clock reads a call)."""
    seconds: dict[str, float] = {}
    depth = [0]
    for module_name, calls in DIRECT_CALLS.items():
        module = importlib.import_module(module_name)
        for name, group in calls.items():
            setattr(module, name, _timed(getattr(module, name), group, seconds, depth))
    from pipelines.direct import run_all

    run_all(out_dir)
    return dict(sorted(seconds.items()))


def _child(mode: str) -> None:
    if mode == "breakdown":
        _print_run_breakdowns()
        return
    out_dir = Path(os.environ["BOLIG_OUTPUT_DIR"])
    if mode == "materialize":
        from pipelines.materialize import materialize_all

        if not materialize_all(out_dir).success:
            raise SystemExit("materialize_all failed")
    elif mode == "direct":
        groups = _run_direct_timed(out_dir)
        _groups_file(out_dir).write_text(json.dumps(groups), encoding="utf-8")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


# --- measuring ----------------------------------------------------------------------------------


def _medians(measured: list[dict]) -> dict[str, object]:
    """Medians over the rounds of the breakdown figures every round has."""
    found: dict[str, object] = {}
    if all("run_s" in r for r in measured):
        found["run_s"] = statistics.median(r["run_s"] for r in measured)
        found["outside_run_s"] = statistics.median(r["seconds"] - r["run_s"] for r in measured)
    if all("groups_s" in r for r in measured):
        groups = set.intersection(*(set(r["groups_s"]) for r in measured))
        found["groups_s"] = {g: statistics.median(r["groups_s"][g] for r in measured) for g in sorted(groups)}
        found["steps_s"] = statistics.median(sum(r["groups_s"].values()) for r in measured)
    return found


def measure(repeat: int = 3) -> dict[str, dict]:
    """``repeat`` rounds of every mode, interleaved so that a busy moment slows all alike."""
    years = reporting_years()
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    dagster_runs: list[tuple[str, int] | None] = []  # per run in the instance: (mode, round) timed
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as folder:
        home = Path(folder) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        for round_ in range(repeat):
            for mode in ("cli", "year", "materialize", "direct"):
                out_dir = Path(folder) / f"{mode}_{round_}"
                if mode == "year":  # a new year on top of a run of all the years before it
                    run_once("cli", out_dir, home, years[:-1])
                    dagster_runs.append(None)
                    runs[mode].append(run_once("cli", out_dir, home, years[-1:]))
                else:
                    runs[mode].append(run_once(mode, out_dir, home))
                if mode in ("cli", "year"):
                    dagster_runs.append((mode, round_))
                shutil.rmtree(out_dir)
                print(f"  round {round_ + 1}: {mode} {runs[mode][-1]['seconds']:.1f} s", flush=True)
        breakdowns = run_breakdowns(home)
    if len(breakdowns) != len(dagster_runs):
        raise RuntimeError(f"{len(dagster_runs)} Dagster runs started, the instance holds {len(breakdowns)}")
    for timed, breakdown in zip(dagster_runs, breakdowns, strict=True):
        if timed is not None:
            mode, round_ = timed
            runs[mode][round_].update(run_s=breakdown["run_s"], groups_s=breakdown["groups_s"])
    return {
        mode: {
            **summary([r["seconds"] for r in measured]),
            "peak_gb": max(r["peak_gb"] for r in measured),
            **_medians(measured),
        }
        for mode, measured in runs.items()
    }


def main(argv: list[str] | None = None) -> None:
    measure_or_child(__doc__, measure, _child, argv)


if __name__ == "__main__":
    main()
