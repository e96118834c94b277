"""The bostøtte aggregation in Polars' lazy API: the peer that ``bench.bench_records`` measures
DuckDB against.

:func:`aggregate_bostotte_polars` returns what :func:`pipelines.records.aggregate.aggregate_bostotte`
returns — an :class:`~pipelines.records.aggregate.AggregationResult` whose aggregates and problems
are equal frame for frame (rows, columns, dtypes, values) — from the same Parquet or CSV files.
Like the DuckDB path it validates every record with the checks declared in
:data:`~pipelines.records.aggregate.BOSTOTTE_COLUMNS`, counts the rows read (Parquet: from the
footers), builds the problem list only when some rows were not aggregated, and asserts
``rows_read == rows_aggregated + len(problems)``.

The query is the one a Polars user would write: one ``group_by`` per municipality-year with
exact ``n_unique`` of ``household_id`` over the filtered records, collected by the default
(in-memory) engine. Measured with Polars 1.44, 2 threads, on a busy machine: DuckDB's two-step
plan (one row per household with its flags, then counts per municipality-year) took Polars
13–15 s at 10 M rows against 4–6 s for this query; the streaming engine gained nothing clear
(10 M: 6.8–7.0 s and 1.5 GB against 4.9–5.9 s and 1.4 GB; 50 M, one run each: 48.7 s and
6.6 GB against 53.7 s and 6.1 GB). Threads: Polars sizes its pool from
``POLARS_MAX_THREADS``, which the benchmark sets to DuckDB's thread count; Polars has no memory
limit to set.

Polars is imported here only: the pipeline itself does not depend on it (``pip install
'.[bench]'``).

Where the two cannot agree exactly (CSV only; Parquet files and well-formed CSV agree fully):

- DuckDB's text-to-integer cast also accepts decimals (``12.5`` → 13), exponents (``1e3``),
  digit separators (``1_000``) and hex (``0x10``), and its text-to-date cast ``2023/12/01``,
  a time after the date and the words ``infinity``/``epoch``; Polars' casts reject all of these,
  so the peer reports them as unparseable. Reproducing DuckDB's cast grammar in string
  expressions would be a reimplementation of its parser for values the record files never hold.
  Surrounding spaces, which DuckDB's casts ignore, are stripped before Polars' casts.
- A blank line in a CSV file: DuckDB's reader skips it, Polars' reads it as a record whose every
  field is missing (there is no option to skip it, and after parsing it cannot be told from a
  line of empty fields, which DuckDB keeps). The peer then rejects it as ``missing kommunenr``
  and numbers the later rows of that file one higher.
"""

from __future__ import annotations

import glob as globlib

import pandas as pd
import polars as pl

from pipelines.records.aggregate import (
    BOSTOTTE_COLUMNS,
    BOSTOTTE_MEASURES,
    PROBLEM_COLUMNS,
    AggregationResult,
    normalise_problems,
)
from pipelines.records.generate import TYPES_WITH_CHILDREN

# The DuckDB types the record columns are declared with, as Polars types.
_POLARS_TYPES = {"VARCHAR": pl.String, "BIGINT": pl.Int64, "INTEGER": pl.Int32, "DATE": pl.Date}
_NAMES = [c.name for c in BOSTOTTE_COLUMNS]


def _is_csv(path: str) -> bool:
    lowered = path.lower()
    return lowered.endswith(".csv") or lowered.endswith(".csv.gz")


def _files(path: str) -> list[str]:
    """The files of ``path`` (a file or a glob), sorted, spelled as given — as DuckDB names them."""
    files = sorted(globlib.glob(path))
    if not files:
        raise FileNotFoundError(f"no files match {path}")
    return files


def _raw(name: str) -> str:
    return "raw__" + name


def _scan(files: list[str], csv: bool) -> pl.LazyFrame:
    """The record columns of ``files``, typed; for CSV also each one's text as ``raw__<name>``."""
    if not csv:
        frame = pl.scan_parquet(files).select(_NAMES)
        # a no-op for files of the right types, as DuckDB's CAST is
        return frame.with_columns(pl.col(c.name).cast(_POLARS_TYPES[c.sql_type]) for c in BOSTOTTE_COLUMNS)
    # Every column as text, so one bad cell cannot abort the scan. DuckDB reads an empty field,
    # quoted or not, as NULL; Polars keeps a quoted one as "", so "" becomes null here.
    text = pl.scan_csv(files, infer_schema=False).select(
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(_raw(name)) for name in _NAMES
    )
    typed = []
    for c in BOSTOTTE_COLUMNS:
        raw = pl.col(_raw(c.name))
        if c.sql_type == "VARCHAR":
            typed.append(raw.alias(c.name))
        elif c.sql_type == "DATE":
            stripped = raw.str.strip_chars()
            # Polars' %Y takes a leading "+" that DuckDB's date cast rejects
            date = pl.when(~stripped.str.starts_with("+")).then(
                stripped.str.to_date("%Y-%m-%d", strict=False)
            )
            typed.append(date.alias(c.name))
        else:
            typed.append(raw.str.strip_chars().cast(_POLARS_TYPES[c.sql_type], strict=False).alias(c.name))
    return text.with_columns(typed)


def _checks(csv: bool) -> list[tuple[pl.Expr, str, pl.Expr, str]]:
    """Ordered (condition, column, raw value, reason): the first true one rejects a record.

    The same checks, in the same order, as the DuckDB path derives from ``BOSTOTTE_COLUMNS``.
    """
    out = []
    for c in BOSTOTTE_COLUMNS:
        typed = pl.col(c.name)
        raw = pl.col(_raw(c.name)) if csv else typed.cast(pl.String)
        missing = (raw if csv else typed).is_null()
        if c.sql_type == "VARCHAR":
            missing = missing | (typed == "")
        out.append((missing, c.name, raw, f"missing {c.name}"))
        if csv and c.sql_type != "VARCHAR":
            out.append((typed.is_null(), c.name, raw, f"unparseable {c.kind}"))
        if c.non_negative:
            out.append((typed < 0, c.name, raw, "negative amount"))
        if c.minimum is not None:
            out.append((typed < c.minimum, c.name, raw, f"{c.name} below {c.minimum}"))
        if c.allowed is not None:
            out.append((~typed.is_in(list(c.allowed)), c.name, raw, f"unknown {c.name}"))
    return out


def _ok(csv: bool) -> pl.Expr:
    # Never null: a comparison with a null value only happens after a "missing"/"unparseable"
    # check on the same column, which is then true, and true | null is true.
    return ~pl.any_horizontal(condition for condition, *_ in _checks(csv))


def _first_failing(csv: bool) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The column, raw value and reason of a rejected record's first failing check."""
    (condition, column, raw, reason), *rest = _checks(csv)
    columns, raws, reasons = (pl.when(condition).then(x) for x in (pl.lit(column), raw, pl.lit(reason)))
    for condition, column, raw, reason in rest:
        columns = columns.when(condition).then(pl.lit(column))
        raws = raws.when(condition).then(raw)
        reasons = reasons.when(condition).then(pl.lit(reason))
    return columns.alias("column"), raws.alias("raw_value"), reasons.alias("reason")


def _aggregates(records: pl.LazyFrame) -> pl.LazyFrame:
    month = pl.col("month").dt.month()
    december = month == 12
    household = pl.col("household_id")
    children = pl.col("household_type").is_in(list(TYPES_WITH_CHILDREN))
    # cost > income / 4  <=>  cost > floor(income / 4) for integers, income >= 0
    burden = pl.col("housing_cost_nok") > pl.col("income_nok") // 4
    return records.group_by("kommunenr", pl.col("month").dt.year().alias("year")).agg(
        household.filter(december).n_unique().alias("bostotte_households_december"),
        household.n_unique().alias("bostotte_unique_households"),
        household.filter(december & children).n_unique().alias("bostotte_families_with_children_december"),
        household.filter(december & burden).n_unique().alias("bostotte_high_cost_burden_december"),
        # an Int32 sum stays Int32 in Polars and would overflow
        pl.col("allowance_nok").cast(pl.Int64).sum().alias("bostotte_allowance_nok"),
        month.n_unique().alias("months_reported"),
        pl.len().alias("records"),
    )


def _rows_read(files: list[str], csv: bool) -> int:
    # Parquet: Polars answers a bare row count from the footers, as DuckDB's path does
    source = pl.scan_csv(files, infer_schema=False) if csv else pl.scan_parquet(files)
    return int(source.select(pl.len()).collect().item())


def _problems(files: list[str], csv: bool) -> pd.DataFrame:
    """One row per rejected record: its file, 1-based row in that file and first failing check."""
    # One scan per file, so that the row index counts within the file.
    scans = [
        _scan([file], csv).with_columns(pl.lit(file).alias("file")).with_row_index("row", offset=1)
        for file in files
    ]
    frame = (
        pl.concat(scans)
        .filter(~_ok(csv))
        .select("file", pl.col("row").cast(pl.Int64), *_first_failing(csv))
        .sort("file", "row")
        .collect()
        .to_pandas()
    )
    return normalise_problems(frame)


def aggregate_bostotte_polars(path: str) -> AggregationResult:
    """Same result as :func:`pipelines.records.aggregate.aggregate_bostotte`, computed by Polars.

    ``path`` is a file or a glob; ending in ``.csv`` (or ``.csv.gz``) it is read as CSV, anything
    else as Parquet. Returns an :class:`AggregationResult` (unpacks as ``aggregates, problems``).
    """
    path = str(path)
    csv = _is_csv(path)
    files = _files(path)
    frame = (
        _aggregates(_scan(files, csv).filter(_ok(csv)))
        .select(
            "kommunenr",
            *(pl.col(name).cast(pl.Int64) for name in ["year", *BOSTOTTE_MEASURES, "records"]),
        )
        .sort("kommunenr", "year")
        .collect()
        .to_pandas()
    )
    rows_aggregated = int(frame["records"].sum())
    rows_read = _rows_read(files, csv)
    if rows_read > rows_aggregated:
        problems = _problems(files, csv)
    else:
        problems = normalise_problems(pd.DataFrame(columns=PROBLEM_COLUMNS))
    if rows_read != rows_aggregated + len(problems):
        raise AssertionError(
            f"{path}: {rows_read} rows read but {rows_aggregated} aggregated + {len(problems)} rejected"
        )
    aggregates = frame.drop(columns="records")
    aggregates["kommunenr"] = aggregates["kommunenr"].astype("str")
    return AggregationResult(aggregates, problems, rows_read, rows_aggregated)
