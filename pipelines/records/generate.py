"""Deterministic SYNTHETIC Husbanken records — bostøtte payments and start loans — at any scale.

Nothing here is real data. The volumes follow the synthetic demo panels (``data/demo``), which
follow the published national figures:

- **bostøtte**: one row per household paid in a month. The national number paid each month is
  the demo's December total for the year (summed over municipalities) times a seasonal factor
  ``1 + 0.05 · sin(2π·month/12)`` plus uniform noise (±2 %, ±1 % in December), so every month
  lies within ±8 % of the December level and December itself within ±1 %. That number is split
  over the 357 municipalities of 2024 in proportion to the demo's December households of the
  year (largest remainders, exact). Households persist: each month a household leaves with
  probability 4.5 %, and a municipality whose count falls short of its target takes in new
  households (new ``household_id``); one with too many drops random ones. The same household is
  therefore paid in consecutive months with high probability, and the distinct households paid
  in a year are about 1.5 × a monthly count. A new household's type and housing-cost burden
  are drawn with the demo's municipal shares (families with children, cost above 25 % of
  income), so December counts, families and high-burden households roughly reproduce the demo.
- **startlån**: one row per loan granted. Each year's national count is the demo's (× scale),
  split over municipalities in proportion to the demo, dates uniform over the year, amounts
  log-normal around the demo's municipal mean, children and young-applicant shares as in the
  demo.

Determinism: a fixed seed drives :func:`numpy.random.default_rng`; the same arguments give
byte-identical files (pyarrow writes no timestamps). Memory is bounded: records are produced a
month (bostøtte) or a year (startlån) at a time and written in row groups of at most
:data:`ROW_GROUP_ROWS` rows, so 50 million rows need no more memory than one million. A row group
never spans two years (the last one of a year is shorter): readers that filter on a year — as
:mod:`pipelines.records.aggregate` does for large bostøtte files — then skip whole row groups.

Column types are plain Parquet/DuckDB types: BIGINT, VARCHAR, DATE, INTEGER, BOOLEAN — no
unsigned integers, no nanosecond timestamps.

Command line::

    python -m pipelines.records.generate --kind bostotte --rows 1000000 --out file.parquet
    python -m pipelines.records.generate --kind startlan --scale 1 --years 2014-2024 --out loans.csv
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.atomic import atomic_path
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

DEFAULT_YEARS = range(2014, 2025)
DEFAULT_SEED = 20_240_601
ROW_GROUP_ROWS = 1_000_000

HOUSEHOLD_TYPES = ("enslig", "par_uten_barn", "enslig_med_barn", "par_med_barn", "annet")
TYPES_WITH_CHILDREN = ("enslig_med_barn", "par_med_barn")
AGE_BANDS = ("under_25", "25_34", "35_49", "50_66", "67_plus")
YOUNG_AGE_BANDS = ("under_25", "25_34")

MONTHLY_EXIT_PROBABILITY = 0.045
SEASONAL_AMPLITUDE = 0.05
MONTHLY_NOISE = 0.02
DECEMBER_NOISE = 0.01

BOSTOTTE_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("kommunenr", pa.string()),
        ("month", pa.date32()),
        ("household_type", pa.string()),
        ("household_size", pa.int32()),
        ("income_nok", pa.int64()),
        ("housing_cost_nok", pa.int64()),
        ("allowance_nok", pa.int32()),
    ]
)
STARTLAN_SCHEMA = pa.schema(
    [
        ("loan_id", pa.int64()),
        ("kommunenr", pa.string()),
        ("granted_date", pa.date32()),
        ("amount_nok", pa.int64()),
        ("household_with_children", pa.bool_()),
        ("applicant_age_band", pa.string()),
    ]
)
# Dictionary encoding where it pays (few distinct values); ids and amounts are stored plain.
_DICTIONARY_COLUMNS = {
    "bostotte": ["kommunenr", "month", "household_type", "household_size"],
    "startlan": ["kommunenr", "granted_date", "applicant_age_band"],
}


# --------------------------------------------------------------------------------------------
# Reference volumes from the demo panels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """Demo panels as (year × municipality) integer arrays over the 357 codes of 2024."""

    codes: tuple[str, ...]
    years: tuple[int, ...]
    bostotte: dict[str, np.ndarray]
    startlan: dict[str, np.ndarray]

    def row(self, year: int) -> int:
        """Row of ``year``; years outside the demo use the nearest demo year."""
        clamped = min(max(int(year), self.years[0]), self.years[-1])
        return self.years.index(clamped)


def _load_reference() -> _Reference:
    codes = tuple(pd.read_csv(REFERENCE_DIR / "municipalities_2024.csv", dtype=str)["code"].sort_values())

    def panel(filename: str, columns: list[str]) -> tuple[tuple[int, ...], dict[str, np.ndarray]]:
        frame = pd.read_csv(DEMO_DIR / filename, dtype={"kommunenr": str})
        years = tuple(sorted(int(y) for y in frame["year"].unique()))
        out = {}
        for column in columns:
            wide = frame.pivot(index="year", columns="kommunenr", values=column)
            wide = wide.reindex(index=list(years), columns=list(codes)).fillna(0)
            out[column] = wide.to_numpy(dtype=np.int64)
        return years, out

    years, bostotte = panel(
        "husbanken_bostotte.csv",
        [
            "bostotte_households_december",
            "bostotte_families_with_children_december",
            "bostotte_high_cost_burden_december",
        ],
    )
    loan_years, startlan = panel(
        "husbanken_startlan.csv",
        ["start_loans", "start_loans_nok", "start_loans_families_with_children", "start_loans_young"],
    )
    if loan_years != years:
        raise ValueError(f"demo panels cover different years: {years} vs {loan_years}")
    return _Reference(codes, years, bostotte, startlan)


# --------------------------------------------------------------------------------------------
# Small numeric helpers
# --------------------------------------------------------------------------------------------


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into non-negative integers proportional to ``weights`` (largest remainders).

    Integer weights are apportioned exactly; ties go to the lower index. Float weights are
    accepted (used for the monthly split of a row target) and are deterministic on one machine.
    """
    weights = np.asarray(weights)
    total = int(total)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    if np.issubdtype(weights.dtype, np.integer):
        product = weights.astype(np.int64) * total
        whole = weights.sum()
        parts, remainders = product // whole, product % whole
    else:
        quotas = weights * (total / weights.sum())
        parts = np.floor(quotas).astype(np.int64)
        remainders = quotas - parts
    missing = total - int(parts.sum())
    if missing > 0:
        parts[np.argsort(-remainders, kind="stable")[:missing]] += 1
    return parts.astype(np.int64)


def _safe_share(part: np.ndarray, whole: np.ndarray, fallback: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(whole > 0, part / np.maximum(whole, 1), fallback)
    return np.clip(share, 0.0, 1.0)


def _normalise_years(years: Iterable[int]) -> list[int]:
    out = sorted({int(y) for y in years})
    if not out:
        raise ValueError("no years to generate")
    return out


# --------------------------------------------------------------------------------------------
# Chunked writer: Parquet row groups of ROW_GROUP_ROWS rows, or CSV
# --------------------------------------------------------------------------------------------


class _RecordWriter:
    """Buffer record tables and write them to ``path`` in fixed-size row groups."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str, kind: str, row_group_rows: int):
        self._row_group_rows = row_group_rows
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows = 0
        if fmt == "parquet":
            self._writer: pq.ParquetWriter | pacsv.CSVWriter = pq.ParquetWriter(
                path, schema, compression="snappy", use_dictionary=_DICTIONARY_COLUMNS[kind]
            )
        elif fmt == "csv":
            self._writer = pacsv.CSVWriter(path, schema)
        else:
            raise ValueError(f"unknown format {fmt!r}: use 'parquet' or 'csv'")

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        while self._pending_rows >= self._row_group_rows:
            self._flush(self._row_group_rows)

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self._pending)
        head, rest = table.slice(0, rows), table.slice(rows)
        if isinstance(self._writer, pq.ParquetWriter):
            self._writer.write_table(head.combine_chunks(), row_group_size=max(rows, 1))
        else:
            self._writer.write_table(head)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def end_year(self) -> None:
        """Close the current row group, so that no row group spans two years."""
        if self._pending_rows:
            self._flush(self._pending_rows)

    def close(self) -> None:
        if self._pending_rows:
            self._flush(self._pending_rows)
        self._writer.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()


@contextlib.contextmanager
def _writer(path: Path, schema: pa.Schema, fmt: str | None, kind: str) -> Iterator[_RecordWriter]:
    """A writer into a temporary file that replaces ``path`` only once every row is written."""
    fmt = fmt or ("csv" if Path(path).suffix.lower() == ".csv" else "parquet")
    with atomic_path(path) as temporary:
        writer = _RecordWriter(temporary, schema, fmt.lower(), kind, ROW_GROUP_ROWS)
        try:
            yield writer
        except BaseException:
            writer.abort()  # release the file; atomic_path removes it
            raise
        writer.close()


# --------------------------------------------------------------------------------------------
# Bostøtte
# --------------------------------------------------------------------------------------------


@dataclass
class _Households:
    """The households paid in the current month (one entry each)."""

    household_id: np.ndarray  # int64
    kommune: np.ndarray  # int64 index into the codes
    household_type: np.ndarray  # int64 index into HOUSEHOLD_TYPES
    household_size: np.ndarray  # int32
    income_nok: np.ndarray  # int64
    housing_cost_nok: np.ndarray  # int64
    allowance_nok: np.ndarray  # int32

    def take(self, index: np.ndarray) -> _Households:
        return _Households(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(a: _Households, b: _Households) -> _Households:
        return _Households(
            *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _Households.__dataclass_fields__)
        )

    def __len__(self) -> int:
        return int(self.household_id.size)


def _new_households(
    rng: np.random.Generator,
    kommune: np.ndarray,
    first_id: int,
    p_children: np.ndarray,
    p_burden: np.ndarray,
) -> _Households:
    n = kommune.size
    with_children = rng.random(n) < p_children[kommune]
    u = rng.random(n)
    household_type = np.where(
        with_children,
        np.where(u < 0.6, 2, 3),  # enslig_med_barn, par_med_barn
        np.where(u < 0.75, 0, np.where(u < 0.9, 1, 4)),  # enslig, par_uten_barn, annet
    ).astype(np.int64)
    children = np.minimum(rng.geometric(0.55, n), 6)
    adults = np.select(
        [household_type == 0, household_type == 1, household_type == 2, household_type == 3],
        [1, 2, 1, 2],
        default=2,
    )
    size = (
        adults
        + np.where(with_children, children, 0)
        + np.where(household_type == 4, rng.integers(0, 3, n), 0)
    )
    income = np.exp(rng.normal(math.log(215_000) + 0.10 * (size - 1), 0.22))
    income = (np.clip(income, 110_000, 800_000) / 100).round().astype(np.int64) * 100
    high_burden = rng.random(n) < p_burden[kommune]
    share = np.where(high_burden, rng.uniform(0.26, 0.60, n), rng.uniform(0.12, 0.245, n))
    # Rounding to 100 NOK cannot cross the 25 % line: the margins are ≥ 0.5 % of ≥ 110 000 NOK.
    cost = (income * share / 100).round().astype(np.int64) * 100
    allowance = np.clip(np.round(0.73 * (cost - 0.15 * income) / 12, -1), 250, 9_000).astype(np.int32)
    return _Households(
        household_id=np.arange(first_id, first_id + n, dtype=np.int64),
        kommune=kommune.astype(np.int64),
        household_type=household_type,
        household_size=size.astype(np.int32),
        income_nok=income,
        housing_cost_nok=cost,
        allowance_nok=allowance,
    )


def _monthly_totals(
    ref: _Reference, years: list[int], scale: float, target_rows: int | None, rng: np.random.Generator
) -> np.ndarray:
    """National households paid per (year, month), shape (len(years), 12)."""
    months = np.arange(1, 13)
    levels = []
    for year in years:
        december = ref.bostotte["bostotte_households_december"][ref.row(year)].sum()
        noise = np.where(
            months == 12,
            rng.uniform(-DECEMBER_NOISE, DECEMBER_NOISE, 12),
            rng.uniform(-MONTHLY_NOISE, MONTHLY_NOISE, 12),
        )
        levels.append(december * (1 + SEASONAL_AMPLITUDE * np.sin(2 * np.pi * months / 12) + noise))
    base = np.array(levels)
    if target_rows is not None:
        return _apportion(int(target_rows), base.ravel()).reshape(base.shape)
    if scale < 0:
        raise ValueError("scale must be non-negative")
    return np.round(base * scale).astype(np.int64)


def _bostotte_tables(
    years: Iterable[int], scale: float, target_rows: int | None, seed: int
) -> Iterator[pa.Table | None]:
    ref = _load_reference()
    years = _normalise_years(years)
    n_kommuner = len(ref.codes)
    codes = pa.array(ref.codes, pa.string())
    type_names = pa.array(HOUSEHOLD_TYPES, pa.string())
    totals = _monthly_totals(ref, years, scale, target_rows, np.random.default_rng([seed, 0]))
    rng = np.random.default_rng([seed, 1])
    dec = ref.bostotte["bostotte_households_december"]
    state = _new_households(rng, np.zeros(0, np.int64), 1, np.zeros(n_kommuner), np.zeros(n_kommuner))
    next_id = 1
    for y_index, year in enumerate(years):
        r = ref.row(year)
        p_children = _safe_share(ref.bostotte["bostotte_families_with_children_december"][r], dec[r], 0.32)
        p_burden = _safe_share(ref.bostotte["bostotte_high_cost_burden_december"][r], dec[r], 0.87)
        for month in range(1, 13):
            target = _apportion(int(totals[y_index, month - 1]), dec[r])
            # Households staying on: each leaves with a fixed probability; a municipality above its
            # target drops random ones (a random rank within the municipality decides).
            stay = np.flatnonzero(rng.random(len(state)) >= MONTHLY_EXIT_PROBABILITY)
            order = stay[np.lexsort((rng.random(stay.size), state.kommune[stay]))]
            kommune = state.kommune[order]
            counts = np.bincount(kommune, minlength=n_kommuner)
            rank = np.arange(order.size) - (np.cumsum(counts) - counts)[kommune]
            kept = state.take(order[rank < target[kommune]])
            deficit = target - np.minimum(counts, target)
            newcomers = _new_households(
                rng, np.repeat(np.arange(n_kommuner), deficit), next_id, p_children, p_burden
            )
            next_id += len(newcomers)
            state = _Households.concat(kept, newcomers)
            state = state.take(np.lexsort((state.household_id, state.kommune)))
            n = len(state)
            if n == 0:
                continue
            yield pa.table(
                {
                    "household_id": pa.array(state.household_id, pa.int64()),
                    "kommunenr": codes.take(pa.array(state.kommune)),
                    "month": pa.array(np.full(n, np.datetime64(f"{year}-{month:02d}-01", "D")), pa.date32()),
                    "household_type": type_names.take(pa.array(state.household_type)),
                    "household_size": pa.array(state.household_size, pa.int32()),
                    "income_nok": pa.array(state.income_nok, pa.int64()),
                    "housing_cost_nok": pa.array(state.housing_cost_nok, pa.int64()),
                    "allowance_nok": pa.array(state.allowance_nok, pa.int32()),
                },
                schema=BOSTOTTE_SCHEMA,
            )
        yield None  # end of the year: close the row group


def write_bostotte_records(
    path: Path,
    *,
    years: Iterable[int] = DEFAULT_YEARS,
    scale: float = 1.0,
    target_rows: int | None = None,
    seed: int = DEFAULT_SEED,
    format: str | None = None,
) -> int:
    """Write synthetic bostøtte payment records to ``path``; return the number of rows written.

    ``scale`` multiplies the real monthly volumes (1.0 ≈ 65 000–120 000 households a month: the
    demo's December totals, 71 000–108 000, ± 8 %). ``target_rows`` overrides ``scale``: the
    monthly totals are then apportioned so that exactly ``target_rows`` rows are written (e.g.
    50 000 000 ≈ 4.4 × the real volumes of 2014–2024; municipalities keep their shares and
    households still recur month after month). ``format`` is ``"parquet"`` or
    ``"csv"``; by default it follows the file suffix (``.csv`` → CSV, anything else Parquet).
    """
    with _writer(Path(path), BOSTOTTE_SCHEMA, format, "bostotte") as writer:
        for table in _bostotte_tables(years, scale, target_rows, seed):
            if table is None:
                writer.end_year()
            else:
                writer.write(table)
    return writer.rows


# --------------------------------------------------------------------------------------------
# Startlån
# --------------------------------------------------------------------------------------------


def _startlan_tables(years: Iterable[int], scale: float, seed: int) -> Iterator[pa.Table | None]:
    if scale < 0:
        raise ValueError("scale must be non-negative")
    ref = _load_reference()
    codes = pa.array(ref.codes, pa.string())
    bands = pa.array(AGE_BANDS, pa.string())
    rng = np.random.default_rng([seed, 2])
    next_id = 1
    for year in _normalise_years(years):
        r = ref.row(year)
        loans = ref.startlan["start_loans"][r]
        nok = ref.startlan["start_loans_nok"][r]
        national_mean = nok.sum() / max(loans.sum(), 1)
        mean_amount = np.where(loans > 0, nok / np.maximum(loans, 1), national_mean)
        children = ref.startlan["start_loans_families_with_children"][r]
        young = ref.startlan["start_loans_young"][r]
        p_children = _safe_share(children, loans, children.sum() / max(loans.sum(), 1))
        p_young = _safe_share(young, loans, young.sum() / max(loans.sum(), 1))

        kommune = np.repeat(np.arange(len(ref.codes)), _apportion(round(loans.sum() * scale), loans))
        n = kommune.size
        if n == 0:
            continue
        days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
        granted = np.datetime64(f"{year}-01-01", "D") + rng.integers(0, days, n)
        sigma = 0.25
        amount = mean_amount[kommune] * np.exp(rng.normal(-(sigma**2) / 2, sigma, n))
        amount = (np.clip(amount, 300_000, 6_000_000) / 1_000).round().astype(np.int64) * 1_000
        with_children = rng.random(n) < p_children[kommune]
        is_young = rng.random(n) < p_young[kommune]
        u = rng.random(n)
        band = np.where(is_young, np.where(u < 0.3, 0, 1), np.where(u < 0.6, 2, np.where(u < 0.92, 3, 4)))
        order = np.lexsort((kommune, granted))
        yield pa.table(
            {
                "loan_id": pa.array(np.arange(next_id, next_id + n, dtype=np.int64), pa.int64()),
                "kommunenr": codes.take(pa.array(kommune[order])),
                "granted_date": pa.array(granted[order], pa.date32()),
                "amount_nok": pa.array(amount[order], pa.int64()),
                "household_with_children": pa.array(with_children[order], pa.bool_()),
                "applicant_age_band": bands.take(pa.array(band[order])),
            },
            schema=STARTLAN_SCHEMA,
        )
        yield None  # end of the year: close the row group
        next_id += n


def write_startlan_records(
    path: Path,
    *,
    years: Iterable[int] = DEFAULT_YEARS,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    format: str | None = None,
) -> int:
    """Write synthetic start-loan records to ``path``; return the number of rows written.

    At ``scale=1`` about 6 600–7 400 loans a year (the demo's national totals, exactly, after
    rounding). ``format`` as in :func:`write_bostotte_records`.
    """
    with _writer(Path(path), STARTLAN_SCHEMA, format, "startlan") as writer:
        for table in _startlan_tables(years, scale, seed):
            if table is None:
                writer.end_year()
            else:
                writer.write(table)
    return writer.rows


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _parse_years(text: str) -> range | list[int]:
    if "-" in text:
        first, last = text.split("-", 1)
        return range(int(first), int(last) + 1)
    return [int(y) for y in text.split(",")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic Husbanken record files.")
    parser.add_argument("--kind", choices=["bostotte", "startlan"], required=True)
    parser.add_argument("--out", type=Path, required=True, help="output file (.parquet or .csv)")
    parser.add_argument("--rows", type=int, help="bostøtte only: write exactly this many rows")
    parser.add_argument("--scale", type=float, default=1.0, help="multiple of the real volumes")
    parser.add_argument("--years", default="2014-2024", help="e.g. 2014-2024 or 2023,2024")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", choices=["parquet", "csv"], help="default: from the file suffix")
    args = parser.parse_args(argv)
    years = _parse_years(args.years)
    if args.kind == "bostotte":
        rows = write_bostotte_records(
            args.out, years=years, scale=args.scale, target_rows=args.rows, seed=args.seed, format=args.format
        )
    else:
        if args.rows is not None:
            parser.error("--rows applies to --kind bostotte; use --scale for start loans")
        rows = write_startlan_records(
            args.out, years=years, scale=args.scale, seed=args.seed, format=args.format
        )
    print(f"wrote {rows:,} {args.kind} records to {args.out}")


if __name__ == "__main__":
    main()
