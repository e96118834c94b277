"""Turn StatBank answers into a source's raw table (the same columns its file would have).

A source in live or cache mode is fed by one or more definitions in ``assets/statbank.yaml``.
Each definition fills some of the source's measure columns; every cell keeps SSB's symbol
(``<column>__status``), the table and ``updated`` time it came from (``<column>__source_ref``,
``<column>__vintage``), whether SSB still calls the year preliminary (``<column>__preliminary``)
and, where there is no value for a reason of ours, why (``<column>__note``). A column no
definition can fill stays missing (``..``) with a note — never zero, never demo data.

KOSTRA's region dimension also holds the nation (``EAK``, ``EAKUO``), counties (``EKA..``) and
KOSTRA groups (``EKG..``): SSB's own estimates, which include imputed non-reporters. They are
kept apart as published comparison values and never summed or taken for municipalities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Source, StatbankTable
from pipelines.geography.codes import normalise_code
from pipelines.geography.history import load_history
from pipelines.sources.files import SourceDataError

STATUS_SUFFIX = "__status"
PROVENANCE_SUFFIXES = ("__source_ref", "__vintage", "__preliminary", "__note")
# SSB's pseudo-regions in KOSTRA tables: the nation, the nation without Oslo, counties, KOSTRA groups
COMPARISON_REGION = re.compile(r"^(EAK|EAKUO|EKA\d{2}.*|EKG\d{2}.*)$")
# When one part of a summed figure carries a symbol, the sum carries the most telling one.
SYMBOL_ORDER = (":", "..", ".")
COMPARISON_COLUMNS = [
    "source_id", "definition", "table_id", "column", "region_code", "year", "value", "status",
    "vintage", "preliminary",
]  # fmt: skip


def status_column(column: str) -> str:
    return f"{column}{STATUS_SUFFIX}"


def provenance_column(column: str, kind: str) -> str:
    """``<column>__source_ref|vintage|preliminary|note``: where one column's value came from."""
    return f"{column}__{kind}"


@dataclass
class TableAnswer:
    """What one definition delivered: the decoded cells (None when it was not fetched), the
    ContentsCode used for each column, and how it was obtained."""

    definition: StatbankTable
    frame: pd.DataFrame | None
    codes: dict[str, str] = field(default_factory=dict)  # column → ContentsCode
    found_by_label: dict[str, str] = field(default_factory=dict)  # column → label (code was unknown)
    updated: str | None = None
    stale: bool = False
    how: str = "live"  # live | cache | stale | not_fetched
    note: str | None = None  # why the table was not fetched (then its columns are `..`)


@dataclass
class StatbankRaw:
    frame: pd.DataFrame  # one row per municipality × year
    comparison: pd.DataFrame  # SSB's published nation/county/group values
    rows_outside: int  # cells for regions that are neither municipalities nor SSB's comparisons


def preliminary_year(year: int, updated: str | None, kostra: bool) -> bool:
    """KOSTRA publishes preliminary figures on 15 March and final ones on 15 June of the year after;
    the API has no flag, so a year is preliminary while the table's ``updated`` is before 15 June
    of the year after (janbrus/pxwebapi-skills, references/kostra.md)."""
    if not kostra or not updated:
        return False
    try:
        when = datetime.fromisoformat(updated.replace("Z", "+00:00")).date()
    except ValueError:
        return False
    return when < date(year + 1, 6, 15)


def statbank_raw_table(
    answers: list[TableAnswer], source: Source, catalogue: Catalogue, years: list[int]
) -> StatbankRaw:
    """The source's raw table from every definition's answer, and SSB's comparison values.

    ``years`` are the data years the run needs: a definition that does not reach them (a table
    that starts in 2015, a code introduced in 2020) leaves those cells ``..`` with a note.
    """
    code_column, year_column = source.key_columns
    columns = list(dict.fromkeys(m.column for m in catalogue.measures_of(source.id)))
    parts: list[pd.DataFrame] = []
    comparisons: list[pd.DataFrame] = []
    outside = 0
    filled: dict[str, TableAnswer] = {}
    for answer in answers:
        if answer.frame is None:
            continue
        cells, comparison, outside_here = _cells(answer, source)
        outside += outside_here
        comparisons.append(comparison)
        parts.append(cells)
        for column in answer.codes:
            filled[column] = answer
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["code", "year", "column", "value", "status"]
    )
    if not parts:
        raise SourceDataError(
            f"{source.path}: no StatBank table for source '{source.id}' could be fetched; "
            + "; ".join(f"{a.definition.id}: {a.note}" for a in answers if a.note)
        )
    keys = pd.concat([cells[["code", "year"]], _expected_keys(source, years)]).drop_duplicates()
    wide = keys.sort_values(["code", "year"]).reset_index(drop=True)
    by_key = cells.set_index(["code", "year", "column"])
    index = pd.MultiIndex.from_frame(wide[["code", "year"]])
    definitions = {a.definition.id: a for a in answers}
    years_by_column = cells.groupby("column")["year"].agg(set).to_dict()  # once, not per column
    for column in columns:
        answer = filled.get(column)
        if answer is not None and column in years_by_column:
            of_column = by_key.xs(column, level="column").reindex(index)
            wide[column] = of_column["value"].to_numpy(dtype="float64")
            wide[status_column(column)] = of_column["status"].to_numpy(dtype=object)
            wide[provenance_column(column, "source_ref")] = answer.definition.ref
            wide[provenance_column(column, "vintage")] = answer.updated
            wide[provenance_column(column, "preliminary")] = [
                preliminary_year(int(y), answer.updated, answer.definition.kostra) for y in wide["year"]
            ]
            notes = _year_notes(answer, column, wide["year"], years_by_column[column])
            wide[provenance_column(column, "note")] = notes
            gap = notes.notna() & wide[column].isna()
            wide.loc[gap, status_column(column)] = ".."
        else:
            wide[column] = np.nan
            wide[status_column(column)] = ".."
            wide[provenance_column(column, "source_ref")] = source.path
            wide[provenance_column(column, "vintage")] = None
            wide[provenance_column(column, "preliminary")] = False
            note = _missing_column_note(column, source, catalogue, definitions)
            wide[provenance_column(column, "note")] = note
    wide = wide.rename(columns={"code": code_column, "year": year_column})
    wide[code_column] = wide[code_column].astype("string")
    wide[year_column] = wide[year_column].astype("int64")
    vintages = sorted({a.updated for a in answers if a.frame is not None and a.updated})
    wide = wide.assign(
        data_origin="ssb",
        source_ref=source.path,
        vintage=" + ".join(vintages) or None,
        stale=any(a.stale for a in answers if a.frame is not None),
    )
    comparison = (
        pd.concat(comparisons, ignore_index=True) if comparisons else pd.DataFrame(columns=COMPARISON_COLUMNS)
    )
    return StatbankRaw(wide, comparison.assign(source_id=source.id)[COMPARISON_COLUMNS], outside)


def _expected_keys(source: Source, years: list[int]) -> pd.DataFrame:
    """Every municipality the source must have a row for in each needed year, so that a year the
    tables do not reach (KOSTRA before 2015) is a row of ``..`` with a note, not an absent row."""
    history = load_history()
    rows = []
    for year in years:
        border = year if source.codes_valid_in == "row_year" else source.codes_valid_in
        rows += [(code, year) for code in sorted(history.valid_codes.get(int(border), ()))]
    return pd.DataFrame(rows, columns=["code", "year"])


def _cells(answer: TableAnswer, source: Source) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(municipal cells, comparison cells, cells outside) in long form: code, year, column, value, status."""
    table = answer.definition
    frame = answer.frame
    region, time = table.region_variable, table.time_variable
    missing = [c for c in (region, time, "ContentsCode") if c not in frame.columns]
    if missing:
        raise SourceDataError(
            f"statbank:{table.table_id}: response has no dimension(s) {missing}; check region_variable and "
            f"time_variable of '{table.id}' in assets/statbank.yaml (dimensions: {list(frame.columns)})"
        )
    years = pd.to_numeric(frame[time], errors="coerce")
    if years.isna().any():
        bad = frame.loc[years.isna(), time].iloc[0]
        raise SourceDataError(f"statbank:{table.table_id}: time code {bad!r} is not a year")
    work = frame.assign(_year=years.astype("int64") + table.year_shift)
    regions = work[region].astype(str)
    if table.region_prefix:
        regions = regions.str.removeprefix(table.region_prefix)
    work["_region"] = regions
    picked = []
    for content in table.contents:
        code = answer.codes.get(content.column)
        if code is None:
            continue
        mask = work["ContentsCode"] == code
        for variable, value in content.where.items():
            mask &= work[variable].astype(str) == value
        rows = work[mask]
        if table.sum_over:
            rows = _summed(rows)
        picked.append(
            pd.DataFrame(
                {
                    "region": rows["_region"].to_numpy(),
                    "year": rows["_year"].to_numpy(),
                    "column": content.column,
                    "value": rows["value"].astype("float64").to_numpy() * content.factor,
                    "status": rows["status"].to_numpy(dtype=object),
                }
            )
        )
    long = pd.concat(picked, ignore_index=True)
    municipal = long["region"].map(_municipality_code)
    comparison = long["region"].str.fullmatch(COMPARISON_REGION.pattern)
    cells = long[municipal.notna()].assign(code=municipal[municipal.notna()])
    comparison_rows = long[comparison & municipal.isna()].rename(columns={"region": "region_code"})
    comparison_rows = comparison_rows.assign(
        definition=table.id,
        table_id=table.table_id,
        vintage=answer.updated,
        preliminary=[preliminary_year(int(y), answer.updated, table.kostra) for y in comparison_rows["year"]],
    )
    outside = int((municipal.isna() & ~comparison).sum())
    return cells[["code", "year", "column", "value", "status"]], comparison_rows, outside


def _summed(rows: pd.DataFrame) -> pd.DataFrame:
    """One figure per region × year: the sum over ``sum_over``'s values; a part with a symbol makes
    the sum missing with that symbol (the most telling one), never a partial sum."""
    grouped = rows.groupby(["_region", "_year"], sort=False)
    value = grouped["value"].sum(min_count=1)
    complete = grouped["value"].count() == grouped["value"].size()
    status = grouped["status"].agg(lambda s: next((sym for sym in SYMBOL_ORDER if sym in set(s)), None))
    out = pd.DataFrame({"value": value.where(complete), "status": status}).reset_index()
    return out


def _year_notes(answer: TableAnswer, column: str, years: pd.Series, answered: set[int]) -> pd.Series:
    """Why a year has no value for reasons of the table's span (a KOSTRA table starting in 2015)."""
    table = answer.definition
    content = next(c for c in table.contents if c.column == column)
    notes = pd.Series(pd.NA, index=years.index, dtype="object")
    if table.first_year is not None:
        notes[years < table.first_year] = table.earlier_years_note or (
            f"Tabell {table.table_id} starter i {table.first_year}"
        )
    if content.first_year is not None:
        notes[(years < content.first_year) & notes.isna()] = (
            f"Koden {content.code} finnes fra {content.first_year}; eldre år er ikke hentet"
        )
    if answered:
        unanswered = ~years.isin(answered) & notes.isna()
        notes[unanswered] = (
            f"Tabell {table.table_id} har ikke tall for året (den har {min(answered)}–{max(answered)})"
        )
    return notes


def _missing_column_note(
    column: str, source: Source, catalogue: Catalogue, definitions: dict[str, TableAnswer]
) -> str:
    for table in catalogue.statbank_for(source.id):
        content = next((c for c in table.contents if c.column == column), None)
        if content is None:
            continue
        answer = definitions.get(table.id)
        if answer is not None and answer.note:
            return f"Ikke hentet fra SSB: {answer.note}"
        if content.code is None:
            return f"Ikke hentet fra SSB: koden i tabell {table.table_id or 'ukjent'} er ukjent"
        return f"Ikke hentet fra SSB (tabell {table.table_id or 'ukjent'})"
    return "Ingen SSB-tabell for dette målet i assets/statbank.yaml"


def _municipality_code(raw: str) -> str | None:
    if not raw.isdigit() or len(raw) != 4:
        return None
    code = normalise_code(raw)
    return None if code in (None, "9999") else code
