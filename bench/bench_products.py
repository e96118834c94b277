"""All indicator charts, the 357 municipality profiles (HTML + PNG) and the steering report,
from a full run's warehouse. Target: under 60 s together on 2 cores.

The warehouse is built once without the products (``pipelines.direct.run_all(charts=False)``);
each round then draws everything in a fresh process (imports and reading the tables included in
the total, as in a Dagster step), timing each product.

    .venv/bin/python -m bench.bench_products
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import measure_or_child, summary

REPO = Path(__file__).resolve().parent.parent
PRODUCTS = ("charts", "profiles", "report")
LABELS = {
    "charts": "all indicator charts (4 kinds)",
    "profiles": "357 municipality profiles (HTML + PNG) and their indexes",
    "report": "steering report (HTML, charts embedded)",
    "total": "all of it, fresh process",
}


# files written, from each build function's result
COUNT_FILES = {
    "charts": len,
    "profiles": lambda result: len(result.pngs) + len(result.pages) + len(result.index_pages),
    "report": lambda result: 1,
}


def _child(base: str) -> None:
    start = time.perf_counter()
    from pipelines.catalogue import load_catalogue
    from pipelines.charts.build import build_charts
    from pipelines.profiles.build import build_profiles
    from pipelines.report.build import build_report
    from pipelines.warehouse import connect, warehouse_path

    base_dir = Path(base)
    catalogue = load_catalogue()
    seconds, files = {}, {}
    with connect(warehouse_path(base_dir)) as con:
        for product, build in (
            ("charts", build_charts),
            ("profiles", build_profiles),
            ("report", build_report),
        ):
            began = time.perf_counter()
            result = build(con, catalogue, base_dir, "2099-01-01")
            seconds[product] = time.perf_counter() - began
            files[product] = COUNT_FILES[product](result)
    seconds["total"] = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "files": files}))


def measure(repeat: int = 3) -> dict[str, dict]:
    from pipelines.direct import run_all

    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench_products_") as folder:
        base = Path(folder)
        run_all(base, charts=False, release="2099-01-01")
        for round_ in range(repeat):
            env = {k: v for k, v in os.environ.items() if not k.startswith("BOLIG_")}
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_products", "--child", str(base)],
                cwd=REPO, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if out.returncode != 0:
                raise RuntimeError(f"products failed:\n{out.stderr[-3000:]}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  round {round_ + 1}: {runs[-1]['seconds']['total']:.1f} s", flush=True)
    result = {}
    for key in (*PRODUCTS, "total"):
        result[key] = {**summary([r["seconds"][key] for r in runs]), "label": LABELS[key]}
        if key in PRODUCTS:
            result[key]["files"] = runs[-1]["files"][key]
    return result


def main(argv: list[str] | None = None) -> None:
    measure_or_child(__doc__, measure, _child, argv)


if __name__ == "__main__":
    main()
