"""Turn a StatBank response into a source's raw table (same columns as its file would have)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Source, StatbankTable
from pipelines.geography.codes import normalise_code
from pipelines.sources.files import SourceDataError

STATUS_SUFFIX = "__status"


def status_column(column: str) -> str:
    return f"{column}{STATUS_SUFFIX}"


def statbank_raw_table(
    result_frame: pd.DataFrame,
    table: StatbankTable,
    source: Source,
    catalogue: Catalogue,
    vintage: str,
    stale: bool,
) -> tuple[pd.DataFrame, int]:
    """(raw table, rows outside scope) from a decoded StatBank response.

    Keeps one row per municipality code × year with a column per measure (values as numbers, null
    where SSB sent a symbol) and ``<column>__status`` with SSB's symbol. Region codes that are not
    municipalities (the nation, counties, KOSTRA groups, Svalbard, 'unknown') are outside the
    source's scope and only counted.
    """
    code_column, year_column = source.key_columns
    region, time = table.region_variable, table.time_variable
    missing = [c for c in (region, time, "ContentsCode") if c not in result_frame.columns]
    if missing:
        raise SourceDataError(
            f"statbank:{table.table_id}: response has no dimension(s) {missing}; check region_variable and "
            f"time_variable in assets/statbank.yaml (dimensions: {list(result_frame.columns)})"
        )
    frame = result_frame.copy()
    raw_codes = frame[region].astype(str)
    if table.region_prefix:
        raw_codes = raw_codes.str.removeprefix(table.region_prefix)
    frame["_code"] = raw_codes.map(_municipality_code)
    outside = frame["_code"].isna()
    frame = frame[~outside]
    frame["_year"] = pd.to_numeric(frame[time], errors="coerce")
    if frame["_year"].isna().any():
        bad = frame.loc[frame["_year"].isna(), time].iloc[0]
        raise SourceDataError(f"statbank:{table.table_id}: time code {bad!r} is not a year")
    frame["_column"] = frame["ContentsCode"].map(table.contents)
    frame = frame[frame["_column"].notna()]
    keys = ["_code", "_year"]
    values = frame.pivot_table(index=keys, columns="_column", values="value", aggfunc="first", dropna=False)
    statuses = frame.pivot_table(
        index=keys, columns="_column", values="status", aggfunc="first", dropna=False
    )
    wide = values.reset_index().rename(columns={"_code": code_column, "_year": year_column})
    wide[year_column] = wide[year_column].astype("int64")
    for column in table.contents.values():
        if column not in wide:
            wide[column] = np.nan
        wide[status_column(column)] = (
            statuses[column].reindex(values.index).to_numpy() if column in statuses else None
        )
    for measure in catalogue.measures_of(source.id):
        if measure.column not in wide:
            wide[measure.column] = np.nan  # not offered by this table: missing (..), never zero
    wide[code_column] = wide[code_column].astype("string")
    wide = wide.assign(
        data_origin="ssb", source_ref=f"statbank:{table.table_id}", vintage=vintage, stale=stale
    )
    return wide.sort_values([code_column, year_column]).reset_index(drop=True), int(outside.sum())


def _municipality_code(raw: str) -> str | None:
    if not raw.isdigit() or len(raw) != 4:
        return None
    code = normalise_code(raw)
    return None if code in (None, "9999") else code
