"""Aggregate 1, 10 and 50 million bostøtte payment records inside DuckDB; compare Polars.

The record files are generated once by :mod:`pipelines.records.generate` and cached under
``bench/.work/`` (git-ignored; the 50 M file is ~0.7 GB and takes ~20 s to write). Every
measurement runs in a fresh Python process, three times: the time is that of the aggregation call
alone (connection opened and modules imported before the clock starts), the peak memory is the
child's maximum resident set size as the kernel reports it to the parent (``os.wait4``: the
``getrusage`` of that one child, unlike ``RUSAGE_CHILDREN``, which is the maximum over all
children) — so it includes the interpreter and the imported libraries (the ``baseline`` row
shows how much that is; every child imports the same ones, pandas, DuckDB and Polars, so all
engines start from the same floor). The parent stays small (it generates files in a child too),
because a child's ``ru_maxrss`` starts from its parent's peak RSS. Timings on a shared machine are
noisy; medians of fresh-process runs are reported with min and max.

DuckDB runs with ``threads=2``, ``memory_limit='2GB'`` and ``preserve_insertion_order=false``
(:func:`pipelines.records.aggregate.connect`); Polars with ``POLARS_MAX_THREADS=2`` (it has no
memory limit). Rows: ``duckdb`` = ``aggregate_bostotte`` (exact distinct counts, validation
included); ``polars`` = :func:`bench.polars_peer.aggregate_bostotte_polars`, the same
aggregation, validation and reconciliation in Polars' lazy API — the library a Python user would
pick instead of DuckDB; ``pandas`` (1 M rows only, for continuity with earlier results) =
``aggregate_bostotte_pandas``; ``bare scan`` = ``SELECT count(*), sum(allowance_nok)`` — the
floor the spec asks for; ``columns scan`` = the same over every column the aggregation reads, for
context. Every engine's aggregates must hash the same as DuckDB's at every size, or the run
stops before anything is reported.

Targets: 50 M rows under 15 s and under 3 GB peak; within 3× of the bare scan; roughly linear
(fitted exponent of time against rows near 1). Against Polars there is no target: the ratios
DuckDB ÷ Polars of median time and of peak memory are reported at every size (below 1: DuckDB
is faster or smaller).

    .venv/bin/python -m bench.bench_records                # 1, 10 and 50 million rows
    .venv/bin/python -m bench.bench_records --sizes 1,10   # a quicker run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import machine

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = BENCH_DIR / "results_records.json"
GENERATOR_TAG = "v1"  # bump when the generator's output changes, so cached files are rebuilt

MILLION = 1_000_000
DEFAULT_SIZES = (1, 10, 50)  # millions of rows
PANDAS_SIZES = (1,)  # the former peer, kept where it is cheap so earlier results stay comparable
THREADS = 2
MEMORY_LIMIT = "2GB"

TARGET_SECONDS_50M = 15.0
TARGET_PEAK_GB_50M = 3.0
TARGET_BARE_RATIO = 3.0
LINEAR_BAND = (0.85, 1.15)

COLUMNS_SCAN_SQL = """
    SELECT count(*), sum(allowance_nok), max(household_id), max(kommunenr), max(month),
           max(household_type), sum(income_nok), sum(housing_cost_nok), min(household_size)
    FROM read_parquet('{path}')
"""


# --------------------------------------------------------------------------------------------
# Child process: one measurement
# --------------------------------------------------------------------------------------------


def _child(kind: str, path: str) -> None:
    import pandas as pd

    # every child imports Polars (and DuckDB, which the peer's column declarations come with)
    from bench.polars_peer import aggregate_bostotte_polars
    from pipelines.records.aggregate import aggregate_bostotte, aggregate_bostotte_pandas, bare_scan, connect

    con = connect(threads=THREADS, memory_limit=MEMORY_LIMIT)
    digest, rows = None, None
    start = time.perf_counter()
    if kind == "duckdb":
        result = aggregate_bostotte(con, path)
        elapsed = time.perf_counter() - start
        frame, rows = result.aggregates, result.rows_read
    elif kind == "polars":
        result = aggregate_bostotte_polars(path)
        elapsed = time.perf_counter() - start
        frame, rows = result.aggregates, result.rows_read
    elif kind == "pandas":
        frame = aggregate_bostotte_pandas(path)
        elapsed = time.perf_counter() - start
        rows = None
    elif kind == "bare":
        rows, _ = bare_scan(con, path)
        elapsed = time.perf_counter() - start
        frame = None
    elif kind == "columns":
        rows = con.sql(COLUMNS_SCAN_SQL.format(path=path)).fetchall()[0][0]
        elapsed = time.perf_counter() - start
        frame = None
    elif kind == "baseline":
        elapsed, frame = time.perf_counter() - start, None
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    if frame is not None:
        digest = str(int(pd.util.hash_pandas_object(frame, index=False).sum()))
    print(json.dumps({"seconds": elapsed, "rows": rows, "digest": digest}))


def _measure_once(kind: str, path: Path) -> dict:
    """Run one measurement in a fresh interpreter; return its timing and peak RSS (GB)."""
    command = [sys.executable, "-m", "bench.bench_records", "--child", kind, "--file", str(path)]
    # Polars reads its thread count when it is imported: as many threads as DuckDB gets
    env = {**os.environ, "POLARS_MAX_THREADS": str(THREADS)}
    process = subprocess.Popen(
        command, cwd=BENCH_DIR.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{kind} on {path.name} failed:\n{stderr.decode()}")
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    out["peak_gb"] = usage.ru_maxrss * 1024 / 1e9  # ru_maxrss is in KiB on Linux
    return out


def _summarise(kind: str, rows: int, runs: list[dict]) -> dict:
    seconds = [r["seconds"] for r in runs]
    digests = {r["digest"] for r in runs}
    if len(digests) != 1:
        raise RuntimeError(f"{kind} gave different results on repeated runs")
    median = statistics.median(seconds)
    return {
        "engine": kind,
        "rows": rows,
        "runs": seconds,
        "median_s": median,
        "min_s": min(seconds),
        "max_s": max(seconds),
        "peak_gb": max(r["peak_gb"] for r in runs),
        "rows_per_s": rows / median if median > 0 else None,
        "digest": digests.pop(),
    }


def measure(kinds: list[str], path: Path, rows: int, repeat: int) -> list[dict]:
    """``repeat`` fresh-process runs of each kind, interleaved (A B C A B C …) so that a busy
    machine slows every engine alike and the ratios stay fair."""
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            runs[kind].append(_measure_once(kind, path))
    return [_summarise(kind, rows, runs[kind]) for kind in kinds]


# --------------------------------------------------------------------------------------------
# Record files (cached)
# --------------------------------------------------------------------------------------------


def record_file(rows: int) -> tuple[Path, float | None]:
    """The cached record file with ``rows`` rows; generate it if missing. Returns (path, seconds).

    Generated in a child process: the parent must stay small, because a child started from it
    inherits the parent's peak RSS as the starting value of its own ``ru_maxrss`` (Linux keeps it
    across fork/exec), which would inflate every memory figure below.
    """
    path = WORK_DIR / f"bostotte_{rows}_default_seed_{GENERATOR_TAG}.parquet"
    sidecar = path.with_suffix(".json")  # how long the generation took, kept with the cache
    if path.exists():
        return path, json.loads(sidecar.read_text())["seconds"] if sidecar.exists() else None
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    command = [sys.executable, "-m", "pipelines.records.generate", "--kind", "bostotte"]
    subprocess.run([*command, "--rows", str(rows), "--out", str(path)], cwd=BENCH_DIR.parent, check=True)
    elapsed = time.perf_counter() - start
    sidecar.write_text(json.dumps({"rows": rows, "seconds": elapsed}) + "\n")
    print(f"generated {path.name}: {rows:,} rows in {elapsed:.1f} s ({path.stat().st_size / 1e9:.2f} GB)")
    return path, elapsed


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _exponent(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    x = np.log([r for r, _ in points])
    y = np.log([s for _, s in points])
    return float(np.polyfit(x, y, 1)[0])


def _table(results: list[dict]) -> str:
    header = (
        f"{'rows':>12}  {'engine':<13} {'median s':>9} {'min s':>8} {'max s':>8} {'peak GB':>8} "
        f"{'M rows/s':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        rate = "" if r["rows_per_s"] is None or r["engine"] == "baseline" else f"{r['rows_per_s'] / 1e6:9.1f}"
        lines.append(
            f"{r['rows']:>12,}  {r['engine']:<13} {r['median_s']:9.3f} {r['min_s']:8.3f} {r['max_s']:8.3f} "
            f"{r['peak_gb']:8.2f} {rate:>9}"
        )
    return "\n".join(lines)


def _same_answer(measured: list[dict], rows: int) -> str:
    """The note that every engine's aggregates hash alike to DuckDB's; raise if one does not."""
    digests = {r["engine"]: r["digest"] for r in measured if r["digest"] is not None}
    duck = digests.pop("duckdb")
    differ = [engine for engine, digest in digests.items() if digest != duck]
    if differ:
        raise RuntimeError(f"{', '.join(differ)} and DuckDB aggregates differ at {rows:,} rows")
    names = ["DuckDB", *digests]
    return f"{rows:,} rows: {', '.join(names[:-1])} and {names[-1]} aggregates identical (hash {duck})"


def _duckdb_over_polars(results: list[dict]) -> dict[str, dict]:
    """DuckDB ÷ Polars, median time and peak memory, per size measured with both ("10M": …)."""
    by = {(r["engine"], r["rows"]): r for r in results}
    out = {}
    for (engine, rows), duck in by.items():
        polars = by.get(("polars", rows))
        if engine == "duckdb" and polars is not None:
            out[f"{rows // MILLION}M"] = {
                "rows": rows,
                "time": duck["median_s"] / polars["median_s"],
                "peak_memory": duck["peak_gb"] / polars["peak_gb"],
            }
    return out


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="millions of rows, e.g. 1,10,50"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.file)
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    files, generation = {}, {}
    for size in sizes:
        files[size], seconds = record_file(size * MILLION)
        generation[size] = {
            "file": files[size].name,
            "bytes": files[size].stat().st_size,
            "generated_s": seconds,  # measured when the cached file was written
        }

    results: list[dict] = []
    notes: list[str] = []
    load_before = os.getloadavg()
    results.extend(measure(["baseline"], files[sizes[0]], 0, 1))
    for size in sizes:
        rows, path = size * MILLION, files[size]
        kinds = ["duckdb", "polars", "bare", "columns"] + (["pandas"] if size in PANDAS_SIZES else [])
        measured = measure(kinds, path, rows, args.repeat)
        notes.append(_same_answer(measured, rows))  # before anything of this size is reported
        print(_table(measured).split("\n", 2)[-1], flush=True)
        results.extend(measured)
    load_after = os.getloadavg()

    def pick(kind: str, size: int) -> dict | None:
        return next((r for r in results if r["engine"] == kind and r["rows"] == size * MILLION), None)

    duck_points = [(r["rows"], r["median_s"]) for r in results if r["engine"] == "duckdb"]
    exponent = _exponent(duck_points)
    exponent_bare = _exponent([(r["rows"], r["median_s"]) for r in results if r["engine"] == "bare"])
    largest = max(sizes)
    duck_largest, bare_largest, columns_largest = (
        pick("duckdb", largest),
        pick("bare", largest),
        pick("columns", largest),
    )
    versus_polars = _duckdb_over_polars(results)
    bare_ratio = duck_largest["median_s"] / bare_largest["median_s"]
    columns_ratio = duck_largest["median_s"] / columns_largest["median_s"]
    duck_50 = pick("duckdb", 50)
    targets = {
        "duckdb_50M_under_15s": {
            "value_s": duck_50 and duck_50["median_s"],
            "met": None if duck_50 is None else duck_50["median_s"] < TARGET_SECONDS_50M,
        },
        "duckdb_50M_peak_under_3GB": {
            "value_gb": duck_50 and duck_50["peak_gb"],
            "met": None if duck_50 is None else duck_50["peak_gb"] < TARGET_PEAK_GB_50M,
        },
        f"within_3x_of_bare_scan_at_{largest}M": {
            "value": bare_ratio,
            "met": bare_ratio <= TARGET_BARE_RATIO,
        },
        "roughly_linear": {
            "exponent": exponent,
            "met": None if exponent is None else LINEAR_BAND[0] <= exponent <= LINEAR_BAND[1],
        },
    }

    print()
    print(
        machine(), f"— DuckDB threads={THREADS}, memory_limit={MEMORY_LIMIT}, preserve_insertion_order=false"
    )
    print(_table(results))
    print()
    print(f"50 M rows under {TARGET_SECONDS_50M:.0f} s: {_verdict(targets['duckdb_50M_under_15s']['met'])}")
    peak_verdict = _verdict(targets["duckdb_50M_peak_under_3GB"]["met"])
    print(f"50 M rows under {TARGET_PEAK_GB_50M:.0f} GB peak: {peak_verdict}")
    for size, ratio in versus_polars.items():
        print(
            f"DuckDB ÷ Polars at {size} rows: time {ratio['time']:.2f}×, peak memory "
            f"{ratio['peak_memory']:.2f}× (below 1: DuckDB faster or smaller; no target)"
        )
    print(
        f"DuckDB / bare scan at {largest} M rows: {bare_ratio:.1f}× (target ≤ {TARGET_BARE_RATIO:.0f}×): "
        f"{_verdict(bare_ratio <= TARGET_BARE_RATIO)}; / columns scan: {columns_ratio:.1f}×"
    )
    if exponent is not None:
        print(
            f"scaling exponent (log time vs log rows), DuckDB: {exponent:.2f}; "
            f"bare scan: {exponent_bare:.2f} "
            f"— roughly linear: {_verdict(targets['roughly_linear']['met'])}"
        )
    for note in notes:
        print("note:", note)

    RESULTS_PATH.write_text(
        json.dumps(
            {
                "machine": machine(),
                "settings": {
                    "threads": THREADS,
                    "memory_limit": MEMORY_LIMIT,
                    "preserve_insertion_order": False,
                },
                "parent_peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
                "load_average_1_5_15min": {"before": load_before, "after": load_after},
                "repeat": args.repeat,
                "files": {f"{size}M": info for size, info in generation.items()},
                "results": results,
                "scaling_exponent_duckdb": exponent,
                "scaling_exponent_bare_scan": exponent_bare,
                "duckdb_over_bare_scan": bare_ratio,
                "duckdb_over_columns_scan": columns_ratio,
                "duckdb_over_polars": versus_polars,
                "targets": targets,
                "notes": notes,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS_PATH.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
