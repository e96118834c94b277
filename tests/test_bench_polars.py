"""The benchmark's Polars peer gives DuckDB's answer frame for frame (bench.polars_peer).

Polars is in the ``dev`` extra, so CI runs this; the skip is for environments without it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("polars", reason="polars is not installed: pip install -e '.[bench]'")

import pipelines.records.generate as generate  # noqa: E402
from bench.polars_peer import aggregate_bostotte_polars  # noqa: E402
from pipelines.records.aggregate import aggregate_bostotte, connect  # noqa: E402
from pipelines.records.generate import BOSTOTTE_SCHEMA, write_bostotte_records  # noqa: E402


@pytest.fixture()
def con():
    connection = connect(threads=2, memory_limit="1GB")
    yield connection
    connection.close()


def _assert_same(con, path: Path | str) -> None:
    duck, polars = aggregate_bostotte(con, str(path)), aggregate_bostotte_polars(str(path))
    pd.testing.assert_frame_equal(polars.aggregates, duck.aggregates)
    pd.testing.assert_frame_equal(polars.problems, duck.problems)
    assert (polars.rows_read, polars.rows_aggregated) == (duck.rows_read, duck.rows_aggregated)


def test_generated_records(tmp_path: Path, con) -> None:
    path = tmp_path / "b.parquet"
    write_bostotte_records(path, years=[2023, 2024], target_rows=40_000, seed=3)
    _assert_same(con, path)
    assert aggregate_bostotte_polars(str(path)).problems.empty


def test_year_by_year_plan(tmp_path: Path, con, monkeypatch: pytest.MonkeyPatch) -> None:
    # small row groups cut at year boundaries: DuckDB aggregates one year at a time
    monkeypatch.setattr(generate, "ROW_GROUP_ROWS", 5_000)
    path = tmp_path / "b.parquet"
    write_bostotte_records(path, years=[2022, 2023, 2024], target_rows=45_000, seed=5)
    _assert_same(con, path)


def test_rejected_records_parquet_and_glob(tmp_path: Path, con) -> None:
    path = tmp_path / "b.parquet"
    write_bostotte_records(path, years=[2023, 2024], target_rows=20_000, seed=7)
    frame = pq.read_table(path).to_pandas()
    # one failing check of each kind, spread over the file; row 500 fails two (the first counts)
    bad = {
        10: ("kommunenr", None),
        20: ("kommunenr", ""),
        30: ("household_id", None),
        40: ("month", None),
        50: ("household_type", "ukjent"),
        60: ("household_size", 0),
        70: ("income_nok", -1),
        80: ("housing_cost_nok", -5),
        90: ("allowance_nok", -100),
        500: ("household_type", "ukjent"),
    }
    frame = frame.astype({"household_id": "Int64", "household_size": "Int32"})
    for row, (column, value) in bad.items():
        frame.loc[row, column] = value
    frame.loc[500, "allowance_nok"] = -1
    table = pa.Table.from_pandas(frame, schema=BOSTOTTE_SCHEMA, preserve_index=False)
    pq.write_table(table.slice(0, 10_000), tmp_path / "part-1.parquet")
    pq.write_table(table.slice(10_000), tmp_path / "part-2.parquet")
    pq.write_table(table, tmp_path / "bad.parquet")
    _assert_same(con, tmp_path / "bad.parquet")
    _assert_same(con, tmp_path / "part-*.parquet")  # two files: rows numbered per file
    problems = aggregate_bostotte_polars(str(tmp_path / "bad.parquet")).problems
    assert len(problems) == len(bad)
    assert problems.loc[problems["row"] == 501, "reason"].item() == "unknown household_type"


def test_rejected_records_csv(tmp_path: Path, con) -> None:
    path = tmp_path / "b.csv"
    write_bostotte_records(path, years=[2024], target_rows=5_000, seed=2, format="csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [name.strip('"') for name in lines[0].split(",")]  # pyarrow quotes the names
    good = dict(zip(header, lines[1].split(","), strict=True))

    def line(**changes: str) -> str:
        return ",".join(changes.get(name, good[name]) for name in header)

    # what both engines read alike: empty and quoted empty fields, unparseable values, padding
    lines[3:3] = [
        line(kommunenr=""),
        line(kommunenr='""'),
        line(household_id='""'),
        line(month="not-a-date"),
        line(month="31.12.2024"),
        line(month="+2024-12-01"),
        line(income_nok="many"),
        line(income_nok=" 250000 "),  # accepted by both: surrounding spaces
        line(month=" 2024-12-01 "),
        line(household_size="0"),
        line(household_type="ukjent"),
        line(allowance_nok="-1"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_same(con, path)
    result = aggregate_bostotte_polars(str(path))
    assert result.rows_read == 5_012 == result.rows_aggregated + 10
    gzipped = tmp_path / "b.csv.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    _assert_same(con, gzipped)
