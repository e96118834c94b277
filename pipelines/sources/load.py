"""Load reference geography and declared sources into the warehouse (the ``sources`` stage)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.reference import municipalities
from pipelines.paths import REFERENCE_DIR, REPO_ROOT
from pipelines.sources.files import SourceDataError, read_source
from pipelines.warehouse import replace_table


def load_reference_geography(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, reference_dir: Path = REFERENCE_DIR
) -> pd.DataFrame:
    """Write ``dim_municipality`` (the municipalities of the chosen vintage) and return it."""
    frame = municipalities(catalogue.settings.geography_vintage, reference_dir)
    replace_table(con, "dim_municipality", frame)
    return frame


def load_source(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, source_id: str, repo_root: Path = REPO_ROOT
) -> pd.DataFrame:
    """Read one declared source, check its municipality codes, write ``raw_<id>``; return it."""
    source = catalogue.sources[source_id]
    frame = read_source(source, catalogue.measures_of(source_id), repo_root)
    known = {row[0] for row in con.execute("SELECT kommunenr FROM dim_municipality").fetchall()}
    code_column = source.key_columns[0]
    unknown = ~frame[code_column].isin(known)
    if unknown.any():
        rows = ", ".join(
            f"row {i + 2} ({frame[code_column].iloc[i]})" for i in list(unknown[unknown].index[:5])
        )
        raise SourceDataError(
            f"{source.path}: column '{code_column}': municipality number not valid in the "
            f"{catalogue.settings.geography_vintage} borders at {rows}"
            + (f" and {int(unknown.sum()) - 5} more" if unknown.sum() > 5 else "")
        )
    replace_table(con, f"raw_{source.id}", frame)
    return frame
