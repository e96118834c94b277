"""Files keyed by municipality *name* (IMDi's settlement pages): names become codes before the
ordinary checks.

A contract with ``name_first_year`` accepts a file whose geography column holds names rather than
codes. The county comes from a column (``county_aliases``), for a saved web page from the heading
above each table, else from the workbook sheet's name when it is a county's. The year comes from a
year column, else from the page title or the file name (``nokkeltall-bosetting-2023``,
«bosettingen i kommunene i 2023»). Each distinct name × county is matched once with
:func:`pipelines.geography.names.match_municipalities` for the row's year. A row whose name does
not resolve to exactly one municipality, or whose year comes before ``name_first_year``, is
quarantined with the reason (and the candidates); the other rows go on with the code in place of
the name and are checked like any other file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.catalogue.contracts import Contract
from pipelines.geography.codes import normalise_code
from pipelines.geography.names import county_codes, match_municipalities
from pipelines.inbox.read import COUNTY_HEADER, UnreadableFileError, normalise_header, year_in_text

YEAR_FROM_FILE = "year"  # the column added when the year comes from the title or file name


@dataclass
class Resolved:
    grid: pd.DataFrame  # rows whose names resolved, the name replaced by its code
    rows: np.ndarray  # file rows quarantined here ...
    columns: np.ndarray  # ... the column (as headed) ...
    raw: np.ndarray  # ... the cell as written ...
    reasons: np.ndarray  # ... and why
    year_source: str | None = None  # "title or file name" when the year did not come from a column


def _header(grid: pd.DataFrame, names: list[str]) -> str | None:
    wanted = {normalise_header(n) for n in names}
    return next((h for h in grid.columns if normalise_header(h) in wanted), None)


def names_not_codes(grid: pd.DataFrame, contract: Contract) -> str | None:
    """The geography header when the file is keyed by name (most of its first values are not
    codes) and the contract allows that; else None."""
    if contract.name_first_year is None or contract.geo_level != "kommune":
        return None
    geo = _header(grid, [contract.geo_column, *contract.geo_aliases])
    if geo is None:
        return None
    others = [h for h in grid.columns if h != geo and h not in ("_row", "_fields")]
    codes = _header(grid[others], [contract.geo_column, *contract.geo_aliases]) if others else None
    if codes is not None:  # a name column next to a code column: the codes are used
        return None
    sample = [v for v in grid[geo].iloc[:200].tolist() if str(v).strip()]
    if not sample:
        return None
    coded = sum(normalise_code(v) is not None for v in sample) / len(sample)
    return geo if coded < 0.5 else None


def resolve_names(path, grid: pd.DataFrame, attrs: dict, contract: Contract, geo: str) -> Resolved:
    """Replace names by codes (see the module doc); raises when the year or county is nowhere."""
    first = contract.name_first_year
    county = COUNTY_HEADER if COUNTY_HEADER in grid.columns else None
    county = _header(grid, [COUNTY_HEADER, *contract.county_aliases]) or county
    year_header = _header(grid, [contract.year_column, *contract.year_aliases])
    year_source = None
    if year_header is None:
        year = attrs.get("year") or year_in_text(path.name)
        if year is None:
            raise UnreadableFileError(
                path,
                f"holds municipality names, but no year: no column '{contract.year_column}' (or one of: "
                f"{', '.join(contract.year_aliases)}), and neither the page title nor the file name "
                "states one (e.g. nokkeltall-bosetting-2023)",
            )
        grid = grid.copy()
        width = len(grid.columns) - 2  # without _row and _fields
        grid.insert(width, YEAR_FROM_FILE, str(year))
        grid.loc[grid["_fields"] == width, "_fields"] = width + 1  # sound rows stay sound
        year_header, year_source = YEAR_FROM_FILE, "title or file name"
    if county is None and contract.county_aliases:
        county_note = f"no county column ({', '.join(contract.county_aliases)})"
    else:
        county_note = None

    names = grid[geo].fillna("").astype(str).str.strip()
    if county:
        counties = grid[county].fillna("").astype(str).str.strip()
    elif attrs.get("sheet") and county_codes(attrs["sheet"]):  # one sheet per county, named after it
        counties, county_note = pd.Series(str(attrs["sheet"]).strip(), index=grid.index), None
    else:
        counties = pd.Series("", index=grid.index)
    years_text = grid[year_header].fillna("").astype(str).str.strip()
    years = pd.to_numeric(years_text.str.replace(r"[.,]0+$", "", regex=True), errors="coerce")

    bad_rows, bad_columns, bad_raw, bad_reasons = [], [], [], []
    codes = pd.Series(None, index=grid.index, dtype=object)
    early = years.notna() & (years < first)
    for i in np.flatnonzero(early.to_numpy()):
        bad_rows.append(grid["_row"].iat[i])
        bad_columns.append("" if year_source else year_header)
        bad_raw.append(years_text.iat[i])
        bad_reasons.append(
            f"{contract.producer_nb} publishes these figures per municipality by name only from {first}; "
            f"year {int(years.iat[i])}"
            + (f" (from the {year_source})" if year_source else "")
            + " is not accepted (there are no per-municipality figures for it to load)"
        )
    usable = years.notna() & ~early & (years <= contract.last_year)
    keys = pd.DataFrame({"name": names, "county": counties, "year": years})[usable]
    for (year, county_value), part in keys.groupby(["year", "county"], sort=False):
        distinct = part["name"].unique().tolist()
        matched = match_municipalities(distinct, int(year), [county_value or None] * len(distinct))
        by_name = dict(zip(distinct, matched.itertuples(index=False), strict=True))
        for index, name in part["name"].items():
            row = by_name[name]
            if row.status == "matched":
                codes.at[index] = row.code
                continue
            where = f" in county '{county_value}'" if county_value else ""
            candidates = "; ".join(row.candidates or []) or "none"
            note = f"; {county_note}" if county_note and row.status == "ambiguous" else ""
            position = grid.index.get_loc(index)
            bad_rows.append(grid["_row"].iat[position])
            bad_columns.append(geo)
            bad_raw.append(name)
            bad_reasons.append(
                f"municipality name '{name}'{where} in {int(year)} is {row.status}: {row.reason}{note}. "
                f"Candidates: {candidates}"
            )
    keep = codes.notna() | ~usable  # unusable years are left for the ordinary year check
    keep &= ~early
    out = grid[keep.to_numpy()].copy()
    out[geo] = np.where(codes[keep].notna(), codes[keep].astype(object), out[geo].astype(object))
    return Resolved(
        out.reset_index(drop=True),
        np.asarray(bad_rows, dtype=np.int64),
        np.asarray(bad_columns, dtype=object),
        np.asarray(bad_raw, dtype=object),
        np.asarray(bad_reasons, dtype=object),
        year_source,
    )
