"""Load reference geography and declared sources into the warehouse (the ``sources`` stage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.harmonise import code_problems
from pipelines.geography.levels import comparison_groups, dim_geography
from pipelines.geography.reference import municipalities
from pipelines.paths import REFERENCE_DIR, REPO_ROOT
from pipelines.sources.files import SourceDataError, read_source
from pipelines.warehouse import replace_table


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


def load_source(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, source_id: str, repo_root: Path = REPO_ROOT
) -> LoadedSource:
    """Read one declared source, check every municipality code against the year it claims to be
    valid in, and write ``raw_<id>``. Rows outside the source's first/last year are counted, not loaded.
    """
    source = catalogue.sources[source_id]
    frame = read_source(source, catalogue.measures_of(source_id), repo_root)
    code_column, year_column = source.key_columns
    in_scope = frame[
        frame[year_column].between(source.first_year or frame[year_column].min(), source.last_year or 9999)
    ]
    problems = _code_problems(con, catalogue, source_id, in_scope)
    bad = problems.notna()
    if bad.any():
        first = bad[bad].index[0]
        more = f" ({int(bad.sum()) - 1} more row(s) like it)" if bad.sum() > 1 else ""
        raise SourceDataError(
            f"{source.path}: row {first + 2}, column '{code_column}': {problems[first]}{more}"
        )
    replace_table(con, f"raw_{source.id}", in_scope.reset_index(drop=True))
    return LoadedSource(in_scope, len(frame), len(frame) - len(in_scope))


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
