"""Load reference geography and declared sources into the warehouse (the ``sources`` stage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import StatbankTable
from pipelines.catalogue.modes import STATBANK_PREFIX
from pipelines.geography.harmonise import code_problems
from pipelines.geography.history import load_history
from pipelines.geography.levels import comparison_groups, dim_geography
from pipelines.geography.reference import municipalities
from pipelines.paths import REFERENCE_DIR, REPO_ROOT
from pipelines.sources.files import SourceDataError, read_source
from pipelines.sources.statbank_source import statbank_raw_table
from pipelines.ssb.statbank import StatbankQuery, StatbankResult
from pipelines.warehouse import replace_rows, replace_table


@dataclass(frozen=True)
class LoadedSource:
    frame: pd.DataFrame
    rows_read: int
    rows_outside_scope: int

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


class StatbankFetcher(Protocol):
    def fetch(self, query: StatbankQuery) -> StatbankResult: ...


def statbank_query(table: StatbankTable) -> StatbankQuery:
    return StatbankQuery(
        table_id=table.table_id,
        selection=dict(table.selection),
        codelist=dict(table.codelist),
        output_values=dict(table.output_values),
    )


def load_source(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    source_id: str,
    repo_root: Path = REPO_ROOT,
    statbank: StatbankFetcher | None = None,
    years: list[int] | None = None,
) -> LoadedSource:
    """Read one declared source (its file, or its StatBank table in live/cache mode), check every
    municipality code against the year it claims to be valid in, and write ``raw_<id>``. Rows
    outside the source's years or geography (e.g. national aggregates in a StatBank table) are
    counted, not loaded. ``years`` (reporting years, one partition each) replaces only their rows.
    """
    source = catalogue.sources[source_id]
    code_column, year_column = source.key_columns
    outside_geography = 0
    if source.path.startswith(STATBANK_PREFIX):
        table = catalogue.statbank_for(source_id)
        if statbank is None or table is None:
            raise SourceDataError(f"{source.path}: source '{source_id}' needs a StatBank client in this mode")
        result = statbank.fetch(statbank_query(table))
        frame, outside_geography = statbank_raw_table(
            result.frame, table, source, catalogue, result.updated, result.stale
        )
        frame, absent = _drop_codes_absent_in_their_year(frame, source, catalogue)
        outside_geography += absent
    else:
        frame = read_source(source, catalogue.measures_of(source_id), repo_root)
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
    rows_used = in_scope["_line"].nunique()
    return LoadedSource(used, len(frame) + outside_geography, len(frame) - rows_used + outside_geography)


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
    low, high = source.first_year or -10_000, source.last_year or 10_000
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


def _drop_codes_absent_in_their_year(
    frame: pd.DataFrame, source, catalogue: Catalogue
) -> tuple[pd.DataFrame, int]:
    """StatBank lists every code of a table's history in every year, with 0 or '.' where the
    municipality did not exist; such rows carry no data and are dropped (and counted). A code
    that did not exist but has a non-zero value is kept, so the code check reports it."""
    if source.codes_valid_in != "row_year":
        return frame, 0
    code_column, year_column = source.key_columns
    measures = [m.column for m in catalogue.measures_of(source.id) if m.column in frame]
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
