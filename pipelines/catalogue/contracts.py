"""The shape of a file-drop contract (``assets/contracts.yaml``): what a directorate's file must hold.

Declarations only, checked by pydantic when the catalogue loads; reading and checking the files
themselves is the inbox's work (:mod:`pipelines.inbox`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContractColumn(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # the measure column it fills (the source's `column`)
    aliases: list[str] = Field(default_factory=list)  # other header names seen in real files
    type: Literal["integer", "number"] = "integer"
    unit: str
    min: float | None = 0
    max: float | None = None
    required: bool = False  # a file without this column is rejected; otherwise it may be absent
    # "." when the producer groups thousands with a dot ("3.000" is three thousand, "1.234,5" has a
    # decimal comma): such cells are read as thousands in every file, and a dot that is not a group
    # of three digits is refused. Unset, a dot-grouped figure ("3.000") in an integer or NOK column
    # of a file whose decimal mark may be a point is quarantined as ambiguous, never read as 3.0.
    # Excel number cells arrive without grouping; declare it only for producers whose cells are text.
    thousands: Literal["."] | None = None


class Relation(_Strict):
    """``smaller`` must not exceed ``larger`` on any row (e.g. numerator ≤ denominator)."""

    smaller: str
    larger: str


class OsloDistricts(_Strict):
    """Oslo reported per district (Husbanken's statistics bank: ``KommuneNr`` 0311–0325). The rows of
    ``codes`` are summed, with any row coded ``into`` (a near-empty remainder, never Oslo's total),
    into one row coded ``into`` per year. A suppressed or missing district figure makes the sum missing."""

    mode: Literal["sum"] = "sum"
    into: str = Field(default="0301", pattern=r"^\d{4}$")
    codes: list[str] = Field(min_length=1)


class Excluded(_Strict):
    """Key values that are quarantined with ``reason``: ``match`` is a regular expression that the
    whole value (a normalised code, or the year as written) must match."""

    match: str
    reason: str


class MonthConvention(_Strict):
    """Which month a monthly figure belongs to. Husbanken pays the housing allowance on the 20th for
    the previous month's term: ``payment_month`` counts by the month paid ("paid in December" is
    November's term), ``term_month`` by the term the allowance is for."""

    kind: Literal["payment_month", "term_month"]
    text_nb: str = Field(min_length=1)  # stated on the indicators fed by the contract's source


class Contract(_Strict):
    source: str  # the source in sources.yaml whose measures this file feeds
    name_nb: str
    producer_nb: str
    geo_level: Literal["kommune", "fylke"] = "kommune"
    geo_column: str = "kommunenr"
    geo_aliases: list[str] = Field(default_factory=list)
    year_column: str = "year"
    year_aliases: list[str] = Field(default_factory=list)
    # kommune codes in files are those valid on 1 January of the row's year, from 2014 on; they are
    # stored as reported and harmonised to the pipeline's borders in staging. A county-level file
    # must use the pipeline's counties (counties are not harmonised).
    layouts: list[Literal["long", "wide_by_year", "tidy"]] = Field(default_factory=lambda: ["tidy"])
    reference_date: str
    columns: list[ContractColumn] = Field(min_length=1)
    relations: list[Relation] = Field(default_factory=list)
    first_year: int = 2014
    last_year: int = 2030
    # The workbook sheet to read (by its tab name); unset: every visible sheet with data. Named, it
    # is read when visible and every other sheet is skipped with a note.
    sheet: str | None = None
    # Oslo's districts summed into Oslo (tidy files only); unset: district codes are not municipalities.
    oslo_districts: OsloDistricts | None = None
    excluded_codes: list[Excluded] = Field(default_factory=list)  # e.g. Svalbard's 21xx pseudo-codes
    excluded_years: list[Excluded] = Field(default_factory=list)  # e.g. Husbanken's `År = -`
    # The producer's exports state their export date (in the file name or an «Eksportert …» line);
    # a file without one is loaded with its fingerprint as vintage, and a note says so.
    export_dated: bool = False
    month_convention: MonthConvention | None = None
    # The producer's own marks for a suppressed cell (e.g. "<4"), read like SSB's ':' (suppressed,
    # no value): the cell keeps that status and is never a 0 or a number. ':' is always suppressed.
    suppressed_marks: list[str] = Field(default_factory=list)
    # Set, files may name municipalities instead of giving codes (IMDi's settlement pages): names are
    # matched to the codes of the row's year, with the county from a column (``county_aliases``) or
    # a web page's heading above each table; rows before this year are refused (the figures are not
    # published per municipality before it). Unset, only codes are accepted.
    name_first_year: int | None = None
    county_aliases: list[str] = Field(default_factory=list)


class RecordSource(_Strict):
    """Record-level data aggregated in DuckDB into a source's measures."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["bostotte", "startlan"]
    feeds_source: str
    name_nb: str
