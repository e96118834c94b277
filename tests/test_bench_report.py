"""The benchmark's verdicts: a missed target is reported with the reason in the run's own figures."""

from __future__ import annotations

import pytest

from bench.bench_records import _duckdb_over_polars, _same_answer
from bench.run import _new_year_why, _scan_why, _target, _versus_polars


def test_a_missed_target_keeps_its_reason_and_a_met_one_drops_it() -> None:
    missed = _target("One new year ÷ full run", 0.88, "×", "<", 1 / 3, "because")
    met = _target("Records, 50 M rows", 2.4, "s", "<", 15, "because")
    assert (missed["met"], missed["why"]) == (False, "because")
    assert (met["met"], met["why"]) == (True, "")
    assert _target("speed-up", 10.0, "×", ">=", 10)["met"] is True
    assert _target("not measured", None, "s", "<", 15)["met"] is None


def test_the_new_year_reason_is_computed_from_the_measured_runs() -> None:
    pipeline = {
        "cli": {"median": 18.0},
        "year": {"median": 15.0, "run_s": 12.5, "partitioned_steps_s": 1.7, "other_steps_s": 10.6},
    }
    why = _new_year_why(pipeline, products_s=7.0)
    assert "the earlier years add only 3.0 s" in why
    assert "would have to finish in 1.5 s" in why  # year < (full − year) / 2
    assert "2.5 s outside the run" in why  # wall 15.0 − run 12.5
    assert "partitioned steps take 1.7 s and 10.6 s" in why


def test_the_record_reasons_quote_the_measured_scans() -> None:
    def row(seconds: float, low: float | None = None, high: float | None = None) -> dict:
        return {"median_s": seconds, "min_s": low or seconds, "max_s": high or seconds}

    records = {
        ("bare", 50_000_000): row(0.1),
        ("columns", 50_000_000): row(0.8),
        ("duckdb", 50_000_000): row(2.4),
        ("duckdb", 10_000_000): row(0.5),
        ("columns", 10_000_000): row(0.2),
    }
    assert "takes 0.80 s, 8.0× the one-column scan" in _scan_why(records)
    assert "takes 3.0× the scan of its 8 columns" in _scan_why(records)
    del records[("bare", 50_000_000)]  # as in --quick, which measures no 50 M rows
    assert _scan_why(records) == "the aggregation reads 8 columns and counts distinct households"


def test_duckdb_against_polars_is_reported_as_ratios_only_for_identical_answers() -> None:
    def run(engine: str, rows: int, seconds: float, peak: float, digest: str | None = "d") -> dict:
        return {"engine": engine, "rows": rows, "median_s": seconds, "peak_gb": peak, "digest": digest}

    ten = [run("duckdb", 10_000_000, 0.5, 0.4), run("polars", 10_000_000, 1.0, 1.6)]
    ten.append(run("bare", 10_000_000, 0.1, 0.2, digest=None))
    assert "DuckDB and polars aggregates identical (hash d)" in _same_answer(ten, 10_000_000)
    with pytest.raises(RuntimeError, match="polars and DuckDB aggregates differ"):
        _same_answer([ten[0], {**ten[1], "digest": "other"}], 10_000_000)

    results = [run("baseline", 0, 0.0, 0.2), run("duckdb", 1_000_000, 0.1, 0.2), *ten]  # 1 M: no Polars
    ratios = _duckdb_over_polars(results)
    assert ratios == {"10M": {"rows": 10_000_000, "time": 0.5, "peak_memory": 0.25}}
    table = "\n".join(_versus_polars({"results": results, "duckdb_over_polars": ratios}))
    assert "| 10,000,000 | 0.500 s | 1.000 s | 0.50 × | 0.40 GB | 1.60 GB | 0.25 × |" in table
    assert _versus_polars({"results": results}) == []  # results written before Polars was the peer
