"""KLASS client (Statistics Norway's classification API) and a check of our bundled code lists.

``data/reference/municipalities_by_year.csv`` and ``counties_by_year.csv`` hold the municipalities
(classification 131) and counties (104) valid on 1 January of each year. They were compiled by
hand; :func:`compare_with_reference` asks KLASS for the same years and lists every code that KLASS
has and we lack (added), that we have and KLASS lacks (removed), or that has another name
(renamed). :func:`refresh_reference` can then rewrite the two files from KLASS.

A year missing from the reference is compared with the newest earlier reference year, so running
with next year shows what the new year changes (e.g. 2026's renames) before the files are rewritten.

Command line (prints the report, exit code 0)::

    python -m pipelines.ssb.klass --years 2014-2025 [--write] [--base-url URL] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pipelines.atomic import write_bytes_atomic
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.http import request_json

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.ssb.no/api/klass/v1"
MUNICIPALITIES = 131
COUNTIES = 104
MUNICIPALITIES_FILE = "municipalities_by_year.csv"
COUNTIES_FILE = "counties_by_year.csv"
MUNICIPALITY_COLUMNS = ["year", "code", "name", "county_code", "county_name"]
COUNTY_COLUMNS = ["year", "county_code", "county_name"]


class KlassClient:
    """Read KLASS code lists and changes as JSON, through the same cache and modes as StatBank.

    ``mode="live"`` asks KLASS (with retries) and stores each answer in ``cache``;
    ``mode="cache"`` answers only from the cache and raises ``LookupError`` for a request that
    was never fetched live. Every call passes the process's rate limiter for its server, the same
    one StatBank's calls pass (:func:`pipelines.ssb.ratelimit.limiter_for`): KLASS is on
    ``data.ssb.no`` too, and SSB's limit is per IP address, whichever API is asked.
    """

    def __init__(
        self,
        base_url: str,
        cache: ResponseCache,
        mode: Literal["live", "cache"],
        timeout: float = 30,
        retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if mode not in ("live", "cache"):
            raise ValueError(f"mode must be 'live' or 'cache', not {mode!r}")
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.mode = mode
        self.timeout = timeout
        self.retries = retries
        self._sleep = sleep

    def codes_at(self, classification: int, date: str) -> pd.DataFrame:
        """Codes valid on ``date`` (``YYYY-MM-DD``): columns code, name, parent_code, level.

        The catch-all "Uoppgitt" (unknown) codes made only of nines — 9999 for municipalities,
        99 for counties — are dropped: they are not places.
        """
        day = _iso_date(date)
        document = self._get(f"classifications/{classification}/codesAt", {"date": day})
        rows = [
            {
                "code": str(item["code"]),
                "name": str(item["name"]),
                "parent_code": None if item.get("parentCode") in (None, "") else str(item["parentCode"]),
                "level": int(item.get("level") or 1),
            }
            for item in document.get("codes", [])
            if str(item["code"]).strip("9") != ""
        ]
        frame = pd.DataFrame(rows, columns=["code", "name", "parent_code", "level"])
        frame["parent_code"] = frame["parent_code"].astype(object)
        return frame.astype({"code": "str", "name": "str", "level": "int64"})

    def changes(self, classification: int, from_date: str, to_date: str) -> pd.DataFrame:
        """Code changes that took effect from ``from_date`` to ``to_date``, **both inclusive**.

        KLASS's ``to`` is exclusive, so the request sends ``to = to_date + 1 day``: asking for
        ``("2024-01-01", "2024-01-01")`` gets the changes of 1 January 2024. Columns: old_code,
        old_name, new_code, new_name, change_occurred (``YYYY-MM-DD``). A missing old code means
        the new code started to exist; a missing new code means the old code ceased to exist;
        old_code == new_code is a rename (or the continuing unit of a merger).
        """
        start = _iso_date(from_date)
        end = (date.fromisoformat(_iso_date(to_date)) + timedelta(days=1)).isoformat()
        document = self._get(f"classifications/{classification}/changes", {"from": start, "to": end})
        rows = [
            {
                "old_code": _text_or_none(item.get("oldCode")),
                "old_name": _text_or_none(item.get("oldName")),
                "new_code": _text_or_none(item.get("newCode")),
                "new_name": _text_or_none(item.get("newName")),
                "change_occurred": str(item.get("changeOccurred")),
            }
            for item in document.get("codeChanges", [])
        ]
        columns = ["old_code", "old_name", "new_code", "new_name", "change_occurred"]
        return pd.DataFrame(rows, columns=columns).astype(object)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/{path}"
        key = self.cache.key("GET", url, params, None)
        if self.mode == "cache":
            cached = self.cache.load(key)
            if cached is None:
                raise LookupError(
                    f"No cached KLASS response for {path} {params} (cache key {key} in {self.cache.root}). "
                    "Run once in live mode to fill the cache."
                )
            return json.loads(cached.raw)
        # KLASS answers XML unless asked for JSON in the Accept header (the .json suffix is deprecated).
        document, raw, status = request_json(
            "GET",
            url,
            params=params,
            headers={"Accept": "application/json"},
            timeout=self.timeout,
            retries=self.retries,
            sleep=self._sleep,
        )
        self.cache.store(key, {"method": "GET", "url": url, "params": params, "body": None}, raw, status)
        return document


# Comparison with data/reference ---------------------------------------------------------------


@dataclass(frozen=True)
class CodeDiff:
    """Differences for one classification in one year; codes sorted."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (code, KLASS name)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (code, reference name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, reference name, KLASS name)

    @property
    def is_empty(self) -> bool:
        """True when nothing was added, removed or renamed."""
        return not (self.added or self.removed or self.renamed)


@dataclass(frozen=True)
class YearDiff:
    """KLASS on 1 January ``year`` against the reference year ``compared_with``.

    ``compared_with`` is ``year`` itself when the reference has that year, else the newest earlier
    reference year, or None when the reference has no earlier year either.
    """

    year: int
    compared_with: int | None
    municipalities: CodeDiff
    counties: CodeDiff

    @property
    def in_reference(self) -> bool:
        """Whether the reference files already have this year."""
        return self.compared_with == self.year

    @property
    def is_empty(self) -> bool:
        """True when the reference has this year and it agrees with KLASS."""
        return self.in_reference and self.municipalities.is_empty and self.counties.is_empty


@dataclass(frozen=True)
class ReferenceDiff:
    """The comparison for every requested year, plus the KLASS code lists it was made from."""

    years: list[YearDiff]
    klass_municipalities: pd.DataFrame  # year, code, name
    klass_counties: pd.DataFrame  # year, county_code, county_name

    @property
    def is_empty(self) -> bool:
        """True when every requested year is in the reference and agrees with KLASS."""
        return all(year.is_empty for year in self.years)

    def report(self) -> str:
        """A readable summary, one line per kind of difference and year.

        Example: ``2026: 3 renamed municipalities: 5006 Steinkjer → Steinkjer - Stïentje; …``.
        """
        span = _span([y.year for y in self.years])
        if self.is_empty:
            return f"KLASS and the reference agree for {span} (municipalities 131, counties 104)."
        lines = [f"KLASS compared with the reference for {span}:"]
        quiet = []
        for year_diff in self.years:
            year = year_diff.year
            if year_diff.is_empty:
                quiet.append(year)
                continue
            if not year_diff.in_reference:
                basis = (
                    f"compared with {year_diff.compared_with}"
                    if year_diff.compared_with is not None
                    else "no earlier year to compare with"
                )
                lines.append(f"{year}: not in the reference yet; {basis}")
            for diff, singular, plural in (
                (year_diff.municipalities, "municipality", "municipalities"),
                (year_diff.counties, "county", "counties"),
            ):
                for kind, items in (
                    ("renamed", diff.renamed),
                    ("added", diff.added),
                    ("removed", diff.removed),
                ):
                    if not items:
                        continue
                    noun = singular if len(items) == 1 else plural
                    shown = "; ".join(
                        f"{item[0]} {item[1]} → {item[2]}" if kind == "renamed" else f"{item[0]} {item[1]}"
                        for item in items
                    )
                    lines.append(f"{year}: {len(items)} {kind} {noun}: {shown}")
            if year_diff.municipalities.is_empty and year_diff.counties.is_empty:
                lines.append(f"{year}: no code or name changes")
        if quiet:
            lines.append(f"No differences: {', '.join(map(str, quiet))}")
        return "\n".join(lines)


def compare_with_reference(client: KlassClient, reference_dir: Path, years: list[int]) -> ReferenceDiff:
    """Compare KLASS codes valid on 1 January of each year with the reference CSVs in ``reference_dir``.

    Municipalities (131) against ``municipalities_by_year.csv`` (year,code,name,county_code,
    county_name); counties (104) against ``counties_by_year.csv`` (year,county_code,county_name).
    """
    reference_dir = Path(reference_dir)
    reference_municipalities = _read_reference(reference_dir / MUNICIPALITIES_FILE, MUNICIPALITY_COLUMNS)
    reference_counties = _read_reference(reference_dir / COUNTIES_FILE, COUNTY_COLUMNS)
    reference_years = sorted(set(reference_municipalities["year"]) | set(reference_counties["year"]))

    municipality_frames, county_frames, year_diffs = [], [], []
    for year in sorted(set(years)):
        municipalities = client.codes_at(MUNICIPALITIES, f"{year}-01-01")[["code", "name"]]
        counties = client.codes_at(COUNTIES, f"{year}-01-01")[["code", "name"]]
        municipality_frames.append(municipalities.assign(year=year)[["year", "code", "name"]])
        county_frames.append(
            counties.rename(columns={"code": "county_code", "name": "county_name"}).assign(year=year)[
                COUNTY_COLUMNS
            ]
        )
        earlier = [y for y in reference_years if y <= year]
        basis = earlier[-1] if earlier else None
        reference_m = reference_municipalities[reference_municipalities["year"] == basis]
        reference_c = reference_counties[reference_counties["year"] == basis]
        year_diffs.append(
            YearDiff(
                year=year,
                compared_with=basis,
                municipalities=_diff(
                    dict(zip(reference_m["code"], reference_m["name"], strict=True)),
                    dict(zip(municipalities["code"], municipalities["name"], strict=True)),
                ),
                counties=_diff(
                    dict(zip(reference_c["county_code"], reference_c["county_name"], strict=True)),
                    dict(zip(counties["code"], counties["name"], strict=True)),
                ),
            )
        )
    return ReferenceDiff(
        years=year_diffs,
        klass_municipalities=_concat(municipality_frames, ["year", "code", "name"]),
        klass_counties=_concat(county_frames, COUNTY_COLUMNS),
    )


def refresh_reference(
    client: KlassClient, reference_dir: Path, years: list[int], write: bool
) -> ReferenceDiff:
    """Compare with KLASS (see :func:`compare_with_reference`); with ``write=True`` rewrite the CSVs.

    Rows of the requested years are replaced by KLASS's codes; other years are kept as they are.
    ``county_code`` is the municipality code's first two digits and ``county_name`` the name of
    that county in KLASS the same year. Files are UTF-8 with ``\\n`` line ends, sorted by year and
    code, and replaced atomically. Raises ``ValueError`` (and writes nothing) if a municipality's
    county is not among that year's counties.
    """
    reference_dir = Path(reference_dir)
    diff = compare_with_reference(client, reference_dir, years)
    if not write:
        return diff
    requested = {year_diff.year for year_diff in diff.years}

    counties = diff.klass_counties.copy()
    municipalities = diff.klass_municipalities.copy()
    municipalities["county_code"] = municipalities["code"].str[:2]
    county_names = {(int(y), c): n for y, c, n in counties[COUNTY_COLUMNS].itertuples(index=False)}
    municipalities["county_name"] = [
        county_names.get((int(y), c))
        for y, c in zip(municipalities["year"], municipalities["county_code"], strict=True)
    ]
    orphans = municipalities[municipalities["county_name"].isna()]
    if not orphans.empty:
        listed = ", ".join(
            f"{y}: {c} {n}" for y, c, n in orphans[["year", "code", "name"]].itertuples(index=False)
        )
        raise ValueError(f"KLASS municipalities whose county is not among that year's counties: {listed}")

    old_municipalities = _read_reference(reference_dir / MUNICIPALITIES_FILE, MUNICIPALITY_COLUMNS)
    old_counties = _read_reference(reference_dir / COUNTIES_FILE, COUNTY_COLUMNS)
    new_municipalities = pd.concat(
        [
            old_municipalities[~old_municipalities["year"].isin(requested)],
            municipalities[MUNICIPALITY_COLUMNS],
        ],
        ignore_index=True,
    ).sort_values(["year", "code"], kind="stable")
    new_counties = pd.concat(
        [old_counties[~old_counties["year"].isin(requested)], counties[COUNTY_COLUMNS]], ignore_index=True
    ).sort_values(["year", "county_code"], kind="stable")
    _write_csv_atomic(reference_dir / MUNICIPALITIES_FILE, new_municipalities)
    _write_csv_atomic(reference_dir / COUNTIES_FILE, new_counties)
    log.info("Rewrote %s and %s for %s", MUNICIPALITIES_FILE, COUNTIES_FILE, _span(sorted(requested)))
    return diff


def _diff(reference: dict[str, str], klass: dict[str, str]) -> CodeDiff:
    return CodeDiff(
        added=[(code, klass[code]) for code in sorted(set(klass) - set(reference))],
        removed=[(code, reference[code]) for code in sorted(set(reference) - set(klass))],
        renamed=[
            (code, reference[code], klass[code])
            for code in sorted(set(reference) & set(klass))
            if reference[code] != klass[code]
        ],
    )


def _read_reference(path: Path, columns: list[str]) -> pd.DataFrame:
    """A reference CSV with every column as text except ``year`` (int); empty if the file is absent."""
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "year" else "str") for c in columns})
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {columns}")
    frame = frame[columns].copy()
    frame["year"] = frame["year"].astype("int64")
    return frame


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def _write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as UTF-8 CSV with ``\\n`` line ends, replacing ``path`` atomically."""
    write_bytes_atomic(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _iso_date(value: str | date) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ValueError(f"KLASS dates are YYYY-MM-DD; got {value!r}") from exc


def _text_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _span(years: Sequence[int]) -> str:
    if not years:
        return "no years"
    ordered = sorted(years)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return str(ordered[0]) if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"
    return ", ".join(map(str, ordered))


# Command line ------------------------------------------------------------------------------------


def parse_years(text: str) -> list[int]:
    """``"2014-2025"``, ``"2024"`` or ``"2014,2016,2020-2022"`` → sorted list of years."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if match := re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})", part):
            first, last = int(match.group(1)), int(match.group(2))
            if first > last:
                raise ValueError(f"year range {part!r} runs backwards")
            years.update(range(first, last + 1))
        elif re.fullmatch(r"\d{4}", part):
            years.add(int(part))
        else:
            raise ValueError(f"not a year or year range: {part!r} (use e.g. 2014-2025 or 2014,2016)")
    return sorted(years)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: compare (and with ``--write`` refresh) the reference; print the report."""
    from pipelines.paths import REFERENCE_DIR, output_dir

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.ssb.klass",
        description="Compare data/reference municipality and county lists with KLASS (131, 104).",
    )
    parser.add_argument("--years", required=True, help="years to check, e.g. 2014-2025 or 2014,2020-2024")
    parser.add_argument("--write", action="store_true", help="rewrite the two reference CSVs from KLASS")
    parser.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help=f"KLASS root (default {DEFAULT_BASE_URL})"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="response cache folder (default <output>/cache/ssb)"
    )
    parser.add_argument(
        "--mode", choices=["live", "cache"], default="live", help="live (default) or cache only"
    )
    parser.add_argument(
        "--reference-dir", type=Path, default=REFERENCE_DIR, help="folder with the reference CSVs"
    )
    args = parser.parse_args(argv)
    try:
        years = parse_years(args.years)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache = ResponseCache(args.cache if args.cache is not None else output_dir() / "cache" / "ssb")
    client = KlassClient(args.base_url, cache, args.mode)
    diff = refresh_reference(client, args.reference_dir, years, write=args.write)
    print(diff.report())
    if args.write:
        print(f"Rewrote {args.reference_dir / MUNICIPALITIES_FILE} and {args.reference_dir / COUNTIES_FILE}.")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
