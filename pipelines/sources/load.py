"""Load reference geography and declared sources into the warehouse (the ``sources`` stage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.modes import STATBANK_PREFIX
from pipelines.geography.harmonise import code_problems
from pipelines.geography.history import load_history
from pipelines.geography.levels import comparison_groups, dim_geography
from pipelines.geography.reference import municipalities
from pipelines.paths import REFERENCE_DIR, REPO_ROOT
from pipelines.sources.files import SourceDataError, read_source
from pipelines.sources.statbank_fetch import fetch_answers
from pipelines.sources.statbank_source import (
    COMPARISON_COLUMNS,
    TableAnswer,
    statbank_raw_table,
    status_column,
)
from pipelines.ssb.statbank import StatbankClient
from pipelines.warehouse import replace_rows, replace_table


@dataclass(frozen=True)
class LoadedSource:
    frame: pd.DataFrame
    rows_read: int
    rows_outside_scope: int
    tables: list[TableAnswer] = field(default_factory=list)  # StatBank definitions, in live/cache mode
    comparison: pd.DataFrame | None = None  # SSB's published aggregates (KOSTRA's EAK, EKA.., EKG..)

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)


def load_reference_geography(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, reference_dir: Path = REFERENCE_DIR
) -> pd.DataFrame:
    """Write ``dim_municipality``, ``dim_comparison_group`` and ``dim_geography`` for the chosen
    vintage; return the municipalities."""
    vintage = catalogue.settings.geography_vintage
    frame = municipalities(vintage, reference_dir)
    replace_table(con, "dim_municipality", frame)
    replace_table(con, "dim_comparison_group", comparison_groups(vintage, reference_dir))
    replace_table(con, "dim_geography", dim_geography(vintage, reference_dir))
    return frame


def load_source(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    source_id: str,
    repo_root: Path = REPO_ROOT,
    statbank: StatbankClient | None = None,
    years: list[int] | None = None,
    live_tables: list[str] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> LoadedSource:
    """Read one declared source (its file, or its StatBank table in live/cache mode), check every
    municipality code against the year it claims to be valid in, and write ``raw_<id>``. Rows
    outside the source's years or geography (e.g. national aggregates in a StatBank table) are
    counted, not loaded. ``years`` (reporting years, one partition each) replaces only their rows.
    """
    source = catalogue.sources[source_id]
    code_column, year_column = source.key_columns
    outside_geography = 0
    comparison = None
    answers: list[TableAnswer] = []
    if source.path.startswith(STATBANK_PREFIX):
        tables = catalogue.statbank_for(source_id)
        if statbank is None or not tables:
            raise SourceDataError(f"{source.path}: source '{source_id}' needs a StatBank client in this mode")
        needed = _data_years(catalogue, source, years)
        answers = fetch_answers(statbank, tables, needed, live_tables=live_tables, log=log)
        raw = statbank_raw_table(answers, source, catalogue, needed)
        frame, absent = _absent_codes(raw.frame, source, catalogue)
        outside_geography = raw.rows_outside + absent
        comparison = raw.comparison
    else:
        frame = read_source(source, catalogue.measures_of(source_id), repo_root)
        if any(t.kostra for t in catalogue.statbank_for(source_id)):
            comparison = pd.DataFrame(columns=COMPARISON_COLUMNS)  # the demo files have no SSB totals
    in_scope = _tag_partition_years(frame, catalogue, source, years)
    problems = _code_problems(con, catalogue, source_id, in_scope)
    bad = problems.notna()
    if bad.any():
        first = bad[bad].index[0]
        row = in_scope.loc[first, "_line"] if "_line" in in_scope else first + 2
        more = f" ({int(bad.sum()) - 1} more row(s) like it)" if bad.sum() > 1 else ""
        raise SourceDataError(f"{source.path}: row {row}, column '{code_column}': {problems[first]}{more}")
    used = in_scope.drop(columns="_line").reset_index(drop=True)
    replace_rows(con, f"raw_{source.id}", used, "partition_year", years)
    if comparison is not None:
        replace_table(con, comparison_table(source.id), comparison)
    rows_used = in_scope["_line"].nunique()
    return LoadedSource(
        used,
        len(frame) + outside_geography,
        len(frame) - rows_used + outside_geography,
        answers,
        comparison,
    )


def comparison_table(source_id: str) -> str:
    """SSB's own nation, county and KOSTRA-group figures of a source's tables (EAK, EKA.., EKG..)."""
    return f"ssb_comparison_{source_id}"


def _data_years(catalogue: Catalogue, source, years: list[int] | None) -> list[int]:
    reporting = years if years is not None else catalogue.settings.years
    offsets = {m.year_offset for m in catalogue.measures_of(source.id)}
    return sorted({year + offset for year in reporting for offset in offsets})


def _tag_partition_years(
    frame: pd.DataFrame, catalogue: Catalogue, source, years: list[int] | None
) -> pd.DataFrame:
    """The rows each reporting year needs, tagged with that year (``partition_year``).

    A measure with ``year_offset`` 1 takes year Y's value from the row of Y + 1 (KOSTRA's
    inhabitants at 31.12 = population on 1 January the year after), so one file row can serve two
    reporting years and is then stored once for each. Rows no reporting year needs are not stored.
    """
    code_column, year_column = source.key_columns
    reporting = years if years is not None else catalogue.settings.years
    offsets = sorted({m.year_offset for m in catalogue.measures_of(source.id)})
    # rows before first_year or available_from are outside the scope: counted by the caller, not stored
    low, high = source.first_loaded_year or -10_000, source.last_year or 10_000
    frame = frame.assign(_line=frame.index + 2)
    parts = [
        frame[(frame[year_column] == year + offset) & frame[year_column].between(low, high)].assign(
            partition_year=year
        )
        for year in reporting
        for offset in offsets
    ]
    tagged = pd.concat(parts, ignore_index=True) if parts else frame.iloc[0:0].assign(partition_year=0)
    return tagged.astype({"partition_year": "int64"})


def _absent_codes(frame: pd.DataFrame, source, catalogue: Catalogue) -> tuple[pd.DataFrame, int]:
    """SSB's answer for a code in a year when that municipality did not exist: 0 or '.'.

    In a table with each year's own codes (``row_year``) StatBank lists every code of its history
    in every year; such rows carry no data and are dropped (and counted). A code that did not exist
    but has a non-zero value is kept, so the code check reports it. In a table in fixed borders
    (07459's ``agg_KommSummer``) every code needs a row each year, so where all its values are 0
    they become missing with SSB's '.' — a whole municipality never has 0 inhabitants or
    households, and storing that 0 would make a real-looking population."""
    code_column, year_column = source.key_columns
    measures = list(dict.fromkeys(m.column for m in catalogue.measures_of(source.id) if m.column in frame))
    if source.codes_valid_in != "row_year":
        known = frame[measures].notna()
        zero = known.any(axis=1) & frame[measures].fillna(0).eq(0).all(axis=1)
        frame = frame.copy()
        for column in measures:
            hit = zero & known[column]
            frame.loc[hit, column] = np.nan
            frame.loc[hit, status_column(column)] = "."
        return frame, 0
    history = load_history()
    invalid = pd.Series(
        [
            c not in history.valid_codes.get(int(y), frozenset())
            for c, y in zip(frame[code_column], frame[year_column], strict=True)
        ],
        index=frame.index,
    )
    empty = frame[measures].fillna(0).eq(0).all(axis=1)
    drop = invalid & empty
    return frame[~drop].reset_index(drop=True), int(drop.sum())


def _code_problems(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, source_id: str, rows: pd.DataFrame
) -> pd.Series:
    """Per row, why its geography code is not valid — or None."""
    source = catalogue.sources[source_id]
    code_column, year_column = source.key_columns
    codes = rows[code_column]
    if source.geo_level == "kommune":
        years = (
            rows[year_column]
            if source.codes_valid_in == "row_year"
            else pd.Series(source.codes_valid_in, index=rows.index)
        )
        return code_problems(codes, codes, years)
    if source.geo_level == "fylke":
        vintage = catalogue.settings.geography_vintage
        if source.codes_valid_in != vintage:
            raise SourceDataError(
                f"{source.path}: county-level sources must be in the {vintage} county borders "
                f"(codes_valid_in: {vintage}); harmonising counties across reforms is not supported"
            )
        counties = {
            row[0] for row in con.execute("SELECT DISTINCT county_code FROM dim_municipality").fetchall()
        }
        return codes.map(lambda c: None if c in counties else f"county {c} does not exist in {vintage}")
    return pd.Series(None, index=rows.index, dtype="object")
