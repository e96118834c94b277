"""Validate a dropped file against its contract: every data row is loaded or quarantined.

    result = validate_file(path, contract)   # raises UnreadableFileError for an unusable file
    assert result.rows_read == result.rows_loaded + result.rows_quarantined

``loaded`` has ``geo_code`` (four-digit kommune code as given, normalised; or two-digit county),
``year``, one float column per contract column present in the file, ``<column>__status`` (the
SSB symbol, or None) and ``_row``. ``quarantine`` has one entry per problem: ``file``, ``row``,
``column`` (as headed in the file; "" for a whole-row problem), ``raw_value`` and ``reason``.
A workbook with several data sheets (one per year, say) is validated sheet by sheet: then
``loaded`` has ``_sheet`` and ``quarantine`` has ``sheet``, since row 7 exists in every sheet, and
each reason begins with the sheet ("sheet '2023': …"). Two sheets giving one key different values
are a conflict like two files doing so (:func:`pipelines.inbox.ingest._settle_conflicts`).

The unit that is loaded or quarantined as a whole is the area × year: one row of a tidy file;
all rows of one area × year of a long file (so a record is never half-loaded); one row of a
wide file (all its years). A row with several problems has several entries but counts once.

Codes are checked, not harmonised: a kommune code must exist on 1 January of its row's year,
a county code must be one of the 2024 counties. Everything is vectorised; Python loops run over
distinct values (codes, years, odd number spellings) or over rows already found bad.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.catalogue.contracts import Contract, ContractColumn
from pipelines.geography.codes import normalise_code
from pipelines.geography.harmonise import code_problems
from pipelines.geography.reference import municipalities
from pipelines.inbox.by_name import names_not_codes, resolve_names
from pipelines.inbox.read import UnreadableFileError, normalise_header, read_grids

__all__ = ["FileResult", "UnreadableFileError", "validate_file"]

# A trailing "(kr)", "(antall)", "(stk)" on a header is a unit or qualifier: matched without it.
_QUALIFIER = re.compile(r"\s*\(([^()]*)\)\s*$")
# A year column headed "2023*" or "2023 (foreløpig)" holds preliminary figures (status "*").
PRELIMINARY_QUALIFIERS = frozenset(
    {"forelopig", "forelopige", "forelopig_tall", "forelopige_tall", "prelim", "preliminary"}
)
MEASURE_NAME_HEADERS = frozenset({"measure", "maal", "mal", "variabel", "variable"})
VALUE_HEADERS = frozenset({"value", "verdi"})
# SSB's symbols for a missing figure; "-" is a true zero.
SSB_SYMBOLS = {".": ".", "..": "..", "...": "...", "…": "...", ":": ":", "-": "-", "–": "-", "—": "-"}
COUNTY_VINTAGE = 2024
_LISTED_ROWS = 5

# Vectorised tiers (RE2 syntax): plain numbers in the file's convention, and numbers grouped by
# spaces (" ", no-break U+00A0, narrow no-break U+202F) with either decimal mark.
_FAST = {",": r"^-?\d+(?:,\d+)?$", ".": r"^-?\d+(?:\.\d+)?$", "either": r"^-?\d+(?:\.\d+)?$"}
_SPACED_RE2 = "^-?\\d{1,3}(?:[ \u00a0\u202f]\\d{3})+(?:[.,]\\d+)?$"
# A figure grouped by dots and nothing else ("3.000", "1.234.567"): thousands, or a decimal point?
_DOT_THOUSANDS_PATTERN = r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+"
_DOT_THOUSANDS_RE2 = f"^{_DOT_THOUSANDS_PATTERN}$"  # the same rule for Arrow's whole-cell match
_STATUSES = (None, ".", "..", "...", ":", "-", "*")  # stored as int8 codes until the end
_STATUS_CODE = {symbol: code for code, symbol in enumerate(_STATUSES)}
_SPACED = re.compile(r"([+-]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?:[.,](\d+))?")
_DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+|[+-]?\d{1,3}(?:\.\d{3}){2,}")
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+\.\d+|[+-]?\d{1,3}(?:,\d{3}){2,}")
_DOT_THOUSANDS = re.compile(_DOT_THOUSANDS_PATTERN)
_DOT_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_SIMPLE = re.compile(r"([+-]?)(\d*)(?:([.,])(\d+))?")
_COUNTY = re.compile(r"^\s*(?:F-)?(\d{1,2})(?:\s*(?:-\s*)?\D.*)?\s*$", re.IGNORECASE)
_QUARANTINE_COLUMNS = ["file", "row", "column", "raw_value", "reason"]


@dataclass
class FileResult:
    """The outcome of one file. ``rows_read == rows_loaded + rows_quarantined`` (file rows)."""

    loaded: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    layout: str
    ignored_columns: list[str] = field(default_factory=list)
    rows_loaded: int | None = None  # distinct file rows loaded (a long file's record spans rows)
    rows_quarantined: int | None = None  # distinct file rows with at least one quarantine entry
    reading: dict = field(default_factory=dict)  # format, encoding, separator, decimal, header_row, sheet
    notes: list[str] = field(default_factory=list)  # e.g. "0301/2023 is the sum of 15 districts …"

    def __post_init__(self) -> None:
        quarantine_rows = _distinct(_row_ids(self.quarantine, "row", "sheet"))
        loaded_rows = _distinct(_row_ids(self.loaded, "_row", "_sheet"))
        quarantined = len(quarantine_rows)
        if self.rows_quarantined is None:
            self.rows_quarantined = quarantined
        if self.rows_loaded is None:
            self.rows_loaded = len(loaded_rows)
        if quarantined != self.rows_quarantined:
            raise AssertionError(f"quarantine names {quarantined} rows, not {self.rows_quarantined}")
        both = np.intersect1d(loaded_rows, quarantine_rows, assume_unique=True)
        if len(both):
            raise AssertionError(f"rows both loaded and quarantined: {both[:5].tolist()}")
        if self.rows_read != self.rows_loaded + self.rows_quarantined:
            raise AssertionError(
                f"rows lost: read {self.rows_read}, loaded {self.rows_loaded}, "
                f"quarantined {self.rows_quarantined}"
            )


# ------------------------------------------------------------------------------ entry point


def validate_file(path: Path, contract: Contract, *, years: tuple[int, int] | None = None) -> FileResult:
    """Read ``path``, check it against ``contract``, and load or quarantine every data row.

    ``years`` are the pipeline's years (``first_year``–``last_year`` of ``assets/settings.yaml``, as
    years of the file): a record of another year would be stored but never published, so it is
    quarantined saying so; in a wide file, a year column outside them is set aside with a note.

    Raises :class:`UnreadableFileError` when the file as a whole cannot be used: unreadable,
    no header, no data rows, a missing geography/year/required column, or a layout the contract
    does not allow. The message names the file, the problem and the header found.
    """
    path = Path(path)
    grids = read_grids(path, header_hints=[contract.geo_column, *contract.geo_aliases], sheet=contract.sheet)
    # Handed over with pop, so the list does not keep a grid's text alive while its quarantine is
    # assembled (_validate_grid frees it first: hundreds of MiB for a big file).
    if len(grids) == 1:
        return _validate_grid(path, grids.pop(), contract, years)
    results = []
    grids.reverse()
    while grids:
        sheet = grids[-1].attrs["sheet"]
        try:
            results.append(_validate_grid(path, grids.pop(), contract, years))
        except UnreadableFileError as exc:  # name the sheet: the others may be fine
            raise UnreadableFileError(path, f"sheet {sheet!r}: {exc.problem}") from exc
    return _combine_sheets(results)


def _row_ids(frame: pd.DataFrame, row: str, sheet: str) -> np.ndarray:
    """A file row's identity: its number, or (with a sheet column) its sheet and number as one int."""
    rows = frame[row].to_numpy(dtype=np.int64)
    if sheet not in frame.columns:
        return rows
    # text, not codes: the two frames may hold different sets of sheets
    return (frame[sheet].astype(str) + "\x00" + frame[row].astype(str)).to_numpy(dtype=object)


def _combine_sheets(results: list[FileResult]) -> FileResult:
    """One result for a workbook validated sheet by sheet: rows tagged with their sheet, reasons
    beginning with it, counts summed; the reading facts of the first sheet, with ``sheets``."""
    sheets = [r.reading["sheet"] for r in results]
    loaded = pd.concat(
        [r.loaded.assign(_sheet=name) for r, name in zip(results, sheets, strict=True)], ignore_index=True
    )
    parts = []
    for result, name in zip(results, sheets, strict=True):
        part = result.quarantine.assign(sheet=name)
        part["reason"] = f"sheet {name!r}: " + part["reason"].astype(str)
        parts.append(part)
    quarantine = pd.concat(parts, ignore_index=True)
    reading = dict(results[0].reading, sheet=None, sheets=sheets)
    # a note every sheet has (no export date in the file name, say) is about the file: said once
    shared = set.intersection(*(set(r.notes) for r in results))
    notes = [*dict.fromkeys(n for r in results for n in r.notes if n in shared)]
    notes += [
        f"sheet {name!r}: {n}"
        for r, name in zip(results, sheets, strict=True)
        for n in r.notes
        if n not in shared
    ]
    return FileResult(
        loaded=loaded,
        quarantine=quarantine,
        rows_read=sum(r.rows_read for r in results),
        layout=results[0].layout if len({r.layout for r in results}) == 1 else "mixed",
        ignored_columns=list(dict.fromkeys(c for r in results for c in r.ignored_columns)),
        rows_loaded=sum(r.rows_loaded for r in results),
        rows_quarantined=sum(r.rows_quarantined for r in results),
        reading=reading,
        notes=notes,
    )


def _validate_grid(
    path: Path, grid: pd.DataFrame, contract: Contract, years: tuple[int, int] | None
) -> FileResult:
    """Check one grid (a text file, or one sheet of a workbook) against ``contract`` and the
    pipeline's ``years`` (see :func:`validate_file`)."""
    attrs = dict(grid.attrs)
    grid.attrs = {}
    quarantine = _Quarantine()
    rows_read = len(grid)
    by_name = names_not_codes(grid, contract)
    if by_name is not None and not grid.empty:  # IMDi's pages: names (and counties) become codes
        resolved = resolve_names(path, grid, attrs, contract, by_name)
        quarantine.add(resolved.rows, resolved.columns, resolved.raw, resolved.reasons)
        grid = resolved.grid
    plan = _plan(path, grid, attrs, contract)
    plan.years = years
    notes: list[str] = []  # filled below, read by FileResult
    if years is not None and plan.layout == "wide_by_year":
        outside = [c for c in plan.year_columns if not years[0] <= c[2] <= years[1]]
        if outside and len(outside) < len(plan.year_columns):
            plan.year_columns = [c for c in plan.year_columns if c not in outside]
            figures = sum(int((grid[h].fillna("").str.strip() != "").sum()) for h, _, _ in outside)
            notes.append(
                f"column{'s' if len(outside) > 1 else ''} {', '.join(repr(h) for h, _, _ in outside)} "
                f"outside the pipeline's years {years[0]}–{years[1]} (assets/settings.yaml): "
                f"{figures} figure{'s' if figures != 1 else ''} not loaded, as they would never be published"
            )
    if rows_read == 0:
        raise UnreadableFileError(path, f"has a header ({', '.join(plan.headers)}) but no data rows")

    # before rows of the wrong width are set aside: a district row among them still keeps Oslo out
    districts = _district_rows(grid, plan, contract) if plan.layout == "tidy" else None
    width = len(plan.headers)
    fields = grid["_fields"].to_numpy()
    wrong = fields != width
    if wrong.any():
        rows = grid["_row"].to_numpy()[wrong]
        unit = "cells" if attrs["format"] == "xlsx" else "fields"
        raw_lines = attrs.get("raw_lines", {})
        quarantine.add(
            rows,
            "",
            np.array([raw_lines.get(int(r), "") for r in rows], dtype=object),
            _texts(f"expected {width} {unit}, found ", fields[wrong]),
        )
        grid = grid[~wrong].reset_index(drop=True)

    build = {"tidy": _tidy, "long": _long, "wide_by_year": _wide}[plan.layout]
    table = build(grid, plan, contract, attrs["decimal"], quarantine)
    loaded, rows_loaded = _finish(table, contract, quarantine)
    if districts is not None and len(districts):
        loaded, rows_loaded = _sum_districts(loaded, rows_loaded, districts, contract, quarantine, notes)
    del table, grid  # free the text before the quarantine is assembled
    hidden = attrs.get("hidden_rows") or {}
    if hidden:  # hidden rows are not data, but they are counted and named, never dropped silently
        quarantine.add(
            np.fromiter(hidden, dtype=np.int64),
            "",
            np.array(list(hidden.values()), dtype=object),
            "the row is hidden in Excel, so it is not read; unhide it to have it loaded, or delete it",
        )
    rows_quarantined = len(quarantine.rows())
    frame = quarantine.frame(path.name)
    reading = {k: attrs.get(k) for k in ("format", "encoding", "separator", "decimal", "header_row", "sheet")}
    reading["skipped_sheets"] = list(attrs.get("skipped_sheets") or [])
    reading["vintage"], reading["vintage_from"] = export_date(path.name, attrs.get("title_lines") or [])
    if reading["vintage"] is None and contract.export_dated:
        notes.append(
            "no export date in the file name (YYYY-MM-DD or DD.MM.YYYY) or in an «Eksportert …» line "
            "above the header; the file's fingerprint stands for its vintage"
        )
    if plan.ignored:  # named, never silently dropped
        notes.append(
            f"column{'s' if len(plan.ignored) > 1 else ''} not in the {contract.source} contract, "
            f"not read: {', '.join(repr(h) for h in plan.ignored)}"
        )
    return FileResult(
        loaded=loaded,
        quarantine=frame,
        rows_read=rows_read + len(hidden),
        layout=plan.layout,
        ignored_columns=plan.ignored,
        rows_loaded=rows_loaded,
        rows_quarantined=rows_quarantined,
        reading=reading,
        notes=notes,
    )


# ------------------------------------------------------------------------------- vintage

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NB_DATE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_EXPORTED = re.compile(r"eksportert", re.IGNORECASE)


def _date_in(text: str) -> str | None:
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_NB_DATE, (2, 1, 0))):
        for match in pattern.finditer(text):
            year, month, day = (int(match.group(i + 1)) for i in order)
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                continue
    return None


def export_date(name: str, title_lines: list[str]) -> tuple[str | None, str | None]:
    """(the export date as YYYY-MM-DD, where it was found) from the file name
    (``bostotte_2025-06-03.xlsx``, ``bostotte_03.06.2025.csv``) or, failing that, from an
    «Eksportert 03.06.2025» line above the header; (None, None) when neither has one."""
    found = _date_in(name)
    if found:
        return found, "file name"
    for line in title_lines:
        if _EXPORTED.search(line):
            found = _date_in(line)
            if found:
                return found, f"line above the header: {line.strip()!r}"
    return None, None


# ------------------------------------------------------------------------ Oslo's districts


def _district_rows(grid: pd.DataFrame, plan: _Plan, contract: Contract) -> pd.DataFrame | None:
    """File row, code and year (-1: unusable) of every row coded as an Oslo district or as Oslo
    (each distinct spelling normalised once)."""
    if contract.oslo_districts is None:
        return None
    ids, uniques = _factorize_text(grid[plan.geo])
    codes = pd.Series(np.array([normalise_code(u) for u in uniques] + [None], dtype=object)[ids])
    hit = codes.isin([*contract.oslo_districts.codes, contract.oslo_districts.into]).to_numpy()
    years = [_parse_year(str(v), contract, plan.years)[0] for v in grid[plan.year][hit]]
    return pd.DataFrame(
        {
            "row": grid["_row"].to_numpy()[hit],
            "code": codes[hit].to_numpy(),
            "year": np.array(years, dtype=int),
        }
    )


def _sum_districts(
    loaded: pd.DataFrame,
    rows_loaded: int,
    districts: pd.DataFrame,
    contract: Contract,
    quarantine: _Quarantine,
    notes: list[str],
) -> tuple[pd.DataFrame, int]:
    """Replace, per year, the district rows and any row coded Oslo (a remainder, never the total)
    by one Oslo row holding their sum. A year with a quarantined district row is not loaded at all
    (its sum would be partial); a missing or suppressed figure makes Oslo's figure missing, with
    the district's symbol."""
    spec = contract.oslo_districts
    measures = [c.name for c in contract.columns if c.name in loaded.columns]
    bad = districts["row"].isin(quarantine.rows()).to_numpy()  # a district's, or the remainder's
    members = loaded["geo_code"].isin([*spec.codes, spec.into]).to_numpy()
    is_district = districts["code"].isin(spec.codes) & (districts["year"] >= 0)
    years = set(districts["year"][is_district])  # a year with no district row keeps its 0301 as is
    members = members & loaded["year"].isin(years).to_numpy()
    keep = loaded[~members]
    merged, dropped = [], 0
    for year, group in loaded[members].groupby("year", sort=True):
        culprits = sorted(districts["row"][bad & (districts["year"] == year).to_numpy()].tolist())
        if culprits:
            rows = group["_row"].to_numpy()
            quarantine.add(
                rows,
                "",
                group["geo_code"].to_numpy(dtype=object),
                f"not loaded because Oslo ({spec.into}) for {year} is the sum of its districts and any "
                f"row coded {spec.into}, and {_row_list(culprits[:_LISTED_ROWS], len(culprits))} of these "
                f"{'was' if len(culprits) == 1 else 'were'} quarantined, so the sum would be partial",
            )
            dropped += len(rows)
            continue
        n = int(group["geo_code"].isin(spec.codes).sum())
        rest = group["_row"][group["geo_code"] == spec.into].tolist()
        row = {"geo_code": spec.into, "year": int(year)}
        for name in measures:
            values, status = group[name].to_numpy(), group[f"{name}__status"].to_numpy(dtype=object)
            missing = np.isnan(values)
            if missing.any():
                symbols = [s for s in status[missing] if s is not None]
                row[name] = np.nan
                row[f"{name}__status"] = ":" if ":" in symbols else (symbols[0] if symbols else "..")
            else:
                row[name] = float(values.sum())
                row[f"{name}__status"] = "*" if "*" in status else ("-" if (status == "-").all() else None)
        row["_row"] = int(group["_row"].min())
        note = (
            f"{spec.into}/{year} is the sum of {n} district{'s' if n != 1 else ''} "
            f"({', '.join(sorted(group['geo_code'][group['geo_code'] != spec.into]))})"
            + (f" and the row coded {spec.into} ({_row_list(rest, len(rest))})" if rest else "")
        )
        row["_note"] = note
        notes.append(note)
        merged.append(row)
    result = pd.concat([keep, pd.DataFrame(merged)], ignore_index=True) if merged else keep.copy()
    result = result.sort_values(["_row", "year"], kind="stable").reset_index(drop=True)
    return result, rows_loaded - dropped


# ----------------------------------------------------------------------------- quarantine


class _Quarantine:
    """Entries collected as vectorised pieces (row, column, raw_value, reason arrays); the
    strings are shared objects, so a million entries with one reason cost pointers only."""

    def __init__(self) -> None:
        self.parts: list[list[np.ndarray]] = []

    def add(self, rows, column, raw, reason, *, once_per_row: bool = False) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return
        part = [rows, _objects(column, len(rows)), _objects(raw, len(rows)), _objects(reason, len(rows))]
        if once_per_row:
            _, first = np.unique(rows, return_index=True)
            part = [array[first] for array in part]
        self.parts.append(part)

    def rows(self) -> np.ndarray:
        if not self.parts:
            return np.empty(0, dtype=np.int64)
        return _distinct(np.concatenate([part[0] for part in self.parts]))

    def frame(self, file: str) -> pd.DataFrame:
        columns = [np.concatenate([part[i] for part in self.parts]) for i in range(4)] if self.parts else None
        if columns is None:
            columns = [np.empty(0, dtype=np.int64)] + [np.empty(0, dtype=object)] * 3
        order = np.argsort(columns[0], kind="stable")
        data = {"file": pd.Series(np.full(len(order), file, dtype=object), dtype=object)}
        data["row"] = pd.Series(columns[0][order], dtype=np.int64)
        for name, array in zip(_QUARANTINE_COLUMNS[2:], columns[1:], strict=True):
            data[name] = pd.Series(array[order], dtype=object)
        return pd.DataFrame(data, copy=False)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (sorting beats numpy 2.4's hash-based ``np.unique`` here)."""
    values = np.sort(np.asarray(values))
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _objects(value, n: int) -> np.ndarray:
    if isinstance(value, str) or value is None:
        return np.full(n, value if value is not None else "", dtype=object)
    if isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy(dtype=object)
    array = np.asarray(value, dtype=object)
    missing = pd.isna(array)
    if missing.any():
        array = array.copy()
        array[missing] = ""
    return array


def _texts(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.array([f"{prefix}{n}" for n in numbers], dtype=object)


# ----------------------------------------------------------------------- header → columns


@dataclass
class _Plan:
    file: Path
    layout: str
    headers: list[str]
    geo: str
    year: str | None = None
    measures: dict[str, str] = field(default_factory=dict)  # tidy: contract column → header
    measure_header: str | None = None  # long
    value_header: str | None = None  # long
    year_columns: list[tuple[str, str, int]] = field(default_factory=list)  # wide: header, column, year
    preliminary: set[str] = field(default_factory=set)  # wide: headers marked "*" or "(foreløpig)"
    years: tuple[int, int] | None = None  # the pipeline's years, as years of the file
    ignored: list[str] = field(default_factory=list)


def _names(values: list[str]) -> set[str]:
    return {normalise_header(v) for v in values}


def _measure_lookup(contract: Contract) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in contract.columns:
        for alias in [column.name, *column.aliases]:
            lookup.setdefault(normalise_header(alias), column.name)
    return lookup


def _plan(path: Path, grid: pd.DataFrame, attrs: dict, contract: Contract) -> _Plan:
    headers = [c for c in grid.columns if c not in ("_row", "_fields")]
    levels = attrs.get("header_levels", {})
    where = f"{'row' if attrs.get('format') == 'xlsx' else 'line'} {attrs.get('header_row')}"
    found = f"header found ({where}): {', '.join(headers)}"

    def candidates(header: str) -> list[str]:
        names = [normalise_header(header)]
        bare = _QUALIFIER.sub("", header)
        if bare != header and bare.strip():  # "Beløp (kr)" is matched as "Beløp"
            names.append(normalise_header(bare))
        if header in levels:  # a two-level Excel header: "Startlån_antall" may be "antall_startlan"
            upper, lower = levels[header]
            names += [normalise_header(f"{lower}_{upper}"), normalise_header(lower)]
        return names

    geo_names = _names([contract.geo_column, *contract.geo_aliases])
    geo_hits = [h for h in headers if geo_names & set(candidates(h))]
    if not geo_hits:
        raise UnreadableFileError(
            path,
            f"missing the {contract.geo_level} code column '{contract.geo_column}' "
            f"(or one of: {', '.join(contract.geo_aliases) or 'no aliases'}); {found}",
        )
    geo = geo_hits[0] if len(geo_hits) == 1 else _most_code_like(grid, geo_hits, contract)
    year_names = _names([contract.year_column, *contract.year_aliases])
    year_hits = [h for h in headers if h not in geo_hits and year_names & set(candidates(h))]
    year = year_hits[0] if year_hits else None
    lookup = _measure_lookup(contract)
    normalised = {h: normalise_header(h) for h in headers}
    measure_header = next((h for h in headers if normalised[h] in MEASURE_NAME_HEADERS), None)
    value_header = next((h for h in headers if normalised[h] in VALUE_HEADERS), None)
    required = [c.name for c in contract.columns if c.required]
    plan = _Plan(file=path, layout="tidy", headers=headers, geo=geo, year=year)

    if year and measure_header and value_header:
        plan.layout, plan.measure_header, plan.value_header = "long", measure_header, value_header
        used = {geo, year, measure_header, value_header}
    elif year:
        for header in headers:
            if header in (geo, year):
                continue
            name = next((lookup[c] for c in candidates(header) if c in lookup), None)
            if name is None:
                continue
            if name in plan.measures:
                raise UnreadableFileError(
                    path, f"columns '{plan.measures[name]}' and '{header}' both match {name}; {found}"
                )
            plan.measures[name] = header
        missing = [c for c in contract.columns if c.required and c.name not in plan.measures]
        if missing:
            described = "; ".join(f"{c.name} (or one of: {', '.join(c.aliases)})" for c in missing)
            raise UnreadableFileError(path, f"missing required column(s) {described}; {found}")
        used = {geo, year, *plan.measures.values()}
    else:
        seen: dict[tuple[str, int], str] = {}
        for header in headers:
            if header == geo:
                continue
            hit = _wide_column(header, candidates(header), lookup, required)
            if hit is None:
                continue
            if hit == ("", 0):
                raise UnreadableFileError(
                    path,
                    f"columns named by year alone need a contract with one required column; "
                    f"{contract.source} has {len(required)} ({', '.join(required)}); {found}",
                )
            name, year_value = hit
            if (name, year_value) in seen:
                raise UnreadableFileError(
                    path,
                    f"columns '{seen[(name, year_value)]}' and '{header}' both hold {name} for {year_value}",
                )
            seen[(name, year_value)] = header
            plan.year_columns.append((header, name, year_value))
            if _is_preliminary(header):
                plan.preliminary.add(header)
        if not plan.year_columns:
            raise UnreadableFileError(
                path,
                f"missing the year column '{contract.year_column}' (or one of: "
                f"{', '.join(contract.year_aliases) or 'no aliases'}), and no columns named by year "
                f"(wide layout); {found}",
            )
        lacking = [n for n in required if n not in {name for _, name, _ in plan.year_columns}]
        if lacking:
            raise UnreadableFileError(
                path, f"missing required column(s) {', '.join(lacking)} in any year; {found}"
            )
        plan.layout = "wide_by_year"
        used = {geo, *(h for h, _, _ in plan.year_columns)}

    if plan.layout not in contract.layouts:
        raise UnreadableFileError(
            path,
            f"the layout is {plan.layout}, which the {contract.source} contract does not allow "
            f"(allowed: {', '.join(contract.layouts)}); {found}",
        )
    plan.ignored = [h for h in headers if h not in used]
    return plan


def _is_preliminary(header: str) -> bool:
    """A wide column headed "2023*" or "2023 (foreløpig)": its figures are preliminary."""
    text = header.strip()
    qualifier = _QUALIFIER.search(text)
    return text.endswith("*") or bool(qualifier and normalise_header(qualifier[1]) in PRELIMINARY_QUALIFIERS)


def _wide_column(header: str, names: list[str], lookup: dict[str, str], required: list[str]):
    """(contract column, year) for a wide header: "2020", "start_loans_2020" or "2020_start_loans"."""
    for name in names:
        if re.fullmatch(r"\d{4}", name):
            return (required[0], int(name)) if len(required) == 1 else ("", 0)
        match = re.fullmatch(r"(.+)_(\d{4})", name)
        if match and match[1] in lookup:
            return lookup[match[1]], int(match[2])
        match = re.fullmatch(r"(\d{4})_(.+)", name)
        if match and match[2] in lookup:
            return lookup[match[2]], int(match[1])
    return None


def _most_code_like(grid: pd.DataFrame, headers: list[str], contract: Contract) -> str:
    """Of several columns that could hold the area (e.g. "kommune" names and "knr" codes), the
    one whose first values are most often codes."""
    parse = normalise_code if contract.geo_level == "kommune" else _normalise_county

    def share(header: str) -> float:
        sample = grid[header].iloc[:500].tolist()
        return sum(parse(v) is not None for v in sample) / max(len(sample), 1)

    return max(headers, key=share)


# ------------------------------------------------------------------------------ the checks


@dataclass
class _Keys:
    code: np.ndarray  # normalised code or None
    year: np.ndarray  # int, -1 when not a usable year
    key_id: np.ndarray  # int, -1 when code or year is unusable; equal ids = same area × year
    geo_reason: np.ndarray  # object: reason or None
    year_reason: np.ndarray


def _check_keys(
    geo_raw: pd.Series,
    year_raw: pd.Series,
    contract: Contract,
    *,
    districts: bool = False,
    years: tuple[int, int] | None = None,
) -> _Keys:
    """Per row: the normalised code and year, and why either is unusable (each distinct value
    is parsed once; each distinct code × year checked once). With ``districts``, the contract's
    Oslo district codes are accepted as they are (they are summed into Oslo afterwards)."""
    year_ids, year_uniques = _factorize_text(year_raw)
    parsed_years = [
        _excluded(u.strip(), contract.excluded_years) or _parse_year(u, contract, years) for u in year_uniques
    ]
    year_of = np.array([y for y, _ in parsed_years] + [-1], dtype=np.int64)  # [-1]: empty input
    year_why = np.array([r for _, r in parsed_years] + [None], dtype=object)
    year = year_of[year_ids]
    year_reason = year_why[year_ids]

    geo_ids, geo_uniques = _factorize_text(geo_raw)
    kommune = contract.geo_level == "kommune"
    normalise = normalise_code if kommune else _normalise_county
    normalised = [normalise(u) for u in geo_uniques]
    code_ids_of, code_uniques = pd.factorize(pd.Series(normalised, dtype=object))
    code_ids_of = np.append(code_ids_of, -1)
    code_values = np.append(np.asarray(code_uniques, dtype=object), None)
    code_id = code_ids_of[geo_ids]
    code = code_values[code_id]

    pair = geo_ids.astype(np.int64) * 100_000 + (year + 1)
    inverse, distinct = pd.factorize(pair)
    distinct_geo = distinct // 100_000
    distinct_year = distinct % 100_000 - 1
    reasons = np.full(len(distinct), None, dtype=object)
    if kommune:
        parseable = np.array([normalised[g] is not None for g in distinct_geo], dtype=bool)
        for i in np.flatnonzero(~parseable):
            reasons[i] = f"{geo_uniques[distinct_geo[i]]!r} is not a municipality code"
        checkable = np.flatnonzero(parseable & (distinct_year >= 0))
        if len(checkable):
            raws = pd.Series([geo_uniques[g] for g in distinct_geo[checkable]], dtype=object)
            codes = pd.Series([normalised[g] for g in distinct_geo[checkable]], dtype=object)
            years = pd.Series(distinct_year[checkable])
            found = code_problems(raws, codes, years).to_numpy(dtype=object)
            reasons[checkable] = [r if isinstance(r, str) else None for r in found]
        declared = frozenset(contract.oslo_districts.codes) if contract.oslo_districts else frozenset()
        for i in np.flatnonzero(parseable):
            code_i = normalised[distinct_geo[i]]
            if code_i in declared and districts:
                reasons[i] = None
            elif code_i in declared:
                reasons[i] = (
                    f"{code_i} is an Oslo district; districts are summed into "
                    f"{contract.oslo_districts.into} only in tidy files (one row per area and year)"
                )
            excluded = _excluded(code_i, contract.excluded_codes)
            if excluded:
                reasons[i] = excluded[1]
    else:
        valid = _counties()
        for i, g in enumerate(distinct_geo):
            raw, county = geo_uniques[g], normalised[g]
            if county is None:
                reasons[i] = f"{raw!r} is not a county code"
            elif county not in valid:
                reasons[i] = (
                    f"county code {county} (given as {raw!r}) is not a county of {COUNTY_VINTAGE} "
                    f"(valid: {', '.join(sorted(valid))})"
                )
    for i, g in enumerate(distinct_geo):  # an empty cell deserves plainer words
        if not geo_uniques[g].strip():
            reasons[i] = f"the {'municipality' if kommune else 'county'} code is empty"
    geo_reason = reasons[inverse]
    key_id = np.where((code_id >= 0) & (year >= 0), code_id.astype(np.int64) * 10_000 + year, -1)
    return _Keys(code, year, key_id, geo_reason, year_reason)


def _excluded(value: str, rules) -> tuple[int, str] | None:
    """(-1, the contract's reason) when ``value`` matches one of its exclusion rules."""
    for rule in rules:
        if re.fullmatch(rule.match, value):
            return -1, rule.reason.format(value=value)
    return None


def _factorize_text(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(code per row, distinct texts); a missing cell is the text ""."""
    codes, uniques = pd.factorize(series)
    texts = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = codes.copy()
        codes[codes < 0] = len(texts)
        texts.append("")
    return codes.astype(np.int64), texts


def _arrow_text(raw: pd.Series) -> pa.Array:
    """Trimmed text of a column as one Arrow array (missing → ""), without Python strings."""
    array = pa.array(raw, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.utf8_trim_whitespace(pc.fill_null(array, ""))


def _mask(array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _parse_year(
    text: str, contract: Contract, years: tuple[int, int] | None = None
) -> tuple[int, str | None]:
    stripped = text.strip()
    if not stripped:
        return -1, "the year is empty"
    match = re.fullmatch(r"(\d{4})(?:[.,]0+)?", stripped)
    if not match:
        return -1, f"{text!r} is not a year"
    year = int(match[1])
    if not contract.first_year <= year <= contract.last_year:
        return -1, f"year {year} is outside the contract's years {contract.first_year}–{contract.last_year}"
    if years is not None and not years[0] <= year <= years[1]:
        change = "raise last_year" if year > years[1] else "lower first_year"
        return -1, (
            f"year {year} is outside the pipeline's years {years[0]}–{years[1]} (assets/settings.yaml), "
            f"so it would be stored but never published; {change} there to load it"
        )
    return year, None


def _normalise_county(raw: object) -> str | None:
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    match = _COUNTY.match(str(raw))
    return match.group(1).zfill(2) if match else None


@lru_cache(maxsize=1)
def _counties() -> frozenset[str]:
    return frozenset(municipalities(COUNTY_VINTAGE)["county_code"].unique())


@dataclass
class _Values:
    values: np.ndarray  # float64, NaN where missing or bad
    status: np.ndarray  # int8 code into _STATUSES (0: no symbol)
    reason: np.ndarray  # object: why the cell is bad, or None
    empty: np.ndarray  # bool: no figure and no symbol


def _parse_values(
    raw: pd.Series, column: ContractColumn, decimal: str, suppressed_marks: Sequence[str] = ()
) -> _Values:
    """Vectorised in Arrow: plain numbers in the file's convention, and space-grouped ones, go
    through a regex and a cast; the rest (SSB symbols, ``*``, dot groups, text) is parsed once
    per distinct spelling. A producer's own mark for a suppressed cell (the contract's
    ``suppressed_marks``, e.g. ``<4``) is read as SSB's ``:``."""
    text = _arrow_text(raw)
    if suppressed_marks:
        marked = pc.is_in(pc.utf8_trim_whitespace(text), value_set=pa.array(list(suppressed_marks)))
        text = pc.if_else(marked, ":", text)
    n = len(text)
    values = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int8)
    reason = np.full(n, None, dtype=object)
    empty = _mask(pc.equal(text, ""))
    fast = _mask(pc.match_substring_regex(text, _FAST[decimal]))
    dot_grouped = _mask(pc.match_substring_regex(text, _DOT_THOUSANDS_RE2))
    if column.thousands == ".":  # the contract says a dot groups thousands: "3.000" is 3000
        values[dot_grouped] = pc.cast(
            pc.replace_substring(pc.filter(text, pa.array(dot_grouped)), ".", ""), pa.float64()
        ).to_numpy(zero_copy_only=False)
        dotted = _mask(pc.match_substring(text, "."))
        fast &= ~dotted  # any other dot ("3.5") is parsed (and refused) one spelling at a time
        empty |= dot_grouped  # not empty: excluded from the slow tiers below, then restored
    elif _guards_dots(column, decimal) and dot_grouped.any():
        # a point-decimal file (or an Excel text cell): "3.000" could be 3 or 3000; never guess
        _flag(reason, dot_grouped, text, lambda t, v: _ambiguous_dots(t, column))
        fast &= ~dot_grouped
        empty |= dot_grouped
    if fast.any():
        plain = pc.filter(text, pa.array(fast))
        if decimal == ",":
            plain = pc.replace_substring(plain, ",", ".")
        values[fast] = pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    rest = ~fast & ~empty
    if rest.any():
        spaced = np.zeros(n, dtype=bool)
        spaced[rest] = _mask(pc.match_substring_regex(pc.filter(text, pa.array(rest)), _SPACED_RE2))
        if spaced.any():
            grouped = pc.replace_substring_regex(pc.filter(text, pa.array(spaced)), "[ \u00a0\u202f]", "")
            values[spaced] = pc.cast(pc.replace_substring(grouped, ",", "."), pa.float64()).to_numpy(
                zero_copy_only=False
            )
        slow = rest & ~spaced
        if slow.any():
            ids, uniques = pd.factorize(np.asarray(pc.filter(text, pa.array(slow)).to_pylist(), dtype=object))
            thousands = column.thousands or ("?" if _guards_dots(column, decimal) else None)
            parsed = [_parse_number(str(u), decimal, thousands) for u in uniques]
            values[slow] = np.array([p[0] for p in parsed], dtype=np.float64)[ids]
            status[slow] = np.array([_STATUS_CODE[p[1]] for p in parsed], dtype=np.int8)[ids]
            reason[slow] = np.array([p[2] for p in parsed] + [None], dtype=object)[:-1][ids]

    empty &= ~dot_grouped
    finite = np.isfinite(values) & np.equal(reason, None)
    if column.type == "integer":
        _flag(reason, finite & (values % 1 != 0), text, lambda t, v: _not_whole(t, column))
    if column.min is not None:
        _flag(reason, finite & (values < column.min), text, lambda t, v: _below(v, column))
    if column.max is not None:
        _flag(reason, finite & (values > column.max), text, lambda t, v: _above(v, column))
    values[~np.equal(reason, None)] = np.nan  # a bad cell takes part in no further check
    return _Values(values, status, reason, empty)


def _flag(reason: np.ndarray, where: np.ndarray, text: pa.Array, describe) -> None:
    """Give a reason to cells not yet bad, once per distinct spelling."""
    where = where & np.equal(reason, None)
    if not where.any():
        return
    spelled = np.asarray(pc.filter(text, pa.array(where)).to_pylist(), dtype=object)
    ids, uniques = pd.factorize(spelled)
    described = np.array([describe(str(u), _to_float(str(u))) for u in uniques] + [None], dtype=object)
    reason[where] = described[:-1][ids]


def _to_float(text: str) -> float:
    value, _, _ = _parse_number(text.strip(), "either")
    return value


def _not_whole(text: str, column: ContractColumn) -> str:
    return f"{text!r} is not a whole number, but {column.name} counts {column.unit}"


def _guards_dots(column: ContractColumn, decimal: str) -> bool:
    """A dot-grouped figure is refused as ambiguous: the column counts (or is NOK), does not declare
    its thousands mark, and the file's decimal mark may be a point."""
    return column.thousands is None and decimal != "," and (column.type == "integer" or column.unit == "NOK")


def _ambiguous_dots(text: str, column: ContractColumn) -> str:
    return (
        f"{text!r} is ambiguous: '.' could be a thousands separator or a decimal mark, and "
        f'{column.name} ({column.unit}) does not say; the contract may declare thousands: "." on it'
    )


def _below(value: float, column: ContractColumn) -> str:
    if column.min == 0:
        kind = "count" if column.type == "integer" else "value"
        return f"negative {kind} ({_fmt(value)}) for {column.name}"
    return f"{column.name} ({_fmt(value)}) is below the minimum {_fmt(column.min)}"


def _above(value: float, column: ContractColumn) -> str:
    return f"{column.name} ({_fmt(value)}) exceeds the maximum {_fmt(column.max)} {column.unit}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else format(value, ".15g")


def _parse_number(
    text: str, decimal: str, thousands: str | None = None
) -> tuple[float, str | None, str | None]:
    """(value, SSB status, reason) of one cell. ``decimal`` is the file's decimal mark
    (``","``, ``"."``, or ``"either"`` for Excel, whose numbers arrive with a point);
    ``thousands`` is the column's declared grouping mark ("."), "?" when a dot-grouped figure is
    ambiguous in the column, or None."""
    cleaned = text.replace("\u2212", "-")
    if cleaned in SSB_SYMBOLS:
        symbol = SSB_SYMBOLS[cleaned]
        return (0.0 if symbol == "-" else np.nan), symbol, None
    status = None
    if cleaned.endswith("*"):  # preliminary figure
        cleaned, status = cleaned[:-1].rstrip(), "*"
        if not cleaned or cleaned in SSB_SYMBOLS:
            return np.nan, None, f"{text!r} is not a number"
    if thousands == "." and "." in cleaned:
        if _DOT_GROUPED.fullmatch(cleaned):
            return float(cleaned.replace(".", "").replace(",", ".")), status, None
        return (
            np.nan,
            None,
            f"{text!r} is not a number as the contract reads it: '.' groups thousands in this "
            "column (write 1.234,5 or 1234,5)",
        )
    if thousands == "?" and _DOT_THOUSANDS.fullmatch(cleaned):
        return np.nan, None, f"{text!r} is ambiguous: '.' could be a thousands separator or a decimal mark"
    match = _SPACED.fullmatch(cleaned)
    if match:
        digits = re.sub(r"\D", "", match[2])
        return float(f"{match[1]}{digits}.{match[3] or 0}"), status, None
    if _DOT_GROUPS.fullmatch(cleaned):
        return float(cleaned.replace(".", "").replace(",", ".")), status, None
    if _COMMA_GROUPS.fullmatch(cleaned):
        return float(cleaned.replace(",", "")), status, None
    match = _SIMPLE.fullmatch(cleaned)
    if match and (match[2] or match[4]):
        sign, whole, mark, fraction = match[1], match[2], match[3], match[4]
        if (
            mark
            and decimal != "either"
            and mark != decimal
            and len(fraction) == 3
            and 1 <= len(whole) <= 3
            and not whole.startswith("0")
        ):
            return (
                np.nan,
                None,
                f"{text!r} is ambiguous: '{mark}' could be a thousands separator or a decimal mark",
            )
        return float(f"{sign}{whole or 0}.{fraction or 0}"), status, None
    return np.nan, None, f"{text!r} is not a number"


# -------------------------------------------------------------------------------- layouts


def _pick(series: pd.Series, where) -> np.ndarray:
    """Raw text of some cells (a boolean mask or positions), as Python strings."""
    return series.iloc[where].fillna("").to_numpy(dtype=object)


@dataclass
class _Cell:
    """One contract column over the records. Raw text stays in ``source`` (Arrow-backed) and
    is turned into Python strings only for cells that are quarantined."""

    values: np.ndarray  # float64
    status: np.ndarray  # int8 code into _STATUSES
    source: pd.Series  # raw text, positional
    position: np.ndarray  # per record: position in ``source``, -1 when the record has no cell
    row: np.ndarray  # per record: the file row holding the cell, -1 when none
    header: str | np.ndarray  # the file's header for the cell (per record in wide files)
    empty: np.ndarray  # bool: no figure and no symbol (or no cell)

    def header_at(self, where: np.ndarray) -> str | np.ndarray:
        return self.header if isinstance(self.header, str) else self.header[where]

    def raw(self, where: np.ndarray) -> np.ndarray:
        positions = self.position[where]
        out = np.full(len(positions), "", dtype=object)
        present = positions >= 0
        out[present] = _pick(self.source, positions[present])
        return out


@dataclass
class _Table:
    """Records (area × year) built from the file, with the file rows each is made of."""

    code: np.ndarray  # object
    year: np.ndarray  # int, -1 when unusable
    key_id: np.ndarray  # int, -1 when unusable
    key_text: np.ndarray  # object: "0301/2023", or the key as written when unusable
    row: np.ndarray  # the record's first file row
    cells: dict[str, _Cell]
    member_rows: np.ndarray  # file rows ...
    member_records: np.ndarray  # ... and the record each belongs to
    check_duplicates: bool = True
    one_row_many_records: bool = False  # wide files: a row holds several years


def _columns(contract: Contract) -> dict[str, ContractColumn]:
    return {c.name: c for c in contract.columns}


def _add_key_problems(
    quarantine: _Quarantine,
    keys: _Keys,
    rows: np.ndarray,
    geo_header,
    geo_raw: pd.Series,
    year_header,
    year_raw,
) -> None:
    bad = ~np.equal(keys.geo_reason, None)
    if bad.any():
        quarantine.add(rows[bad], geo_header, _pick(geo_raw, bad), keys.geo_reason[bad])
    bad = ~np.equal(keys.year_reason, None)
    if bad.any():
        header = year_header[bad] if isinstance(year_header, np.ndarray) else year_header
        quarantine.add(rows[bad], header, _pick(year_raw, bad), keys.year_reason[bad])


def _add_value_problems(quarantine: _Quarantine, parsed: _Values, rows, header, raw: pd.Series) -> None:
    bad = ~np.equal(parsed.reason, None)
    if bad.any():
        header = header[bad] if isinstance(header, np.ndarray) else header
        quarantine.add(rows[bad], header, _pick(raw, bad), parsed.reason[bad])


def _key_text(keys: _Keys, geo_raw: pd.Series, year_raw: pd.Series) -> np.ndarray:
    """Per row "0301/2023" (one string per distinct key), or the key as written when unusable."""
    ok = keys.key_id >= 0
    text = np.empty(len(ok), dtype=object)
    if ok.any():
        ids, _ = pd.factorize(keys.key_id[ok])
        first = np.unique(ids, return_index=True)[1]
        code, year = keys.code[ok], keys.year[ok]
        labels = np.array([f"{code[i]}/{year[i]}" for i in first], dtype=object)
        text[ok] = labels[ids]
    if not ok.all():
        geo, year = _pick(geo_raw, ~ok), _pick(year_raw, ~ok)
        text[~ok] = np.array(
            [f"{g.strip()}/{y.strip()}" for g, y in zip(geo, year, strict=True)], dtype=object
        )
    return text


def _tidy(
    grid: pd.DataFrame, plan: _Plan, contract: Contract, decimal: str, quarantine: _Quarantine
) -> _Table:
    rows = grid["_row"].to_numpy(dtype=np.int64)
    geo_raw, year_raw = grid[plan.geo], grid[plan.year]
    keys = _check_keys(geo_raw, year_raw, contract, districts=True, years=plan.years)
    _add_key_problems(quarantine, keys, rows, plan.geo, geo_raw, plan.year, year_raw)
    columns = _columns(contract)
    positions = np.arange(len(rows))
    cells = {}
    for name in [c.name for c in contract.columns if c.name in plan.measures]:
        header = plan.measures[name]
        parsed = _parse_values(grid[header], columns[name], decimal, contract.suppressed_marks)
        _add_value_problems(quarantine, parsed, rows, header, grid[header])
        cells[name] = _Cell(parsed.values, parsed.status, grid[header], positions, rows, header, parsed.empty)
    key_text = _key_text(keys, geo_raw, year_raw)
    return _Table(keys.code, keys.year, keys.key_id, key_text, rows, cells, rows, positions)


def _wide(
    grid: pd.DataFrame, plan: _Plan, contract: Contract, decimal: str, quarantine: _Quarantine
) -> _Table:
    rows = grid["_row"].to_numpy(dtype=np.int64)
    filled = {h: _mask(pc.not_equal(_arrow_text(grid[h]), "")) for h, _, _ in plan.year_columns}
    years = sorted({y for _, _, y in plan.year_columns})
    by_year = {y: [(h, name) for h, name, yy in plan.year_columns if yy == y] for y in years}
    segments = []  # per year: positions (in the grid) of rows with a value that year
    for y in years:
        segments.append(np.flatnonzero(np.logical_or.reduce([filled[h] for h, _ in by_year[y]])))
    index = np.concatenate(segments)
    year_of = np.concatenate(
        [np.full(len(seg), y, dtype=np.int64) for y, seg in zip(years, segments, strict=True)]
    )
    nothing = np.ones(len(rows), dtype=bool)
    nothing[index] = False
    quarantine.add(rows[nothing], "", "", "the row has a code but no value in any year column")

    record_rows = rows[index]
    geo_raw = grid[plan.geo].iloc[index].reset_index(drop=True)
    year_header = np.array([by_year[y][0][0] for y in year_of], dtype=object)
    year_raw = pd.Series(year_of.astype(str), dtype=object)
    keys = _check_keys(geo_raw, year_raw, contract, years=plan.years)
    _add_key_problems(
        quarantine, keys, record_rows, plan.geo, geo_raw, year_header, pd.Series(year_header, dtype=object)
    )

    columns = _columns(contract)
    cells = {}
    present = {name for _, name, _ in plan.year_columns}
    for name in [c.name for c in contract.columns if c.name in present]:
        pieces, header, row = (
            [],
            np.full(len(index), "", dtype=object),
            np.full(len(index), -1, dtype=np.int64),
        )
        preliminary = np.zeros(len(index), dtype=bool)
        start = 0
        for y, segment in zip(years, segments, strict=True):
            stop = start + len(segment)
            hit = next((h for h, n in by_year[y] if n == name), None)
            if hit is None:
                pieces.append(pd.Series([""] * len(segment), dtype=object))
            else:
                pieces.append(grid[hit].iloc[segment].astype(object))
                header[start:stop] = hit
                row[start:stop] = rows[segment]
                preliminary[start:stop] = hit in plan.preliminary
            start = stop
        source = pd.concat(pieces, ignore_index=True) if pieces else pd.Series([], dtype=object)
        parsed = _parse_values(source, columns[name], decimal, contract.suppressed_marks)
        # a figure under a "2023*" / "2023 (foreløpig)" header is preliminary; a symbol keeps its own
        marked = preliminary & np.isfinite(parsed.values) & (parsed.status == 0)
        parsed.status[marked] = _STATUS_CODE["*"]
        _add_value_problems(quarantine, parsed, record_rows, header, source)
        positions = np.where(row >= 0, np.arange(len(index)), -1)
        cells[name] = _Cell(parsed.values, parsed.status, source, positions, row, header, parsed.empty)
    key_text = _key_text(keys, geo_raw, year_raw)
    records = np.arange(len(index))
    return _Table(
        keys.code,
        keys.year,
        keys.key_id,
        key_text,
        record_rows,
        cells,
        record_rows,
        records,
        one_row_many_records=True,
    )


def _long(
    grid: pd.DataFrame, plan: _Plan, contract: Contract, decimal: str, quarantine: _Quarantine
) -> _Table:
    rows = grid["_row"].to_numpy(dtype=np.int64)
    geo_raw, year_raw = grid[plan.geo], grid[plan.year]
    keys = _check_keys(geo_raw, year_raw, contract, years=plan.years)
    _add_key_problems(quarantine, keys, rows, plan.geo, geo_raw, plan.year, year_raw)

    lookup = _measure_lookup(contract)
    name_raw = grid[plan.measure_header]
    name_ids, name_uniques = _factorize_text(name_raw)
    mapped = np.array(
        [
            lookup.get(normalise_header(u)) or lookup.get(normalise_header(_QUALIFIER.sub("", u)))
            for u in name_uniques
        ]
        + [None],
        dtype=object,
    )
    measure = mapped[name_ids]
    unknown = np.equal(measure, None)
    if unknown.any():
        expected = ", ".join(c.name for c in contract.columns)
        texts = _pick(name_raw, unknown)
        reasons = [
            f"unknown measure {t!r} (expected one of: {expected})"
            if t.strip()
            else "the measure name is empty"
            for t in texts
        ]
        quarantine.add(rows[unknown], plan.measure_header, texts, np.array(reasons, dtype=object))
    seen = set(measure[~unknown])
    present = [c.name for c in contract.columns if c.name in seen]
    lacking = [c.name for c in contract.columns if c.required and c.name not in seen]
    if lacking:
        raise UnreadableFileError(
            plan.file,
            f"missing required measure(s) {', '.join(lacking)} in column '{plan.measure_header}'; "
            f"measures found: {', '.join(sorted(map(str, name_uniques)))}",
        )

    columns = _columns(contract)
    value_raw = grid[plan.value_header]
    values = np.full(len(rows), np.nan)
    status = np.zeros(len(rows), dtype=np.int8)
    empty = np.ones(len(rows), dtype=bool)
    for name in present:
        select = measure == name
        subset = value_raw[select]
        parsed = _parse_values(subset, columns[name], decimal, contract.suppressed_marks)
        values[select], status[select], empty[select] = parsed.values, parsed.status, parsed.empty
        _add_value_problems(quarantine, parsed, rows[select], plan.value_header, subset)

    # Records: the rows of one area × year (rows with an unusable key grouped as written).
    known = np.flatnonzero(~unknown)
    group = keys.key_id.copy()
    unusable = group < 0
    if unusable.any():
        spelled = [
            f"{g}\x1f{y}" for g, y in zip(_pick(geo_raw, unusable), _pick(year_raw, unusable), strict=True)
        ]
        group[unusable] = -1 - pd.factorize(np.array(spelled, dtype=object))[0]
    record_of, _ = pd.factorize(group[known])
    n_records = int(record_of.max()) + 1 if len(record_of) else 0
    first_rows = known[np.unique(record_of, return_index=True)[1]]
    key_text = _key_text(keys, geo_raw, year_raw)

    measure_id = {name: i for i, name in enumerate(present)}
    pair = record_of.astype(np.int64) * 64 + np.array([measure_id[m] for m in measure[known]], dtype=np.int64)
    duplicated = pd.Series(pair).duplicated(keep=False).to_numpy()
    if duplicated.any():
        positions = known[duplicated]
        labels = np.array([f"{key_text[p]} {measure[p]}" for p in positions], dtype=object)
        _add_duplicates(quarantine, rows[positions], labels, pair[duplicated])

    cells = {}
    for name in present:
        of_name = measure[known] == name
        select, record = known[of_name], record_of[of_name]
        cell_values = np.full(n_records, np.nan)
        cell_status = np.zeros(n_records, dtype=np.int8)
        cell_position = np.full(n_records, -1, dtype=np.int64)
        cell_row = np.full(n_records, -1, dtype=np.int64)
        cell_empty = np.ones(n_records, dtype=bool)
        cell_values[record], cell_status[record] = values[select], status[select]
        cell_position[record], cell_row[record], cell_empty[record] = select, rows[select], empty[select]
        cells[name] = _Cell(
            cell_values, cell_status, value_raw, cell_position, cell_row, plan.value_header, cell_empty
        )
    return _Table(
        keys.code[first_rows],
        keys.year[first_rows],
        keys.key_id[first_rows],
        key_text[first_rows],
        rows[first_rows],
        cells,
        rows[known],
        record_of,
        check_duplicates=False,  # done above, per area × year × measure
    )


# --------------------------------------------------------------------- record-level checks


def _add_duplicates(
    quarantine: _Quarantine, rows: np.ndarray, labels: np.ndarray, groups: np.ndarray, *, once_per_row=False
) -> None:
    """One entry per row involved: "duplicate key 0301/2023: rows 4 and 9" (one reason string
    per duplicated key, shared by its rows)."""
    order = np.lexsort((rows, groups))
    sorted_groups, sorted_rows = groups[order], rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    reasons = np.array(
        [
            f"duplicate key {labels[order[start]]}: "
            f"{_row_list(sorted_rows[start : start + min(int(size), _LISTED_ROWS)].tolist(), int(size))}"
            for start, size in zip(starts, sizes, strict=True)
        ],
        dtype=object,
    )
    reason = np.empty(len(order), dtype=object)
    reason[order] = reasons[np.repeat(np.arange(len(starts)), sizes)]
    quarantine.add(rows, "", labels, reason, once_per_row=once_per_row)


def _row_list(rows: list[int], total: int) -> str:
    rows = [int(r) for r in rows]
    if total > len(rows):
        return f"rows {', '.join(map(str, rows))} and {total - len(rows)} more"
    if len(rows) == 1:
        return f"row {rows[0]}"
    return f"rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"


def _finish(table: _Table, contract: Contract, quarantine: _Quarantine) -> tuple[pd.DataFrame, int]:
    """Record-level checks (required figures, relations, duplicate keys), then the split into
    loaded records and quarantined rows. Returns (loaded, distinct file rows loaded)."""
    columns = _columns(contract)
    for name, cell in table.cells.items():
        if columns[name].required and cell.empty.any():
            missing = cell.empty
            header = np.where(cell.row >= 0, np.asarray(cell.header, dtype=object), "")
            quarantine.add(
                np.where(cell.row >= 0, cell.row, table.row)[missing],
                header[missing],
                "",
                f"no figure for {name}, which is required; write an SSB symbol when it is missing "
                "('..' not available, '.' not applicable, ':' confidential, '-' zero)",
            )
    for relation in contract.relations:
        small, large = table.cells.get(relation.smaller), table.cells.get(relation.larger)
        if small is None or large is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(small.values) & np.isfinite(large.values) & (small.values > large.values)
        if bad.any():
            reasons = [
                f"{relation.smaller} ({_fmt(a)}) exceeds {relation.larger} ({_fmt(b)})"
                for a, b in zip(small.values[bad], large.values[bad], strict=True)
            ]
            quarantine.add(
                small.row[bad], small.header_at(bad), small.raw(bad), np.array(reasons, dtype=object)
            )
    if table.check_duplicates:
        duplicated = (table.key_id >= 0) & pd.Series(table.key_id).duplicated(keep=False).to_numpy()
        if duplicated.any():
            _add_duplicates(
                quarantine,
                table.row[duplicated],
                table.key_text[duplicated],
                table.key_id[duplicated],
                once_per_row=table.one_row_many_records,
            )

    # A record is quarantined when any of its rows is; so are all its rows (long files).
    member_bad = np.isin(table.member_rows, quarantine.rows())
    bad_records = np.zeros(len(table.row), dtype=bool)
    bad_records[table.member_records[member_bad]] = True
    in_bad_record = bad_records[table.member_records]
    collateral = in_bad_record & ~member_bad
    if collateral.any():
        frame = pd.DataFrame({"record": table.member_records, "row": table.member_rows})
        culprits = frame[member_bad & in_bad_record].sort_values("row").groupby("record")["row"].agg(list)
        reasons = [
            f"not loaded because {_row_list(culprits[r][:_LISTED_ROWS], len(culprits[r]))} of the same "
            f"area and year ({table.key_text[r]}) {'was' if len(culprits[r]) == 1 else 'were'} quarantined"
            for r in table.member_records[collateral]
        ]
        quarantine.add(table.member_rows[collateral], "", "", np.array(reasons, dtype=object))

    good = ~bad_records
    loaded = pd.DataFrame(
        {"geo_code": pd.Series(table.code[good], dtype=object), "year": table.year[good].astype(np.int64)}
    )
    for name in [c.name for c in contract.columns if c.name in table.cells]:
        cell = table.cells[name]
        loaded[name] = cell.values[good].astype(np.float64)
        loaded[f"{name}__status"] = pd.Series(
            np.array(_STATUSES, dtype=object)[cell.status[good]], dtype=object
        )
    loaded["_row"] = table.row[good].astype(np.int64)
    loaded = loaded.sort_values(["_row", "year"], kind="stable").reset_index(drop=True)
    rows_loaded = len(_distinct(table.member_rows[~in_bad_record]))
    return loaded, rows_loaded
