"""Harmonise one million municipality × year × measure rows to the 2024 borders.

Every (year, code) valid on 1 January 2014–2025 (4 692 pairs) × 214 measures, cut at 1 000 000
rows, in long form (`by=["measure_id"]`). Target: under 2 s.

    .venv/bin/python -m bench.bench_harmonise
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.common import machine, summary, time_it
from pipelines.geography import harmonise
from pipelines.geography.history import load_history

ROWS = 1_000_000
TARGET_SECONDS = 2.0


def million_rows(rows: int = ROWS) -> pd.DataFrame:
    history = load_history()
    pairs = [(year, code) for year in history.years for code in sorted(history.valid_codes[year])]
    per_pair = rows // len(pairs) + 1
    frame = pd.DataFrame(pairs, columns=["year", "kommunenr"])
    frame = frame.loc[frame.index.repeat(per_pair)].reset_index(drop=True)
    frame["measure_id"] = np.tile(np.arange(per_pair), len(pairs))
    frame = frame.iloc[:rows].copy()
    frame["value"] = np.random.default_rng(7).integers(0, 1_000, rows).astype("float64")
    return frame


def run() -> dict[str, dict]:
    """Harmonising one million rows: summary in seconds."""
    frame = million_rows()
    result = harmonise(frame, measures=["value"], by=["measure_id"])
    assert abs(result["value"].sum() - frame["value"].sum()) < 1e-6, "total not preserved"
    timing = time_it("harmonise", lambda: harmonise(frame, measures=["value"], by=["measure_id"]))
    return {"harmonise": {**summary(timing.runs), "rows_in": len(frame), "rows_out": len(result)}}


def main() -> None:
    frame = million_rows()
    result = harmonise(frame, measures=["value"], by=["measure_id"])
    assert abs(result["value"].sum() - frame["value"].sum()) < 1e-6, "total not preserved"
    timing = time_it(
        f"harmonise {len(frame):,} rows → {len(result):,}",
        lambda: harmonise(frame, measures=["value"], by=["measure_id"]),
    )
    print(machine())
    print(timing.line(TARGET_SECONDS))


if __name__ == "__main__":
    main()
