"""`make bench`: every benchmark in one go → bench/results.json (for tools) and bench/results.md (to read).

Sections, each timing figure the median of several fresh runs with min and max unless noted:
  pipeline     — `make run`'s Dagster command, Python `materialize`, the direct path without
                 Dagster, and a new year (`make run-year`) on top of the years before it; each
                 Dagster CLI run broken down by asset group from its step stats (bench.bench_pipeline)
  ui           — "Materialize all" clicked in stock `dagster dev` (tests/test_ui_browser.py, once):
                 click → success
  scale        — 1, 10, 50 M housing-allowance records, DuckDB against Polars (bench.bench_records)
  indicators   — every indicator from staged measures; harmonising 1 M rows
  products     — all charts, the 357 municipality profiles and the steering report
  tests        — wall clock of the fast tier (`pytest -m "not slow and not browser"`, = `make
                 check` without ruff) and of the full suite (`pytest`, = `make test` without ruff),
                 once each

Targets: `make run` ÷ direct ≤ 1.5 and UI "Materialize all" ÷ `make run` ≤ 1.5 (ratios of one
`make bench`, 2 cores), plus the record, indicator and product targets. Every miss is printed with
its reason in the run's own figures. Reported without a target: materialize ÷ direct, new year ÷
full run, the full suite's and the fast tier's seconds. The record aggregation is also compared
with the same aggregation in Polars (bench.polars_peer), the library a Python user would pick
instead of DuckDB, on the same files and with the same answer (checked): that comparison has no
target, the ratio DuckDB ÷ Polars of time and of peak memory is reported as measured. Timings on
a shared machine are noisy: the load average before and after is recorded with the results.

    .venv/bin/python -m bench.run               # everything
    .venv/bin/python -m bench.run --quick       # 1 round, 1 M and 10 M records only, no full suite
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "results.md"
PACKAGES = ("dagster", "duckdb", "polars", "pandas", "pyarrow", "matplotlib", "numpy")
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
FAST_TIER = ["-m", "not slow and not browser"]  # `make check`'s selection
UI_TEST = "tests/test_ui_browser.py"
# What the browser test writes: seconds from the click on "Materialize all" to the run's success.
UI_TIMING = REPO / "tests" / "artifacts" / "ui_materialize_all.json"


def machine_info() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    try:
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if "MemTotal" in line
        )
    except (OSError, StopIteration):
        mem_kb = 0
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


OPS = {"<": float.__lt__, "<=": float.__le__, ">=": float.__ge__}


def _target(what: str, value: float | None, unit: str, op: str, limit: float, why: str = "") -> dict:
    met = None if value is None else OPS[op](float(value), limit)
    return {
        "what": what,
        "value": value,
        "unit": unit,
        "target": f"{op} {limit:g} {unit}".strip(),
        "met": met,
        "why": "" if met else why,
    }


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _pytest(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    """``pytest args`` in a fresh process from the repository root; its wall-clock seconds."""
    start = time.perf_counter()
    done = subprocess.run([*PYTEST, *args], cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - start, done


def measure_ui() -> dict:
    """The browser test once: click on "Materialize all" → run succeeded, in seconds, as the test
    measured it (``seconds`` None and ``not_measured`` saying why when it could not run)."""
    from tests.browser import CHROMIUM

    if not CHROMIUM.exists():
        return {"seconds": None, "not_measured": f"{CHROMIUM} is missing (apt-get install chromium)"}
    UI_TIMING.unlink(missing_ok=True)  # a file left by an earlier run must not pass for this one
    wall, done = _pytest(["-m", "browser", UI_TEST])
    outcome = _last_line(done.stdout)
    if done.returncode != 0 or not UI_TIMING.exists():
        what = f"failed (exit {done.returncode})" if done.returncode else "wrote no timing"
        return {"seconds": None, "not_measured": f"the browser test {what}: {outcome}", "pytest_s": wall}
    seconds = json.loads(UI_TIMING.read_text(encoding="utf-8"))["click_to_success_seconds"]
    return {"seconds": seconds, "pytest_s": wall, "pytest": outcome}


def _timed_tier(args: list[str]) -> dict:
    wall, done = _pytest(args)
    return {"seconds": wall, "exit_code": done.returncode, "pytest": _last_line(done.stdout)}


def measure_tests(quick: bool) -> dict:
    """Wall clock of the fast tier and (unless ``quick``) of the full suite, once each."""
    found = {"fast": _timed_tier(FAST_TIER)}
    if quick:
        found["full"] = {"seconds": None, "not_measured": "--quick skips the full suite"}
    else:
        found["full"] = _timed_tier([])
    return found


def run_all_sections(quick: bool) -> dict[str, object]:
    from bench import bench_harmonise, bench_indicators, bench_pipeline, bench_products

    repeat = 1 if quick else 3
    load_before = os.getloadavg()
    print("pipeline (make run, materialize, direct) and the new-year run …", flush=True)
    pipeline = bench_pipeline.measure(repeat)
    print("UI: Materialize all in dagster dev (browser test) …", flush=True)
    ui = measure_ui()
    print("indicators and harmonisation …", flush=True)
    indicators = {**bench_indicators.run(), **bench_harmonise.run()}
    print("charts, profiles and report …", flush=True)
    products = bench_products.measure(repeat)
    print("record-level scale …", flush=True)
    sizes = "1,10" if quick else "1,10,50"
    subprocess.run(
        [sys.executable, "-m", "bench.bench_records", "--sizes", sizes, "--repeat", str(repeat)],
        cwd=REPO,
        check=True,
    )
    scale = json.loads((BENCH_DIR / "results_records.json").read_text(encoding="utf-8"))
    print("test suite: fast tier" + ("" if quick else " and full suite") + " …", flush=True)
    tests = measure_tests(quick)
    load_after = os.getloadavg()
    return {
        "machine": machine_info(),
        "load_average_1_5_15min": {"before": load_before, "after": load_after},
        "quick": quick,
        "pipeline": pipeline,
        "ui": ui,
        "indicators": indicators,
        "products": products,
        "scale": scale,
        "tests": tests,
    }


BUCKET_LABELS = {
    "sources": "sources",
    "staging": "staging",
    "indicators": "tema_* and indicators",
    "privacy": "privacy",
    "progress": "progress",
    "exports": "exports",
    "publication": "publication",
}


def _buckets(groups_s: dict) -> dict[str, float]:
    from bench.bench_pipeline import bucketed

    return bucketed(groups_s)


def _cli_why(pipeline: dict) -> str:
    """Why `make run` is more than 1.5× the direct path, in this run's own figures: the CLI's start
    and teardown, the run's time between steps, and the steps by group against the same calls
    without Dagster."""
    cli, direct = pipeline["cli"], pipeline["direct"]
    wall, direct_wall = cli["median"], direct["median"]
    parts = [
        f"make run takes {wall:.1f} s against {direct_wall:.1f} s for the same work without Dagster "
        f"(+{wall - direct_wall:.1f} s; 1.5× would be {1.5 * direct_wall:.1f} s)"
    ]
    if "run_s" not in cli:
        return parts[0]
    parts.append(f"Dagster's CLI start and teardown (process wall − run) take {wall - cli['run_s']:.1f} s")
    if "groups_s" not in cli or "groups_s" not in direct:
        return "; ".join(parts)
    dagster, plain = _buckets(cli["groups_s"]), _buckets(direct["groups_s"])
    steps, calls = sum(dagster.values()), sum(plain.values())
    parts.append(
        f"inside the run ({cli['run_s']:.1f} s) {cli['run_s'] - steps:.1f} s pass between steps "
        f"(run and step bookkeeping, event log) and the steps take {steps:.1f} s against {calls:.1f} s "
        f"for the direct path's library calls (whose process start, imports and catalogue take "
        f"{direct_wall - calls:.1f} s)"
    )
    gaps = sorted(((dagster.get(b, 0.0) - plain.get(b, 0.0), b) for b in {*dagster, *plain}), reverse=True)
    worst = [
        f"{BUCKET_LABELS.get(b, b)} {dagster.get(b, 0.0):.1f} s against {plain.get(b, 0.0):.1f} s"
        for gap, b in gaps[:3]
        if gap > 0.05
    ]
    if worst:
        parts.append(
            "by group, most added: "
            + ", ".join(worst)
            + " (a step also opens the warehouse under its lock, records its metadata — row counts, "
            "schemas, for each indicator a national chart — and runs its checks, which the direct path "
            "does not)"
        )
    return "; ".join(parts)


def _ui_why(pipeline: dict, ui: dict) -> str:
    """Why "Materialize all" in the UI takes more than 1.5× `make run`, in this run's figures."""
    if ui.get("seconds") is None:
        return ui.get("not_measured", "not measured")
    cli, seconds = pipeline["cli"], ui["seconds"]
    text = f"click → success {seconds:.1f} s against {cli['median']:.1f} s for make run"
    if "run_s" not in cli:
        return text
    return (
        f"{text}, whose run itself takes {cli['run_s']:.1f} s and whose CLI start and teardown "
        f"{cli['median'] - cli['run_s']:.1f} s. The other {seconds - cli['run_s']:.1f} s of the UI's time "
        "are the run queue (the daemon launches queued runs on its own interval), a new run-worker "
        "process that imports and loads the code location, the run's time while `dagster dev`'s "
        "webserver, daemon and code server share the 2 cores, and the test's polling for success; "
        "this measurement does not tell these apart"
    )


def figures(results: dict) -> list[dict]:
    """What is reported without a target."""
    pipeline, tests = results["pipeline"], results["tests"]
    cli, mat, direct, year = (pipeline[m]["median"] for m in ("cli", "materialize", "direct", "year"))

    def figure(what: str, value: float | None, unit: str, note: str = "") -> dict:
        return {"what": what, "value": value, "unit": unit, "note": note}

    def tier(what: str, measured: dict) -> dict:
        if measured.get("seconds") is None:
            return figure(what, None, "s", measured.get("not_measured", "not measured"))
        failed = f"exit code {measured['exit_code']}: " if measured["exit_code"] else ""
        return figure(what, measured["seconds"], "s", f"{failed}{measured['pytest']}")

    return [
        figure("Dagster overhead, materialize ÷ direct", mat / direct, "×"),
        figure(
            "New year ÷ full run (make run-year ÷ make run)",
            year / cli,
            "×",
            f"{year:.1f} s for the year on top of the years before it, {cli:.1f} s for all years",
        ),
        tier("Full test suite (pytest, wall clock, once)", tests["full"]),
        tier('Fast tier (pytest -m "not slow and not browser", wall clock, once)', tests["fast"]),
    ]


def _measured(records: dict, rows: int, *engines: str) -> tuple[dict, ...] | None:
    """The record-scale results of ``engines`` at ``rows``, or None if any was not measured."""
    found = tuple(records.get((engine, rows)) for engine in engines)
    return None if None in found else found


def _scan_why(records: dict) -> str:
    """Why the aggregation cannot be within 3× of a one-column scan, in this run's own figures."""
    measured = _measured(records, 50_000_000, "bare", "columns", "duckdb")
    if measured is None:  # --quick measures no 50 M rows
        return "the aggregation reads 8 columns and counts distinct households"
    bare, columns, duck = measured
    return (
        f"the measures need 8 of the file's columns, and merely reading those 8 takes "
        f"{columns['median_s']:.2f} s, {columns['median_s'] / bare['median_s']:.1f}× the one-column scan "
        f"({bare['median_s']:.3f} s), so nothing that reads them can be within 3× of it. The "
        f"aggregation, exact distinct households included, takes "
        f"{duck['median_s'] / columns['median_s']:.1f}× the scan of its 8 columns"
    )


def targets(results: dict) -> list[dict]:
    pipeline, ind, products, scale = (results[k] for k in ("pipeline", "indicators", "products", "scale"))
    ui = results["ui"]
    cli, direct = pipeline["cli"]["median"], pipeline["direct"]["median"]
    records = {(r["engine"], r["rows"]): r for r in scale["results"]}
    duck_50 = records.get(("duckdb", 50_000_000))
    scale_targets = scale["targets"]
    bare_key = next(k for k in scale_targets if k.startswith("within_3x_of_bare_scan"))
    ui_ratio = None if ui.get("seconds") is None else ui["seconds"] / cli
    return [
        _target("make run ÷ direct (stock Dagster)", cli / direct, "×", "<=", 1.5, _cli_why(pipeline)),
        _target('UI "Materialize all" ÷ make run', ui_ratio, "×", "<=", 1.5, _ui_why(pipeline, ui)),
        _target("Records, 50 M rows", duck_50 and duck_50["median_s"], "s", "<", 15),
        _target("Records, 50 M rows peak memory", duck_50 and duck_50["peak_gb"], "GB", "<", 3),
        _target(
            "Records, aggregation ÷ bare one-column scan (50 M)",
            scale_targets[bare_key]["value"],
            "×",
            "<",
            3,
            _scan_why(records),
        ),
        _target(
            "Records, scaling exponent (≤ 1.15 = linear)", scale["scaling_exponent_duckdb"], "", "<", 1.15
        ),
        _target("Indicators from staged measures", ind["indicators"]["median"], "s", "<", 2),
        _target("Harmonise 1 M rows", ind["harmonise"]["median"], "s", "<", 2),
        _target("Charts, profiles and report", products["total"]["median"], "s", "<", 60),
    ]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".strip()


def _row(name: str, s: dict, unit: str = "s", extra: str = "") -> str:
    cells = [name, _fmt(s["median"], unit), _fmt(s["min"], unit), _fmt(s["max"], unit), str(s["n"]), extra]
    return "| " + " | ".join(cells) + " |"


PIPELINE_LABELS = {
    "cli": "Dagster CLI, all years (`make run`)",
    "materialize": "Python `materialize`, all years",
    "direct": "direct library calls, no Dagster",
    "year": "Dagster CLI, a new year on top of the years before it (`make run-year`)",
}


def _verdict(met: bool | None, value: float | None) -> str:
    if met is None:
        return "not measured" if value is None else "n/a"
    return "met" if met else "**MISSED**"


def _where_the_time_goes(pipeline: dict) -> list[str]:
    """Medians by asset group: the Dagster CLI runs from their step stats, the direct path from its
    timed library calls (empty for results measured before the breakdown by group)."""
    cli, year, direct = pipeline["cli"], pipeline["year"], pipeline["direct"]
    if not all("groups_s" in m for m in (cli, year, direct)) or not all("run_s" in m for m in (cli, year)):
        return []
    columns = [_buckets(m["groups_s"]) for m in (cli, year, direct)]
    order = [*BUCKET_LABELS, *sorted({b for c in columns for b in c} - set(BUCKET_LABELS))]

    def row(label: str, *cells: float | None) -> str:
        return f"| {label} | " + " | ".join(_fmt(c, "s") for c in cells) + " |"

    lines = [
        "## Where the time goes, by asset group (medians; Dagster runs from their step stats)",
        "",
        "Dagster: the run's steps summed per asset group (`DagsterInstance.get_run_step_stats`); the "
        "direct path: its library calls timed per group, every indicator in one call (so `tema_*` "
        "and `indicators` are one row).",
        "",
        "| | make run | new year | direct |",
        "|---|---|---|---|",
        row("process, wall", cli["median"], year["median"], direct["median"]),
        row(
            "outside the run: CLI start and teardown / direct: start, imports, catalogue",
            cli["median"] - cli["run_s"],
            year["median"] - year["run_s"],
            direct["median"] - sum(columns[2].values()),
        ),
        row(
            "in the run between steps (run and step bookkeeping)",
            cli["run_s"] - sum(columns[0].values()),
            year["run_s"] - sum(columns[1].values()),
            None,
        ),
    ]
    for b in order:
        if any(b in c for c in columns):
            lines.append(row(BUCKET_LABELS.get(b, b), *(c.get(b) for c in columns)))
    return lines


def _ui_and_tests(ui: dict, tests: dict) -> list[str]:
    if ui.get("seconds") is None:
        ui_line = f"Not measured: {ui.get('not_measured', 'no result')}."
    else:
        ui_line = (
            f"Click → success: {_fmt(ui['seconds'], 's')} (once; the whole browser test took "
            f"{_fmt(ui['pytest_s'], 's')}: {ui['pytest']})."
        )
    lines = [
        '## Dagster UI, "Materialize all" (stock `dagster dev`, headless Chromium)',
        "",
        ui_line,
        "",
        "## Test suite (wall clock, once, fresh process)",
        "",
        "| tier | seconds | pytest says |",
        "|---|---|---|",
    ]
    tiers = {"fast": 'fast tier, `pytest -m "not slow and not browser"`', "full": "full suite, `pytest`"}
    for key, label in tiers.items():
        measured = tests[key]
        if measured.get("seconds") is None:
            lines.append(f"| {label} | – | not measured: {measured.get('not_measured', '')} |")
        else:
            exit_code = f"exit code {measured['exit_code']}: " if measured["exit_code"] else ""
            lines.append(f"| {label} | {_fmt(measured['seconds'], 's')} | {exit_code}{measured['pytest']} |")
    return lines


def markdown(results: dict, checked: list[dict]) -> str:
    m = results["machine"]
    p, ind, prod, scale = (results[k] for k in ("pipeline", "indicators", "products", "scale"))
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({'quick' if results['quick'] else 'full'}) on {m['date']} "
        f"at commit `{m['commit']}`.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + f". Load average before/after: {results['load_average_1_5_15min']['before'][0]:.2f} / "
        f"{results['load_average_1_5_15min']['after'][0]:.2f}.",
        "",
        "Every timing is the median of fresh runs, with min and max, unless it says once. Ratios are "
        "of medians from this one run.",
        "",
        "## Targets",
        "",
        "| what | measured | target | | why, where missed |",
        "|---|---|---|---|---|",
    ]
    for t in checked:
        verdict = _verdict(t["met"], t["value"])
        lines.append(
            f"| {t['what']} | {_fmt(t['value'], t['unit'])} | {t['target']} | {verdict} | {t['why']} |"
        )
    lines += ["", "## Reported without a target", "", "| what | measured | |", "|---|---|---|"]
    for f in figures(results):
        lines.append(f"| {f['what']} | {_fmt(f['value'], f['unit'])} | {f['note']} |")
    lines += [
        "",
        "## Pipeline on the bundled data (fresh process, fresh output folder; wall time and peak memory)",
        "",
        "| mode | median | min | max | n | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for mode, label in PIPELINE_LABELS.items():
        lines.append(_row(label, p[mode], extra=f"{p[mode]['peak_gb']:.2f} GB"))
    lines += ["", *_where_the_time_goes(p), "", *_ui_and_tests(results["ui"], results["tests"])]
    lines += [
        "",
        "## Indicators and harmonisation (in process, after a warm-up)",
        "",
        "| what | median | min | max | n | |",
        "|---|---|---|---|---|---|",
    ]
    lines.append(
        _row(
            f"{ind['indicators']['indicators']} indicators → {ind['indicators']['rows']:,} rows",
            ind["indicators"],
        )
    )
    lines.append(_row("goal attainment and roll-ups, one tier", ind["goal_attainment"]))
    lines.append(_row(f"harmonise {ind['harmonise']['rows_in']:,} rows", ind["harmonise"]))
    lines += [
        "",
        "## Charts, profiles and report (fresh process, from a full run's warehouse)",
        "",
        "| what | median | min | max | n | files |",
        "|---|---|---|---|---|---|",
    ]
    for key, item in prod.items():
        lines.append(_row(item.get("label", key), item, extra=str(item.get("files", ""))))
    lines += [
        "",
        "## Record-level scale (bench/results_records.json)",
        "",
        "| rows | engine | median | min | max | peak memory | M rows/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in scale["results"]:
        if r["engine"] == "baseline":
            continue
        rate = f"{r['rows_per_s'] / 1e6:.1f}" if r["rows_per_s"] else "–"
        lines.append(
            f"| {r['rows']:,} | {r['engine']} | {_fmt(r['median_s'], 's')} | {_fmt(r['min_s'], 's')} | "
            f"{_fmt(r['max_s'], 's')} | {r['peak_gb']:.2f} GB | {rate} |"
        )
    lines.append("")
    lines.append(
        f"Fitted exponent of time against rows: DuckDB {scale['scaling_exponent_duckdb']:.2f}, "
        f"bare scan {scale['scaling_exponent_bare_scan']:.2f}."
    )
    lines += [f"- {note}" for note in scale.get("notes", [])]
    lines += ["", *_versus_polars(scale)]
    return "\n".join(lines) + "\n"


def _versus_polars(scale: dict) -> list[str]:
    """The DuckDB-against-Polars table: medians, peaks and the ratios DuckDB ÷ Polars."""
    ratios = scale.get("duckdb_over_polars", {})
    if not ratios:
        return []
    records = {(r["engine"], r["rows"]): r for r in scale["results"]}
    lines = [
        "## Record aggregation, DuckDB against Polars (same files, identical aggregates)",
        "",
        "No target: the ratios are as measured; below 1 DuckDB is the faster or the smaller. Peak "
        "memory includes the interpreter and the libraries every child imports (the baseline, "
        f"{records[('baseline', 0)]['peak_gb']:.2f} GB).",
        "",
        "| rows | DuckDB | Polars | DuckDB ÷ Polars, time | DuckDB peak | Polars peak "
        "| DuckDB ÷ Polars, peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for ratio in ratios.values():
        duck, polars = records[("duckdb", ratio["rows"])], records[("polars", ratio["rows"])]
        lines.append(
            f"| {ratio['rows']:,} | {_fmt(duck['median_s'], 's')} | {_fmt(polars['median_s'], 's')} | "
            f"{ratio['time']:.2f} × | {duck['peak_gb']:.2f} GB | {polars['peak_gb']:.2f} GB | "
            f"{ratio['peak_memory']:.2f} × |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one round, 1 M and 10 M records only, no full test suite"
    )
    args = parser.parse_args(argv)
    results = run_all_sections(args.quick)
    checked = targets(results)
    results["targets"] = checked
    results["figures"] = figures(results)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    RESULTS_MD.write_text(markdown(results, checked), encoding="utf-8")
    for t in checked:
        verdict = _verdict(t["met"], t["value"]).strip("*")
        print(f"{verdict:>6}  {t['what']}: {_fmt(t['value'], t['unit'])} (target {t['target']}) {t['why']}")
    for f in results["figures"]:
        print(f"        {f['what']}: {_fmt(f['value'], f['unit'])} {f['note']}")
    for size, ratio in results["scale"].get("duckdb_over_polars", {}).items():
        time_ratio, peak_ratio = ratio["time"], ratio["peak_memory"]
        print(f"        DuckDB ÷ Polars at {size} rows: time {time_ratio:.2f}×, peak {peak_ratio:.2f}×")
    print(f"wrote {RESULTS_MD.relative_to(REPO)} and {RESULTS_JSON.relative_to(REPO)}")


if __name__ == "__main__":
    main()
