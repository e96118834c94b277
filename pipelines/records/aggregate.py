"""Aggregate Husbanken record files to municipality × year measures — inside DuckDB.

The record files (one Parquet or CSV file, or a glob of them) are scanned by DuckDB and only the
small result — one row per ``kommunenr`` × ``year`` — comes back as a pandas DataFrame. Nothing
is loaded whole into pandas (except in the ``*_pandas`` twins, which exist to compare against).

Bostøtte measures (``aggregate_bostotte``), over the valid records of each municipality-year:

==============================================  ==============================================
``bostotte_households_december``                distinct households paid in December
``bostotte_unique_households``                  distinct households paid at least once
``bostotte_families_with_children_december``    December households of type ``enslig_med_barn``
                                                or ``par_med_barn``
``bostotte_high_cost_burden_december``          December households with housing cost above
                                                25 % of income (``housing_cost_nok >
                                                income_nok / 4``, computed exactly in integers)
``bostotte_allowance_nok``                      allowance paid in the year (sum)
``months_reported``                             distinct months with records (12 = complete)
==============================================  ==============================================

Distinct counts are exact (no approximate distinct anywhere). They are computed in two steps:
first one row per (municipality, year, household) with its record count, its allowance and one
integer of flags (``bit_or`` of: bits 0–11 the months it was paid — bit 11 is December — bit 12
"December, type with children", bit 13 "December, high burden"); then plain counts and sums per
municipality-year, ``months_reported`` being the ``bit_count`` of the OR of the month bits. Same
answer as four ``count(DISTINCT household_id) FILTER (...)`` plus ``count(DISTINCT month)``, but
one hash table with three aggregate states instead of five distinct hash tables: on 50 million
rows (2 threads) 2.6 s instead of 14–15 s.

Large Parquet files whose row groups are clustered by month (as the generator writes them) are
aggregated one year at a time — one ``UNION ALL`` branch per year, each with a year filter that
skips the other years' row groups — so the household hash table holds one year's households
only (see :func:`_clustered_years` for the rule). The result is identical either way.

Start-loan measures (``aggregate_startlan``): ``start_loans``, ``start_loans_nok``,
``start_loans_families_with_children``, ``start_loans_young`` (age bands ``under_25`` and
``25_34``), by the year of ``granted_date``.

Validation happens in the same SQL. A record that cannot be aggregated — missing municipality,
id, date or value; a negative amount; an unparseable date or number (CSV); ``household_size`` below
1; an unknown household type or age band — is excluded from the aggregates and reported in
``problems`` with columns ``file, row, column, raw_value, reason`` (one row per rejected record:
its first failing check, in column order). Nothing is dropped silently:
``rows_read == rows_aggregated + len(problems)`` always holds (and is asserted).

Row numbers: ``row`` is the 1-based position of the record among the data records of its file
(the CSV header is not counted, so the CSV line is ``row + 1``). For Parquet it is DuckDB's
``file_row_number`` + 1, exact by construction. DuckDB's CSV reader has no ``file_row_number``,
so each CSV file is scanned on its own (``parallel=false``) and numbered with
``row_number() OVER ()``, which DuckDB evaluates as a streaming window in scan order; a
``PARTITION BY filename`` would not be safe (partitioning does not keep the scan order).

CSV columns are read with explicit types, all ``VARCHAR`` (so ``kommunenr`` keeps its leading
zero and one bad cell cannot abort the scan) and converted with ``TRY_CAST``; a value that does
not convert is reported as unparseable. Parquet columns are ``CAST`` to the expected types (a
no-op for files written by :mod:`pipelines.records.generate`).

Counting rows read: for Parquet the row counts come from the file footers
(``parquet_file_metadata``), so a clean file is scanned exactly once; the problem query runs only
when some rows were not aggregated. CSV files are counted with a scan.

Performance settings (threads, ``memory_limit``, ``preserve_insertion_order=false``) belong to the
connection; :func:`connect` makes one with the benchmarked defaults.
"""

from __future__ import annotations

import glob as globlib
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipelines.records.generate import AGE_BANDS, HOUSEHOLD_TYPES, TYPES_WITH_CHILDREN, YOUNG_AGE_BANDS

PROBLEM_COLUMNS = ["file", "row", "column", "raw_value", "reason"]
BOSTOTTE_MEASURES = [
    "bostotte_households_december",
    "bostotte_unique_households",
    "bostotte_families_with_children_december",
    "bostotte_high_cost_burden_december",
    "bostotte_allowance_nok",
    "months_reported",
]
STARTLAN_MEASURES = [
    "start_loans",
    "start_loans_nok",
    "start_loans_families_with_children",
    "start_loans_young",
]


@dataclass(frozen=True)
class _Column:
    """An expected record column and the checks a value must pass to be aggregated."""

    name: str
    sql_type: str  # DuckDB type
    kind: str  # 'text', 'integer', 'date', 'boolean' — used in the "unparseable …" reason
    non_negative: bool = False
    minimum: int | None = None
    allowed: tuple[str, ...] | None = None


BOSTOTTE_COLUMNS = (
    _Column("kommunenr", "VARCHAR", "text"),
    _Column("household_id", "BIGINT", "integer"),
    _Column("month", "DATE", "date"),
    _Column("household_type", "VARCHAR", "text", allowed=HOUSEHOLD_TYPES),
    _Column("household_size", "INTEGER", "integer", minimum=1),
    _Column("income_nok", "BIGINT", "integer", non_negative=True),
    _Column("housing_cost_nok", "BIGINT", "integer", non_negative=True),
    _Column("allowance_nok", "INTEGER", "integer", non_negative=True),
)
STARTLAN_COLUMNS = (
    _Column("kommunenr", "VARCHAR", "text"),
    _Column("loan_id", "BIGINT", "integer"),
    _Column("granted_date", "DATE", "date"),
    _Column("amount_nok", "BIGINT", "integer", non_negative=True),
    _Column("household_with_children", "BOOLEAN", "boolean"),
    _Column("applicant_age_band", "VARCHAR", "text", allowed=AGE_BANDS),
)


@dataclass(frozen=True, eq=False)
class AggregationResult:
    """Aggregates, rejected records and the row counts that reconcile them.

    Unpacks as ``aggregates, problems = result``.
    """

    aggregates: pd.DataFrame
    problems: pd.DataFrame = field(repr=False)
    rows_read: int
    rows_aggregated: int

    @property
    def rows_rejected(self) -> int:
        return len(self.problems)

    def __iter__(self):
        yield self.aggregates
        yield self.problems


def connect(
    database: str = ":memory:", *, threads: int | None = 2, memory_limit: str | None = "2GB"
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the settings the record benchmark uses."""
    config: dict[str, object] = {"preserve_insertion_order": False}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(database, config=config)
    con.sql("SET enable_progress_bar = false")
    return con


# --------------------------------------------------------------------------------------------
# SQL building blocks
# --------------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_csv(path: str) -> bool:
    lowered = str(path).lower()
    return lowered.endswith(".csv") or lowered.endswith(".csv.gz")


def _csv_reader(path: str, columns: tuple[_Column, ...], *, parallel: bool = True) -> str:
    types = ", ".join(f"{_literal(c.name)}: 'VARCHAR'" for c in columns)
    options = "" if parallel else ", parallel = false"
    return (
        f"read_csv({_literal(path)}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"types = {{{types}}}, filename = true{options})"
    )


def _typed_select(columns: tuple[_Column, ...], csv: bool) -> str:
    """Typed record columns, plus the raw text (``raw__<name>``) for CSV."""
    parts = []
    for c in columns:
        if csv:
            typed = (
                _ident(c.name) if c.sql_type == "VARCHAR" else f"TRY_CAST({_ident(c.name)} AS {c.sql_type})"
            )
            parts.append(f"{typed} AS {_ident(c.name)}")
            parts.append(f"{_ident(c.name)} AS {_ident('raw__' + c.name)}")
        else:
            parts.append(f"CAST({_ident(c.name)} AS {c.sql_type}) AS {_ident(c.name)}")
    return ", ".join(parts)


def _checks(columns: tuple[_Column, ...], csv: bool) -> list[tuple[str, str, str, str]]:
    """Ordered (condition, column, raw value expression, reason) — the first true one rejects a record."""
    out = []
    for c in columns:
        typed = _ident(c.name)
        raw = _ident("raw__" + c.name) if csv else f"CAST({typed} AS VARCHAR)"
        missing = f"{raw if csv else typed} IS NULL"
        if c.sql_type == "VARCHAR":
            missing = f"({missing} OR {typed} = '')"
        out.append((missing, c.name, raw, f"missing {c.name}"))
        if csv and c.sql_type != "VARCHAR":
            out.append((f"{typed} IS NULL", c.name, raw, f"unparseable {c.kind}"))
        if c.non_negative:
            out.append((f"{typed} < 0", c.name, raw, "negative amount"))
        if c.minimum is not None:
            out.append((f"{typed} < {c.minimum}", c.name, raw, f"{c.name} below {c.minimum}"))
        if c.allowed is not None:
            values = ", ".join(_literal(v) for v in c.allowed)
            out.append((f"{typed} NOT IN ({values})", c.name, raw, f"unknown {c.name}"))
    return out


def _ok_expression(columns: tuple[_Column, ...], csv: bool) -> str:
    # Never NULL: a NULL comparison can only occur after a "missing"/"unparseable" check on the
    # same column, which is then TRUE, and TRUE OR NULL is TRUE.
    return "NOT (" + " OR ".join(cond for cond, *_ in _checks(columns, csv)) + ")"


def _records_cte(path: str, columns: tuple[_Column, ...]) -> str:
    """``records`` with typed columns and an ``ok`` flag, over every file of ``path``."""
    csv = _is_csv(path)
    reader = _csv_reader(path, columns) if csv else f"read_parquet({_literal(path)})"
    return (
        f"typed AS (SELECT {_typed_select(columns, csv)} FROM {reader}), "
        f"records AS (SELECT *, {_ok_expression(columns, csv)} AS ok FROM typed)"
    )


def _rows_read(con: duckdb.DuckDBPyConnection, path: str, columns: tuple[_Column, ...]) -> int:
    if _is_csv(path):
        query = f"SELECT count(*) FROM {_csv_reader(path, columns)}"
    else:
        query = f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata({_literal(path)})"
    return int(con.sql(query).fetchall()[0][0])


def _problems(con: duckdb.DuckDBPyConnection, path: str, columns: tuple[_Column, ...]) -> pd.DataFrame:
    csv = _is_csv(path)
    checks = _checks(columns, csv)

    def case(position: int) -> str:
        return "CASE " + " ".join(f"WHEN {c[0]} THEN {c[position]}" for c in checks) + " END"

    column_case = "CASE " + " ".join(f"WHEN {c[0]} THEN {_literal(c[1])}" for c in checks) + " END"
    raw_case = case(2)
    reason_case = "CASE " + " ".join(f"WHEN {c[0]} THEN {_literal(c[3])}" for c in checks) + " END"
    if csv:
        files = [
            row[0] for row in con.sql(f"SELECT file FROM glob({_literal(path)}) ORDER BY file").fetchall()
        ]
        scans = [
            f"SELECT {_typed_select(columns, True)}, filename, row_number() OVER () AS row "
            f"FROM {_csv_reader(file, columns, parallel=False)}"
            for file in files
        ]
        source = " UNION ALL ".join(f"({scan})" for scan in scans)
    else:
        source = (
            f"SELECT {_typed_select(columns, False)}, filename, file_row_number + 1 AS row "
            f"FROM read_parquet({_literal(path)}, filename = true, file_row_number = true)"
        )
    query = (
        f"SELECT filename AS file, row::BIGINT AS row, {column_case} AS column, "
        f"{raw_case} AS raw_value, {reason_case} AS reason "
        f"FROM ({source}) WHERE NOT ({_ok_expression(columns, csv)}) ORDER BY file, row"
    )
    frame = con.sql(query).df()
    return normalise_problems(frame)


def normalise_problems(frame: pd.DataFrame) -> pd.DataFrame:
    """The problem frame with fixed columns, dtypes and None for missing text (any engine's)."""
    frame = frame.reindex(columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("int64")
    for column in ("file", "column", "raw_value", "reason"):
        frame[column] = frame[column].astype("str").where(frame[column].notna(), None)
    return frame.reset_index(drop=True)


def _normalise_aggregates(frame: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    frame = frame.reindex(columns=["kommunenr", "year", *measures])
    frame["kommunenr"] = frame["kommunenr"].astype("str")
    for column in ["year", *measures]:
        frame[column] = frame[column].astype("int64")
    return frame.sort_values(["kommunenr", "year"], kind="stable").reset_index(drop=True)


def _result(
    con: duckdb.DuckDBPyConnection,
    path: str,
    columns: tuple[_Column, ...],
    frame: pd.DataFrame,
    measures: list[str],
) -> AggregationResult:
    rows_aggregated = int(frame["records"].sum()) if len(frame) else 0
    rows_read = _rows_read(con, path, columns)
    if rows_read > rows_aggregated:
        problems = _problems(con, path, columns)
    else:
        problems = normalise_problems(pd.DataFrame(columns=PROBLEM_COLUMNS))
    if rows_read != rows_aggregated + len(problems):
        raise AssertionError(
            f"{path}: {rows_read} rows read but {rows_aggregated} aggregated + {len(problems)} rejected"
        )
    return AggregationResult(_normalise_aggregates(frame, measures), problems, rows_read, rows_aggregated)


# --------------------------------------------------------------------------------------------
# Bostøtte
# --------------------------------------------------------------------------------------------


# Bits of the per-household ``flags``: 0–11 the months paid (bit 11 = December), 12 = December
# household with children, 13 = December household with a high housing-cost burden.
_DECEMBER_BIT = 1 << 11
_CHILDREN_BIT = 1 << 12
_BURDEN_BIT = 1 << 13
_MONTH_MASK = (1 << 12) - 1


def _bostotte_branch(path: str, year: int | None = None) -> str:
    """The two-step aggregation, over all records or only those of one ``year``."""
    children = ", ".join(_literal(t) for t in TYPES_WITH_CHILDREN)
    in_year = (
        ""
        if year is None
        else f"AND \"month\" >= DATE '{year:04d}-01-01' AND \"month\" < DATE '{year + 1:04d}-01-01'"
    )
    # Within one year's branch the year is a constant, so the household table needs no year key.
    year_expression = 'year("month")' if year is None else str(year)
    group_keys = "kommunenr, year, household_id" if year is None else "kommunenr, household_id"
    return f"""
        WITH {_records_cte(path, BOSTOTTE_COLUMNS)},
        households AS (
            SELECT
                kommunenr,
                {year_expression} AS year,
                household_id,
                count(*) AS records,
                sum(allowance_nok) AS allowance_nok,
                bit_or(
                    (1 << (month("month") - 1))
                    | CASE WHEN month("month") = 12 AND household_type IN ({children})
                        THEN {_CHILDREN_BIT} ELSE 0 END
                    -- cost > income / 4  <=>  cost > floor(income / 4) for integers, income >= 0
                    | CASE WHEN month("month") = 12 AND housing_cost_nok > income_nok // 4
                        THEN {_BURDEN_BIT} ELSE 0 END
                ) AS flags
            FROM records
            WHERE ok {in_year}
            GROUP BY {group_keys}
        )
        SELECT
            kommunenr,
            year::BIGINT AS year,
            count(*) FILTER (WHERE flags & {_DECEMBER_BIT} <> 0) AS bostotte_households_december,
            count(*) AS bostotte_unique_households,
            count(*) FILTER (WHERE flags & {_CHILDREN_BIT} <> 0) AS bostotte_families_with_children_december,
            count(*) FILTER (WHERE flags & {_BURDEN_BIT} <> 0) AS bostotte_high_cost_burden_december,
            sum(allowance_nok)::BIGINT AS bostotte_allowance_nok,
            bit_count(bit_or(flags & {_MONTH_MASK}))::BIGINT AS months_reported,
            sum(records)::BIGINT AS records
        FROM households
        GROUP BY kommunenr, year
    """


def _clustered_years(con: duckdb.DuckDBPyConnection, path: str) -> list[int] | None:
    """The years to aggregate one at a time, or None for a single pass.

    Splitting by year keeps each household hash table to one year's households (about 1/11 of
    them): at 50 million rows 30 % faster and a quarter of the memory, and linear in the rows.
    It pays only when the Parquet row groups are clustered by ``month`` (each spans one or two
    years, as in files written month by month) — then the year filter skips the other row groups
    — and when a year has at least as many row groups as DuckDB has threads (DuckDB scans a
    Parquet file in parallel by row group; one row group per year would run on one thread).
    Decided from the row groups' min/max statistics in the footers; without statistics, for
    small files, or for CSV: one pass.
    """
    if _is_csv(path):
        return None
    stats = con.sql(
        f"""
        SELECT year(TRY_CAST(stats_min_value AS DATE)) AS lo, year(TRY_CAST(stats_max_value AS DATE)) AS hi
        FROM parquet_metadata({_literal(path)})
        WHERE path_in_schema = 'month'
        """
    ).fetchall()
    if not stats or any(lo is None or hi is None for lo, hi in stats):
        return None
    first, last = min(lo for lo, _ in stats), max(hi for _, hi in stats)
    years = last - first + 1
    row_group_scans = sum(hi - lo + 1 for lo, hi in stats)  # row groups read over all the years
    threads = int(con.sql("SELECT current_setting('threads')").fetchall()[0][0])
    if years == 1 or row_group_scans > 2 * len(stats) or len(stats) < threads * years:
        return None
    return list(range(first, last + 1))


def _bostotte_sql(con: duckdb.DuckDBPyConnection, path: str) -> str:
    years = _clustered_years(con, path)
    branches = [_bostotte_branch(path)] if years is None else [_bostotte_branch(path, y) for y in years]
    return " UNION ALL ".join(f"({b})" for b in branches) + " ORDER BY kommunenr, year"


def aggregate_bostotte(con: duckdb.DuckDBPyConnection, path: str) -> AggregationResult:
    """Bostøtte measures per ``kommunenr`` × ``year`` from payment records at ``path`` (file or glob).

    ``path`` ending in ``.csv`` (or ``.csv.gz``) is read as CSV, anything else as Parquet.
    Returns an :class:`AggregationResult` (unpacks as ``aggregates, problems``).
    """
    path = str(path)
    frame = con.sql(_bostotte_sql(con, path)).df()
    return _result(con, path, BOSTOTTE_COLUMNS, frame, BOSTOTTE_MEASURES)


# --------------------------------------------------------------------------------------------
# Startlån
# --------------------------------------------------------------------------------------------


def _startlan_sql(path: str) -> str:
    young = ", ".join(_literal(b) for b in YOUNG_AGE_BANDS)
    return f"""
        WITH {_records_cte(path, STARTLAN_COLUMNS)}
        SELECT
            kommunenr,
            year(granted_date)::BIGINT AS year,
            count(*) AS start_loans,
            sum(amount_nok)::BIGINT AS start_loans_nok,
            count(*) FILTER (WHERE household_with_children) AS start_loans_families_with_children,
            count(*) FILTER (WHERE applicant_age_band IN ({young})) AS start_loans_young,
            count(*) AS records
        FROM records
        WHERE ok
        GROUP BY kommunenr, year(granted_date)
        ORDER BY kommunenr, year
    """


def aggregate_startlan(con: duckdb.DuckDBPyConnection, path: str) -> AggregationResult:
    """Start-loan measures per ``kommunenr`` × ``year`` from loan records at ``path`` (file or glob)."""
    path = str(path)
    frame = con.sql(_startlan_sql(path)).df()
    return _result(con, path, STARTLAN_COLUMNS, frame, STARTLAN_MEASURES)


def bare_scan(con: duckdb.DuckDBPyConnection, path: str) -> tuple[int, int]:
    """``count(*)`` and ``sum(allowance_nok)`` over bostøtte records: the speed floor of a scan."""
    path = str(path)
    reader = _csv_reader(path, BOSTOTTE_COLUMNS) if _is_csv(path) else f"read_parquet({_literal(path)})"
    column = "TRY_CAST(allowance_nok AS BIGINT)" if _is_csv(path) else "allowance_nok"
    count, total = con.sql(f"SELECT count(*), sum({column})::BIGINT FROM {reader}").fetchall()[0]
    return int(count), int(total or 0)


# --------------------------------------------------------------------------------------------
# Plain-pandas twins (everything in memory) — same validation, same measures
# --------------------------------------------------------------------------------------------


def _files(path: str) -> list[str]:
    files = sorted(globlib.glob(str(path)))
    if not files:
        raise FileNotFoundError(f"no files match {path}")
    return files


def _read_pandas(path: str, columns: tuple[_Column, ...]) -> tuple[pd.DataFrame, pd.Series]:
    """All records of ``path`` as typed columns, and the mask of records that pass validation."""
    names = [c.name for c in columns]
    frames = []
    for file in _files(path):
        if _is_csv(file):
            raw = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""], usecols=names)
            frame = pd.DataFrame(index=raw.index)
            for c in columns:
                if c.kind == "text":
                    frame[c.name] = raw[c.name]
                elif c.kind == "date":
                    frame[c.name] = pd.to_datetime(raw[c.name], format="%Y-%m-%d", errors="coerce")
                elif c.kind == "boolean":
                    lowered = raw[c.name].str.strip().str.lower()
                    frame[c.name] = lowered.map(
                        {"true": True, "t": True, "1": True, "false": False, "f": False}
                    )
                else:
                    frame[c.name] = pd.to_numeric(raw[c.name], errors="coerce")
            frames.append(frame)
        else:
            table = pq.read_table(file, columns=names)
            frames.append(table.to_pandas(date_as_object=False))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    ok = pd.Series(True, index=frame.index)
    for c in columns:
        values = frame[c.name]
        ok &= values.notna()
        if c.sql_type == "VARCHAR":
            ok &= values.fillna("") != ""
        if c.non_negative:
            ok &= values.fillna(0) >= 0
        if c.minimum is not None:
            ok &= values.fillna(c.minimum) >= c.minimum
        if c.allowed is not None:
            ok &= values.isin(c.allowed) | values.isna()
    return frame, ok


def aggregate_bostotte_pandas(path: str) -> pd.DataFrame:
    """Same aggregates as :func:`aggregate_bostotte`, computed in plain pandas (loads everything)."""
    frame, ok = _read_pandas(str(path), BOSTOTTE_COLUMNS)
    frame = frame.loc[ok]
    keys = [frame["kommunenr"].rename("kommunenr"), frame["month"].dt.year.rename("year")]
    month = frame["month"].dt.month
    december = frame.loc[month == 12]
    dec_keys = [k.loc[december.index] for k in keys]
    children = december["household_type"].isin(TYPES_WITH_CHILDREN)
    burden = december["housing_cost_nok"] > december["income_nok"] // 4
    out = pd.DataFrame(
        {
            "bostotte_households_december": december.groupby(dec_keys)["household_id"].nunique(),
            "bostotte_unique_households": frame.groupby(keys)["household_id"].nunique(),
            "bostotte_families_with_children_december": december.loc[children]
            .groupby([k.loc[children.index[children]] for k in dec_keys])["household_id"]
            .nunique(),
            "bostotte_high_cost_burden_december": december.loc[burden]
            .groupby([k.loc[burden.index[burden]] for k in dec_keys])["household_id"]
            .nunique(),
            "bostotte_allowance_nok": frame.groupby(keys)["allowance_nok"].sum(),
            "months_reported": month.groupby(keys).nunique(),
        }
    )
    out = out.loc[out["bostotte_unique_households"].notna()].fillna(0).reset_index()
    return _normalise_aggregates(out, BOSTOTTE_MEASURES)


def aggregate_startlan_pandas(path: str) -> pd.DataFrame:
    """Same aggregates as :func:`aggregate_startlan`, computed in plain pandas (loads everything)."""
    frame, ok = _read_pandas(str(path), STARTLAN_COLUMNS)
    frame = frame.loc[ok].assign(
        year=lambda f: f["granted_date"].dt.year,
        children=lambda f: f["household_with_children"].astype(bool).astype(np.int64),
        young=lambda f: f["applicant_age_band"].isin(YOUNG_AGE_BANDS).astype(np.int64),
    )
    out = (
        frame.groupby(["kommunenr", "year"])
        .agg(
            start_loans=("loan_id", "size"),
            start_loans_nok=("amount_nok", "sum"),
            start_loans_families_with_children=("children", "sum"),
            start_loans_young=("young", "sum"),
        )
        .reset_index()
    )
    return _normalise_aggregates(out, STARTLAN_MEASURES)


__all__ = [
    "AggregationResult",
    "aggregate_bostotte",
    "aggregate_bostotte_pandas",
    "aggregate_startlan",
    "aggregate_startlan_pandas",
    "bare_scan",
    "connect",
]
