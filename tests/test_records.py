"""Husbanken record files: the synthetic generator and the DuckDB aggregation (pipelines.records)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipelines.records.generate as generate
from pipelines.paths import DEMO_DIR
from pipelines.records.aggregate import (
    BOSTOTTE_MEASURES,
    AggregationResult,
    _clustered_years,
    aggregate_bostotte,
    aggregate_bostotte_pandas,
    aggregate_startlan,
    aggregate_startlan_pandas,
    bare_scan,
    connect,
)
from pipelines.records.generate import (
    BOSTOTTE_SCHEMA,
    STARTLAN_SCHEMA,
    write_bostotte_records,
    write_startlan_records,
)


@pytest.fixture()
def con():
    connection = connect(threads=2, memory_limit="1GB")
    yield connection
    connection.close()


def _types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    return {
        name: kind for name, kind, *_ in con.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    }


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    rows_a = write_bostotte_records(a, years=[2023, 2024], scale=0.02, seed=7)
    rows_b = write_bostotte_records(b, years=[2023, 2024], scale=0.02, seed=7)
    write_bostotte_records(c, years=[2023, 2024], scale=0.02, seed=8)
    assert rows_a == rows_b > 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()

    for name in ("l1.csv", "l2.csv"):
        write_startlan_records(tmp_path / name, years=[2024], scale=0.1, seed=3)
    assert (tmp_path / "l1.csv").read_bytes() == (tmp_path / "l2.csv").read_bytes()
    write_startlan_records(tmp_path / "l1.parquet", years=[2024], scale=0.1, seed=3)
    write_startlan_records(tmp_path / "l2.parquet", years=[2024], scale=0.1, seed=3)
    assert (tmp_path / "l1.parquet").read_bytes() == (tmp_path / "l2.parquet").read_bytes()


def test_failed_generation_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "records.parquet"
    write_startlan_records(target, years=[2024], scale=0.1, seed=3)
    before = target.read_bytes()
    with pytest.raises(ValueError, match="no years"):  # fails after the writer has opened its file
        write_startlan_records(target, years=[], scale=0.1, seed=3)
    with pytest.raises(ValueError, match="unknown format"):
        write_startlan_records(target, years=[2024], scale=0.1, seed=3, format="xlsx")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["records.parquet"]


def test_generated_columns_and_types(tmp_path: Path, con) -> None:
    bostotte, loans = tmp_path / "b.parquet", tmp_path / "s.parquet"
    write_bostotte_records(bostotte, years=[2024], scale=0.02)
    write_startlan_records(loans, years=[2024], scale=0.2)
    assert _types(con, bostotte) == {
        "household_id": "BIGINT",
        "kommunenr": "VARCHAR",
        "month": "DATE",
        "household_type": "VARCHAR",
        "household_size": "INTEGER",
        "income_nok": "BIGINT",
        "housing_cost_nok": "BIGINT",
        "allowance_nok": "INTEGER",
    }
    assert _types(con, loans) == {
        "loan_id": "BIGINT",
        "kommunenr": "VARCHAR",
        "granted_date": "DATE",
        "amount_nok": "BIGINT",
        "household_with_children": "BOOLEAN",
        "applicant_age_band": "VARCHAR",
    }
    assert pq.read_schema(bostotte).equals(BOSTOTTE_SCHEMA)
    assert pq.read_schema(loans).equals(STARTLAN_SCHEMA)
    ((types, days, low, high),) = con.sql(
        f"""SELECT count(DISTINCT household_type), count(*) FILTER (WHERE day(month) <> 1),
                   quantile_cont(income_nok, 0.1), quantile_cont(income_nok, 0.9)
            FROM '{bostotte}'"""
    ).fetchall()
    assert types == 5 and days == 0
    assert 130_000 < low < high < 450_000
    ((bands, mean_amount),) = con.sql(
        f"SELECT count(DISTINCT applicant_age_band), avg(amount_nok) FROM '{loans}'"
    ).fetchall()
    assert bands == 5 and 1_000_000 < mean_amount < 3_000_000


def test_realistic_volumes_at_scale_one(tmp_path: Path, con) -> None:
    bostotte, loans = tmp_path / "b.parquet", tmp_path / "s.parquet"
    write_bostotte_records(bostotte, years=[2024])
    write_startlan_records(loans, years=[2023, 2024])
    monthly = [n for (n,) in con.sql(f"SELECT count(*) FROM '{bostotte}' GROUP BY month").fetchall()]
    assert len(monthly) == 12 and all(60_000 <= n <= 130_000 for n in monthly)
    ((december, distinct_december, unique_year),) = con.sql(
        f"""SELECT count(*) FILTER (WHERE month(month) = 12),
                   count(DISTINCT household_id) FILTER (WHERE month(month) = 12),
                   count(DISTINCT household_id) FROM '{bostotte}'"""
    ).fetchall()
    assert december == distinct_december  # one payment per household and month
    # households persist: far fewer distinct households in a year than 12 × a month
    assert december < unique_year < 3 * december

    demo = pd.read_csv(DEMO_DIR / "husbanken_bostotte.csv", dtype={"kommunenr": str})
    demo_december = demo.loc[demo["year"] == 2024, "bostotte_households_december"].sum()
    assert abs(december / demo_december - 1) < 0.02

    per_year = con.sql(f"SELECT year(granted_date), count(*) FROM '{loans}' GROUP BY 1 ORDER BY 1").fetchall()
    assert [y for y, _ in per_year] == [2023, 2024]
    assert all(5_000 <= n <= 9_000 for _, n in per_year)


def test_target_rows_and_command_line(tmp_path: Path, con) -> None:
    out = tmp_path / "rows.parquet"
    assert write_bostotte_records(out, years=[2023, 2024], target_rows=30_000) == 30_000
    generate.main(
        ["--kind", "bostotte", "--rows", "12345", "--years", "2024", "--out", str(tmp_path / "c.csv")]
    )
    ((rows,),) = con.sql(f"SELECT count(*) FROM read_csv('{tmp_path / 'c.csv'}')").fetchall()
    assert rows == 12_345


# --------------------------------------------------------------------------------------------
# Aggregation on a hand-made record set
# --------------------------------------------------------------------------------------------

NOV23, DEC23, JAN24 = dt.date(2023, 11, 1), dt.date(2023, 12, 1), dt.date(2024, 1, 1)

# household_id, kommunenr, month, household_type, household_size, income, housing cost, allowance
HAND_MADE = [
    # H1 (0301): single, cost 60 000 > 200 000 / 4 → high burden; paid Nov, Dec, Jan
    (1, "0301", NOV23, "enslig", 1, 200_000, 60_000, 1_000),
    (1, "0301", DEC23, "enslig", 1, 200_000, 60_000, 1_000),
    (1, "0301", JAN24, "enslig", 1, 200_000, 60_000, 1_000),
    # H2 (0301): couple with children, cost exactly 25 % → not high burden; December only
    (2, "0301", DEC23, "par_med_barn", 4, 400_000, 100_000, 2_000),
    # H3 (0301): single parent, high burden, but paid in November only
    (3, "0301", NOV23, "enslig_med_barn", 2, 300_000, 90_000, 1_500),
    # H5 (0301): single parent, 25 001 > 100 001 / 4 → high burden; two December payments
    (5, "0301", DEC23, "enslig_med_barn", 3, 100_001, 25_001, 700),
    (5, "0301", DEC23, "enslig_med_barn", 3, 100_001, 25_001, 700),
    # H4 (1103): couple without children, 62 501 > 62 500 → high burden; Dec and Jan
    (4, "1103", DEC23, "par_uten_barn", 2, 250_000, 62_501, 500),
    (4, "1103", JAN24, "par_uten_barn", 2, 250_000, 62_501, 500),
]
EXPECTED = pd.DataFrame(
    [
        # kommunenr, year, december, unique, children december, high burden december, allowance, months
        ("0301", 2023, 3, 4, 2, 2, 1_000 + 1_000 + 2_000 + 1_500 + 700 + 700, 2),
        ("0301", 2024, 0, 1, 0, 0, 1_000, 1),
        ("1103", 2023, 1, 1, 0, 1, 500, 1),
        ("1103", 2024, 0, 1, 0, 0, 500, 1),
    ],
    columns=["kommunenr", "year", *BOSTOTTE_MEASURES],
).astype({c: "int64" for c in ["year", *BOSTOTTE_MEASURES]})
EXPECTED["kommunenr"] = EXPECTED["kommunenr"].astype("str")

# Records that cannot be aggregated: (record, column, raw value, reason)
BAD = [
    ((6, None, DEC23, "enslig", 1, 200_000, 60_000, 900), "kommunenr", None, "missing kommunenr"),
    ((7, "0301", DEC23, "enslig", 1, 200_000, 60_000, -5), "allowance_nok", "-5", "negative amount"),
    ((8, "0301", DEC23, "enslig", 0, 200_000, 60_000, 900), "household_size", "0", "household_size below 1"),
    ((9, "0301", DEC23, "enslig", 1, -1, 60_000, 900), "income_nok", "-1", "negative amount"),
    (
        (10, "0301", DEC23, "ukjent", 1, 200_000, 60_000, 900),
        "household_type",
        "ukjent",
        "unknown household_type",
    ),
]


def _write_parquet(path: Path, records: list[tuple]) -> Path:
    columns = list(zip(*records, strict=True))
    table = pa.table({f.name: pa.array(col, f.type) for f, col in zip(BOSTOTTE_SCHEMA, columns, strict=True)})
    pq.write_table(table, path)
    return path


def _csv_value(value: object) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


def _write_csv(path: Path, records: list[tuple], header: list[str] | None = None) -> Path:
    lines = [",".join(header or BOSTOTTE_SCHEMA.names)]
    lines += [",".join(_csv_value(v) for v in record) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_hand_made_parquet(tmp_path: Path, con) -> None:
    path = _write_parquet(tmp_path / "records.parquet", HAND_MADE)
    result = aggregate_bostotte(con, str(path))
    assert isinstance(result, AggregationResult)
    pd.testing.assert_frame_equal(result.aggregates, EXPECTED)
    assert result.rows_read == result.rows_aggregated == len(HAND_MADE)
    assert result.problems.empty and list(result.problems.columns) == [
        "file",
        "row",
        "column",
        "raw_value",
        "reason",
    ]
    pd.testing.assert_frame_equal(aggregate_bostotte_pandas(str(path)), EXPECTED)
    assert bare_scan(con, str(path)) == (len(HAND_MADE), sum(r[-1] for r in HAND_MADE))


def test_hand_made_csv(tmp_path: Path, con) -> None:
    path = _write_csv(tmp_path / "records.csv", HAND_MADE)
    aggregates, problems = aggregate_bostotte(con, str(path))
    pd.testing.assert_frame_equal(aggregates, EXPECTED)
    assert problems.empty
    pd.testing.assert_frame_equal(aggregate_bostotte_pandas(str(path)), EXPECTED)
    # column order in the file does not matter: columns are matched by header name
    shuffled = [BOSTOTTE_SCHEMA.names[i] for i in (7, 6, 5, 4, 3, 2, 1, 0)]
    reordered = _write_csv(tmp_path / "reordered.csv", [r[::-1] for r in HAND_MADE], header=shuffled)
    pd.testing.assert_frame_equal(aggregate_bostotte(con, str(reordered)).aggregates, EXPECTED)


def test_problem_records_are_reported_and_counted(tmp_path: Path, con) -> None:
    # bad records interleaved with good ones at known positions (1-based data rows)
    records, expected_problems = list(HAND_MADE), []
    for position, (record, column, raw, reason) in zip([1, 4, 7, 10, 14], BAD, strict=True):
        records.insert(position - 1, record)
        expected_problems.append((position, column, raw, reason))
    parquet = _write_parquet(tmp_path / "bad.parquet", records)

    csv_records = [*records, (11, "0301", "not-a-date", "enslig", 1, 200_000, 60_000, 900)]
    csv_records.append((12, "0301", DEC23, "enslig", 1, "many", 60_000, 900))
    csv = _write_csv(tmp_path / "bad.csv", csv_records)

    for path, extra in [
        (parquet, []),
        (
            csv,
            [
                (len(records) + 1, "month", "not-a-date", "unparseable date"),
                (len(records) + 2, "income_nok", "many", "unparseable integer"),
            ],
        ),
    ]:
        result = aggregate_bostotte(con, str(path))
        pd.testing.assert_frame_equal(result.aggregates, EXPECTED)  # bad records excluded
        want = expected_problems + extra
        assert result.rows_read == len(records) + len(extra)
        assert result.rows_aggregated == len(HAND_MADE)
        assert (
            result.rows_read
            == result.rows_aggregated + len(result.problems)
            == result.rows_aggregated + len(want)
        )
        assert result.rows_rejected == len(want)
        problems = result.problems
        assert set(problems["file"]) == {str(path)}
        assert list(problems["row"]) == [w[0] for w in want]
        assert list(problems["column"]) == [w[1] for w in want]
        assert [None if pd.isna(v) else v for v in problems["raw_value"]] == [w[2] for w in want]
        assert list(problems["reason"]) == [w[3] for w in want]
        pd.testing.assert_frame_equal(aggregate_bostotte_pandas(str(path)), EXPECTED)


def test_glob_over_several_files(tmp_path: Path, con) -> None:
    _write_parquet(tmp_path / "part-2023.parquet", [r for r in HAND_MADE if r[2].year == 2023])
    _write_parquet(tmp_path / "part-2024.parquet", [r for r in HAND_MADE if r[2].year == 2024])
    result = aggregate_bostotte(con, str(tmp_path / "part-*.parquet"))
    pd.testing.assert_frame_equal(result.aggregates, EXPECTED)
    assert result.rows_read == len(HAND_MADE)

    # CSV glob: rows are numbered per file
    first = [r for r in HAND_MADE if r[2].year == 2023]
    a = _write_csv(tmp_path / "part-a.csv", [BAD[0][0], *first])
    b = _write_csv(tmp_path / "part-b.csv", [r for r in HAND_MADE if r[2].year == 2024] + [BAD[1][0]])
    result = aggregate_bostotte(con, str(tmp_path / "part-*.csv"))
    pd.testing.assert_frame_equal(result.aggregates, EXPECTED)
    assert result.rows_read == len(HAND_MADE) + 2 == result.rows_aggregated + 2
    assert list(result.problems[["file", "row", "reason"]].itertuples(index=False, name=None)) == [
        (str(a), 1, "missing kommunenr"),
        (str(b), 3, "negative amount"),
    ]


def test_startlan_hand_made(tmp_path: Path, con) -> None:
    header = STARTLAN_SCHEMA.names
    rows = [
        (1, "0301", "2023-03-01", 2_000_000, "true", "under_25"),
        (2, "0301", "2023-07-15", 1_500_000, "false", "25_34"),
        (3, "0301", "2023-12-31", 1_000_000, "true", "35_49"),
        (4, "0301", "2024-01-02", 3_000_000, "false", "67_plus"),
        (5, "1103", "2023-05-05", 1_200_000, "true", "50_66"),
        (6, "1103", "31.05.2023", 1_200_000, "true", "50_66"),  # unparseable date
        (7, "1103", "2023-06-06", -1, "true", "50_66"),  # negative amount
        (8, "", "2023-06-06", 1_000_000, "true", "50_66"),  # missing municipality
    ]
    path = tmp_path / "loans.csv"
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    result = aggregate_startlan(con, str(path))
    expected = pd.DataFrame(
        [
            ("0301", 2023, 3, 4_500_000, 2, 2),
            ("0301", 2024, 1, 3_000_000, 0, 0),
            ("1103", 2023, 1, 1_200_000, 1, 0),
        ],
        columns=["kommunenr", "year", "start_loans", "start_loans_nok", "start_loans_families_with_children"]
        + ["start_loans_young"],
    ).astype({"year": "int64"})
    expected["kommunenr"] = expected["kommunenr"].astype("str")
    pd.testing.assert_frame_equal(result.aggregates, expected)
    assert list(result.problems["row"]) == [6, 7, 8]
    assert list(result.problems["reason"]) == ["unparseable date", "negative amount", "missing kommunenr"]
    assert result.rows_read == 8 == result.rows_aggregated + len(result.problems)
    pd.testing.assert_frame_equal(aggregate_startlan_pandas(str(path)), expected)


# --------------------------------------------------------------------------------------------
# DuckDB against pandas on generated files
# --------------------------------------------------------------------------------------------


def test_duckdb_equals_pandas_on_generated_records(tmp_path: Path, con) -> None:
    path = tmp_path / "b.parquet"
    assert write_bostotte_records(path, target_rows=200_000, seed=11) == 200_000
    assert _clustered_years(con, str(path)) is None  # small file: one pass
    result = aggregate_bostotte(con, str(path))
    assert result.rows_read == result.rows_aggregated == 200_000 and result.problems.empty
    assert result.aggregates["bostotte_allowance_nok"].sum() == bare_scan(con, str(path))[1]
    assert (result.aggregates["months_reported"] == 12).mean() > 0.9
    pd.testing.assert_frame_equal(result.aggregates, aggregate_bostotte_pandas(str(path)))

    loans = tmp_path / "s.parquet"
    write_startlan_records(loans, years=[2023, 2024], seed=11)
    pd.testing.assert_frame_equal(
        aggregate_startlan(con, str(loans)).aggregates, aggregate_startlan_pandas(str(loans))
    )


def test_year_by_year_plan_gives_the_same_answer(
    tmp_path: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small row groups, cut at year boundaries: the year-by-year plan kicks in
    monkeypatch.setattr(generate, "ROW_GROUP_ROWS", 10_000)
    path = tmp_path / "b.parquet"
    write_bostotte_records(path, years=[2022, 2023, 2024], target_rows=90_000, seed=5)
    assert _clustered_years(con, str(path)) == [2022, 2023, 2024]
    pd.testing.assert_frame_equal(
        aggregate_bostotte(con, str(path)).aggregates, aggregate_bostotte_pandas(str(path))
    )


def test_csv_of_generated_records(tmp_path: Path, con) -> None:
    csv, parquet = tmp_path / "b.csv", tmp_path / "b.parquet"
    write_bostotte_records(csv, years=[2024], target_rows=20_000, seed=2, format="csv")
    write_bostotte_records(parquet, years=[2024], target_rows=20_000, seed=2)
    from_csv = aggregate_bostotte(con, str(csv))
    assert from_csv.rows_read == 20_000 and from_csv.problems.empty
    pd.testing.assert_frame_equal(from_csv.aggregates, aggregate_bostotte(con, str(parquet)).aggregates)
    pd.testing.assert_frame_equal(from_csv.aggregates, aggregate_bostotte_pandas(str(csv)))
    assert bare_scan(con, str(csv)) == bare_scan(con, str(parquet))


def test_a_record_folder_reports_every_file_it_does_not_read(tmp_path: Path, con) -> None:
    # the same rule as a contract folder (ingest.inbox_listing): nothing in the folder is passed over silently
    from pipelines.inbox.ingest import ingest_records
    from pipelines.resources import catalogue

    record = catalogue().records["husbanken_bostotte_records"]
    folder = tmp_path / record.id
    folder.mkdir()
    _write_parquet(folder / "records.parquet", HAND_MADE)
    for name in ["~$records.csv", ".records.parquet", "notes.pdf"]:
        (folder / name).write_bytes(b"x")
    (folder / "older").mkdir()
    (folder / "gone.parquet").symlink_to(folder / "deleted.parquet")
    report = ingest_records(con, catalogue(), record, folder)
    meta = report.as_metadata()
    prefix = f"{record.id}/"
    assert set(meta) == {prefix + n for n in ["records.parquet", "~$records.csv", ".records.parquet",
                                             "notes.pdf", "older", "gone.parquet"]}  # fmt: skip
    loaded = meta[prefix + "records.parquet"]
    assert loaded["status"] == "loaded" and loaded["read"] == loaded["loaded"] + loaded["quarantined"]
    reasons = {
        name.removeprefix(prefix): entry["reason"] for name, entry in meta.items() if "reason" in entry
    }
    assert all(meta[prefix + name]["status"] == "skipped" for name in reasons)
    assert "lock file" in reasons["~$records.csv"] and "hidden file" in reasons[".records.parquet"]
    assert "'.pdf' is not read" in reasons["notes.pdf"] and "folder" in reasons["older"]
    assert "deleted.parquet" in reasons["gone.parquet"] and "does not exist" in reasons["gone.parquet"]
    warnings = report.warnings()  # what the asset logs as warnings
    assert len(warnings) == 5 and any(w.startswith(f"{prefix}notes.pdf: skipped:") for w in warnings)
