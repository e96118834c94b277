"""Municipality names to municipality codes, for sources that give names and not numbers.

IMDi's settlement tables (and many spreadsheets) name municipalities instead of numbering them.
Names are awkward keys: they change with mergers and reforms, several are ambiguous without the
county (Herøy, Våler, and before 2020 Nes, Sande, Bø and Os), and they come in Sámi, Kven or
bilingual forms (``Kárášjohka - Karasjok``). This module matches such names to the codes valid on
1 January of a given year, using Statistics Norway's names in ``data/reference/``.

>>> from pipelines.geography import match_municipalities, municipality_code
>>> municipality_code("Karasjok", 2022)
'5437'
>>> municipality_code("Herøy", 2024, county="Nordland fylke")
'1818'
>>> match_municipalities(["Herøy"], 2024)[["status", "candidates"]].to_dict("records")
[{'status': 'ambiguous', 'candidates': ['1515 Herøy (Møre og Romsdal)', '1818 Herøy (Nordland)']}]

How names are compared
----------------------
Both the given name and SSB's names are normalised before they are compared:

* case and surrounding or repeated whitespace are ignored;
* dashes (``-``, ``–``, ``—`` and similar) are one hyphen, with or without spaces around it, so
  ``Aurskog - Høland`` is ``Aurskog-Høland``;
* a trailing «kommune» / «kommune.» (and for counties «fylke» / «fylkeskommune») is dropped;
* a bilingual or trilingual name matches as a whole and by each of its parts, so ``Karasjok``,
  ``Kárášjohka`` and ``Kárášjohka - Karasjok`` are all the same municipality;
* SSB's disambiguating suffix is optional: ``Herøy`` matches both ``Herøy (Møre og Romsdal)`` and
  ``Herøy (Nordland)`` (ambiguous unless the county is given); ``Herøy (Nordland)`` matches one.

**Folding rule.** When the exact (normalised) spelling is not found, accents are folded to
ASCII: ``Kárášjohka`` → ``karasjohka``, ``Unjárga`` → ``unjarga``, and the Sámi letters đ, ŋ, ŧ
become d, n, t. The Norwegian letters **æ, ø and å are never folded**: they are separate letters,
and folding them would create false matches between real municipalities (``Hå`` is not ``Ha``,
``Bø`` is not ``Bo``, ``Bærum`` is not ``Barum``). Technically: Unicode NFD decomposition, then
every combining mark is dropped except the ring above (U+030A) that makes å; æ and ø have no
decomposition and stay as they are. A consequence: South Sámi forms written without å
(``Snaase`` for ``Snåase``) are not matched.

What is not done here
---------------------
A name that is not a municipality in ``year`` is never silently mapped to another code: a 2019
name in a 2022 file (``Finnøy``) is reported as ``unknown`` with its former code and, where SSB
records it, its successor as a candidate. Moving data from old codes to new borders is the job of
:func:`pipelines.geography.harmonise`, which should run after the codes are known.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from pipelines.geography.reference import read_reference_csv

__all__ = ["county_codes", "match_municipalities", "municipality_code", "normalise_name", "fold_name"]

_DASHES = "-‐‑‒–—―−"  # hyphen-minus, hyphen, non-breaking hyphen, figure dash, en, em, bar, minus
_DASH_RE = re.compile(rf"\s*[{_DASHES}]\s*")
_SPACED_DASH_RE = re.compile(rf"\s+[{_DASHES}]\s+|\s*[{_DASHES[1:]}]\s*")
_MUNICIPALITY_SUFFIX_RE = re.compile(r"\s+kommune\.?$")
_COUNTY_SUFFIX_RE = re.compile(r"\s+(?:fylkeskommune|fylke|county)\.?$")
_PAREN_RE = re.compile(r"\s*\(\s*([^)]*?)\s*\)")
_SUFFIX_PAREN_RE = re.compile(r"\s*\([^)]*\)\s*$")
_RING_ABOVE = "\u030a"  # keeps å (a + ring) an å when folding
_EXTRA_FOLDS = str.maketrans({"đ": "d", "ŋ": "n", "ŧ": "t"})

MATCHED, AMBIGUOUS, UNKNOWN = "matched", "ambiguous", "unknown"
_NEAREST = 5


def normalise_name(name: str, *, suffix: re.Pattern[str] = _MUNICIPALITY_SUFFIX_RE) -> str:
    """The comparison form of a name: lower case, single spaces, one unspaced hyphen for any dash,
    «(…)» with one space before it, and no trailing «kommune». Letters are kept as they are."""
    text = unicodedata.normalize("NFC", str(name)).lower()
    text = re.sub(r"\s+", " ", text).strip()
    text = _DASH_RE.sub("-", text)
    text = _PAREN_RE.sub(r" (\1)", text).strip()
    text = suffix.sub("", text).strip()
    return text


def fold_name(normalised: str) -> str:
    """ASCII-fold accents (á→a, š→s, č→c, đ→d, ŋ→n, ŧ→t …) but keep æ, ø and å (see the module's
    folding rule)."""
    decomposed = unicodedata.normalize("NFD", normalised.translate(_EXTRA_FOLDS))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or ch == _RING_ABOVE)
    return unicodedata.normalize("NFC", kept)


def _split_parts(official: str) -> list[str]:
    """The language parts of an official name: SSB separates them with « - » (spaced hyphen)."""
    return [part for part in _SPACED_DASH_RE.split(str(official).strip()) if part.strip()]


def _keys(official: str, suffix: re.Pattern[str] = _MUNICIPALITY_SUFFIX_RE) -> tuple[set[str], set[str]]:
    """(whole-name keys, secondary keys) for an official name; secondary keys are the name without
    SSB's «(county)» suffix and each language part."""
    whole = {normalise_name(official, suffix=suffix)}
    base = _SUFFIX_PAREN_RE.sub("", official)
    secondary = {normalise_name(base, suffix=suffix)}
    secondary.update(normalise_name(part, suffix=suffix) for part in _split_parts(base))
    return whole, secondary - whole


@dataclass
class _Index:
    """Name keys to codes, in four tiers: exact whole name, exact part, folded whole, folded part."""

    tiers: tuple[dict[str, set[str]], ...] = field(
        default_factory=lambda: tuple(defaultdict(set) for _ in range(4))
    )

    def add(self, official: str, code: str, suffix: re.Pattern[str] = _MUNICIPALITY_SUFFIX_RE) -> None:
        whole, secondary = _keys(official, suffix)
        for tier, keys in enumerate((whole, secondary)):
            for key in keys:
                self.tiers[tier][key].add(code)
                self.tiers[tier + 2][fold_name(key)].add(code)

    def lookup(self, name: str, suffix: re.Pattern[str] = _MUNICIPALITY_SUFFIX_RE) -> set[str]:
        """Codes for ``name``: the first tier with a hit; failing that, a name written in several
        parts (« - ») whose recognised parts all agree."""
        key = normalise_name(name, suffix=suffix)
        hits = self._lookup_key(key)
        if hits:
            return hits
        parts = [normalise_name(part, suffix=suffix) for part in _split_parts(name)]
        if len(parts) > 1:
            found = [self._lookup_key(part) for part in parts]
            found = [codes for codes in found if codes]
            if found:
                return set.intersection(*found)
        return set()

    def lookup_any(self, name: str) -> set[str]:
        """Every code whose whole name or part matches ``name`` exactly (else folded), e.g. both
        ``Sande`` and ``Sande (Vestfold)`` for «Sande»."""
        key = normalise_name(name)
        if not key:
            return set()
        exact = self.tiers[0].get(key, set()) | self.tiers[1].get(key, set())
        if exact:
            return set(exact)
        folded = fold_name(key)
        return set(self.tiers[2].get(folded, set()) | self.tiers[3].get(folded, set()))

    def _lookup_key(self, key: str) -> set[str]:
        if not key:
            return set()
        folded = fold_name(key)
        for tier, probe in zip(self.tiers, (key, key, folded, folded), strict=True):
            if probe in tier:
                return set(tier[probe])
        return set()

    def nearest(self, name: str, n: int = _NEAREST) -> list[str]:
        """Codes of the names closest to ``name`` (difflib on folded keys), best first."""
        probe = fold_name(normalise_name(name))
        keys = list(self.tiers[2]) + list(self.tiers[3])
        codes: list[str] = []
        for key in difflib.get_close_matches(probe, keys, n=n * 2, cutoff=0.6):
            for code in sorted(self.tiers[2].get(key, set()) | self.tiers[3].get(key, set())):
                if code not in codes:
                    codes.append(code)
        return codes[:n]


@dataclass(frozen=True)
class _Year:
    year: int
    index: _Index
    names: dict[str, str]  # code -> official name
    county_of: dict[str, str]  # code -> county code
    county_names: dict[str, str]  # county code -> county name (this year)


@lru_cache(maxsize=1)
def _reference() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    municipalities = read_reference_csv("municipalities_by_year.csv")
    municipalities = municipalities[municipalities["year"].str.fullmatch(r"\d{4}")].copy()
    municipalities["year"] = municipalities["year"].astype(int)
    counties = read_reference_csv("counties_by_year.csv")
    counties["year"] = counties["year"].astype(int)
    changes = read_reference_csv("municipality_changes.csv")
    return municipalities, counties, changes


def _years() -> list[int]:
    return sorted(_reference()[0]["year"].unique().tolist())


@lru_cache(maxsize=32)
def _year(year: int) -> _Year:
    municipalities, counties, _ = _reference()
    rows = municipalities[municipalities["year"] == year]
    if rows.empty:
        years = _years()
        raise ValueError(
            f"year {year}: no municipality names for that year in data/reference/"
            f"municipalities_by_year.csv (it has {years[0]}–{years[-1]})"
        )
    index = _Index()
    for code, name in zip(rows["code"], rows["name"], strict=True):
        index.add(name, code)
    county_rows = counties[counties["year"] == year]
    county_names = dict(zip(county_rows["county_code"], county_rows["county_name"], strict=True))
    county_names.update(
        {c: n for c, n in zip(rows["county_code"], rows["county_name"], strict=True) if c not in county_names}
    )
    return _Year(
        year=year,
        index=index,
        names=dict(zip(rows["code"], rows["name"], strict=True)),
        county_of=dict(zip(rows["code"], rows["county_code"], strict=True)),
        county_names=county_names,
    )


@dataclass(frozen=True)
class _History:
    index: _Index  # any year's name -> (code, name) keys "code|name"
    spans: dict[str, tuple[str, str, str, int, int]]  # "code|name" -> (code, name, county, first, last)
    successors: dict[str, list[str]]  # code -> codes it became
    predecessors: dict[str, list[str]]  # code -> codes it came from
    counties: _Index  # any year's county name -> county codes
    county_spans: dict[str, tuple[int, int, str]]  # county code -> (first, last, latest name)
    counties_of: dict[str, set[str]]  # municipality code -> every county it lay in (any year)


@lru_cache(maxsize=1)
def _history() -> _History:
    municipalities, counties, changes = _reference()
    index = _Index()
    spans: dict[str, tuple[str, str, str, int, int]] = {}
    grouped = municipalities.groupby(["code", "name"], sort=False)
    for (code, name), rows in grouped:
        key = f"{code}|{name}"
        index.add(name, key)
        spans[key] = (
            code,
            name,
            rows["county_name"].iloc[-1],
            int(rows["year"].min()),
            int(rows["year"].max()),
        )
    successors: dict[str, list[str]] = defaultdict(list)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for old, new in zip(changes["from_code"], changes["to_code"], strict=True):
        if old != new:
            successors[old].append(new)
            predecessors[new].append(old)
    county_index = _Index()
    county_spans: dict[str, tuple[int, int, str]] = {}
    for code, rows in counties.groupby("county_code"):
        for name in rows["county_name"].unique():
            county_index.add(name, code, _COUNTY_SUFFIX_RE)
        county_spans[code] = (int(rows["year"].min()), int(rows["year"].max()), rows["county_name"].iloc[-1])
    for code, name in zip(municipalities["county_code"], municipalities["county_name"], strict=True):
        county_index.add(name, code, _COUNTY_SUFFIX_RE)
    counties_of: dict[str, set[str]] = defaultdict(set)
    for code, county in zip(municipalities["code"], municipalities["county_code"], strict=True):
        counties_of[code].add(county)
    return _History(
        index, spans, dict(successors), dict(predecessors), county_index, county_spans, dict(counties_of)
    )


def _lay_in(code: str, county_codes: set[str]) -> bool:
    """Whether municipality ``code`` or one it came from lay in one of ``county_codes`` in some
    year: how a former county's name (Hedmark, 04, until 2019) still places Våler in 2022."""
    history = _history()
    seen: set[str] = set()
    frontier = [code]
    while frontier:
        current = frontier.pop()
        if current in seen:
            continue
        seen.add(current)
        if history.counties_of.get(current, set()) & county_codes:
            return True
        frontier.extend(history.predecessors.get(current, []))
    return False


def _resolve_county(county: str) -> set[str]:
    """County codes (any year) that ``county`` can mean: a code (``"15"``, ``"5"``) or a name in
    any year's form, with the same tolerance as municipality names."""
    text = str(county).strip()
    if text.isdigit() and len(text) <= 2:
        code = text.zfill(2)
        return {code} if code in _history().county_spans else set()
    return _history().counties.lookup(text, _COUNTY_SUFFIX_RE)


def county_codes(county: str) -> set[str]:
    """County codes (any year, 2014 on) that a county code or name can mean; empty when it is
    neither (e.g. a sheet title that is not a county)."""
    return _resolve_county(county)


def _describe(code: str, ref: _Year) -> str:
    """«code name (county name)», without repeating a county SSB already put in the name."""
    name = ref.names[code]
    county = _split_parts(ref.county_names.get(ref.county_of[code], ""))
    county_first = county[0] if county else ""
    if not county_first or name.endswith(f"({county_first})"):
        return f"{code} {name}"
    return f"{code} {name} ({county_first})"


def _trace(code: str, links: dict[str, list[str]], ref: _Year) -> list[str]:
    """Follow successors (or predecessors) from ``code`` until codes valid in ``ref.year``."""
    found: list[str] = []
    seen = {code}
    frontier = list(links.get(code, []))
    while frontier:
        nxt = frontier.pop(0)
        if nxt in seen:
            continue
        seen.add(nxt)
        if nxt in ref.names:
            if nxt not in found:
                found.append(nxt)
        else:
            frontier.extend(links.get(nxt, []))
    return found


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _match_one(name: object, county: object, ref: _Year) -> dict[str, object]:
    row: dict[str, object] = {
        "name": name,
        "county": county,
        "code": None,
        "matched_name": None,
        "status": UNKNOWN,
        "candidates": [],
        "reason": "",
    }
    if _is_missing(name):
        row["reason"] = "empty name / tomt navn"
        return row
    text = str(name)
    codes = ref.index.lookup(text)
    if not codes:
        return _not_this_year(row, text, ref)
    note = _also_former(text, codes, ref)
    if not _is_missing(county):
        county_codes = _resolve_county(str(county))
        if not county_codes:
            row["candidates"] = [_describe(c, ref) for c in sorted(codes)]
            row["reason"] = f"county '{county}' not recognised (not a county code or name in any year 2014–)"
            return row
        in_county = {c for c in codes if ref.county_of[c] in county_codes}
        former_county = not county_codes & set(ref.county_names)
        if not in_county and former_county:
            # a county that no longer exists in the file's year: the municipality that lay in it
            in_county = {c for c in codes if _lay_in(c, county_codes)}
            if len(in_county) == 1:
                spans = _history().county_spans
                names = ", ".join(
                    f"{spans[c][2]} ({spans[c][0]}–{spans[c][1]})" for c in sorted(county_codes)
                )
                note += f"; note: county '{county}' is a former county ({names}), placed by history"
            else:
                in_county = set()
        if not in_county:
            row["candidates"] = [_describe(c, ref) for c in sorted(codes)]
            valid = sorted(county_codes & set(ref.county_names))
            if valid:
                counties_text = ", ".join(f"{c} {ref.county_names[c]}" for c in valid)
                row["reason"] = f"no municipality '{text}' in county {counties_text} in {ref.year}"
            else:
                spans = _history().county_spans
                former = ", ".join(
                    f"{c} {spans[c][2]} ({spans[c][0]}–{spans[c][1]})" for c in sorted(county_codes)
                )
                row["reason"] = f"county '{county}' is not a county in {ref.year} (it is {former})"
            return row
        codes = in_county
    if len(codes) > 1:
        row["status"] = AMBIGUOUS
        row["candidates"] = [_describe(c, ref) for c in sorted(codes)]
        row["reason"] = (
            f"'{text}' is {len(codes)} municipalities in {ref.year}; give the county to choose"
            + ("" if _is_missing(county) else f" (county '{county}' does not decide)")
        )
        return row
    (code,) = codes
    row.update(code=code, matched_name=ref.names[code], status=MATCHED)
    row["reason"] = f"matched {_describe(code, ref)} in {ref.year}" + note
    return row


def _also_former(text: str, codes: set[str], ref: _Year) -> str:
    """A note when the name was also another municipality in another year that is not just a
    renumbering of this year's (Sande in Vestfold, until 2019, for a 2022 «Sande»)."""
    history = _history()
    others = []
    for key in sorted(history.index.lookup_any(text)):
        code, official, county_name, first, last = history.spans[key]
        if code in ref.names:
            continue
        links = history.successors if last < ref.year else history.predecessors
        if not set(_trace(code, links, ref)) & codes:
            others.append(f"{code} {official} ({first}–{last})")
    return f"; note: the name was also {', '.join(others)}" if others else ""


def _not_this_year(row: dict[str, object], text: str, ref: _Year) -> dict[str, object]:
    history = _history()
    keys = sorted(history.index.lookup_any(text), key=lambda k: history.spans[k][4])
    if keys:
        were, candidates = [], []
        for key in keys:
            code, official, county_name, first, last = history.spans[key]
            if last < ref.year:
                were.append(f"was {code} {official} until {last}")
                links = _trace(code, history.successors, ref)
            else:
                were.append(f"is {code} {official} from {first}")
                links = _trace(code, history.predecessors, ref)
            if code in ref.names:  # same code, another name this year (a rename)
                links = [code, *links]
            candidates.extend(_describe(c, ref) for c in links if _describe(c, ref) not in candidates)
        row["candidates"] = candidates
        row["reason"] = f"'{text}' is not a municipality in {ref.year}; " + "; ".join(were)
        return row
    row["candidates"] = [_describe(c, ref) for c in ref.index.nearest(text)]
    row["reason"] = f"no municipality named '{text}' in {ref.year} (nor in any year 2014–)" + (
        "; nearest names are the candidates" if row["candidates"] else ""
    )
    return row


def match_municipalities(
    names: Sequence[str], year: int, counties: Sequence[str | None] | None = None
) -> pd.DataFrame:
    """Match municipality names to the codes valid on 1 January of ``year``.

    Parameters
    ----------
    names:
        Municipality names as written in the source (any case, «kommune» suffix, Sámi, Kven or
        bilingual forms, any dash).
    year:
        The year whose municipalities the names refer to (2014 onwards).
    counties:
        Optional, one per name (``None`` where unknown): a county code (``"15"``) or a county name
        in any year's form (``"Møre og Romsdal"``, ``"Viken"``, ``"Nordland fylke"``,
        ``"Troms og Finnmark - Romsa ja Finnmárku"``). It decides between municipalities with the
        same name; a name that is not in that county that year is ``unknown``.

    Returns
    -------
    One row per name, in order: ``name``, ``county`` (as given), ``code`` (text, or ``None``),
    ``matched_name`` (SSB's name that year), ``status`` (``matched`` / ``ambiguous`` /
    ``unknown``), ``candidates`` (list of «code name (county)» for ambiguous or unknown names: the
    homonyms, the successor of a former municipality, or the nearest names) and ``reason``.
    """
    names = list(names)
    if counties is None:
        county_list: list[object] = [None] * len(names)
    else:
        county_list = list(counties)
        if len(county_list) != len(names):
            raise ValueError(
                f"counties has {len(county_list)} values but names has {len(names)}; give one per name"
            )
    ref = _year(int(year))
    rows = [_match_one(name, county, ref) for name, county in zip(names, county_list, strict=True)]
    columns = ["name", "county", "code", "matched_name", "status", "candidates", "reason"]
    return pd.DataFrame({c: pd.Series([row[c] for row in rows], dtype=object) for c in columns})


def municipality_code(name: str, year: int, county: str | None = None) -> str:
    """The code of one municipality name in ``year``; ``ValueError`` (with the candidates) when the
    name is unknown or ambiguous."""
    row = match_municipalities([name], year, None if county is None else [county]).iloc[0]
    if row["status"] != MATCHED:
        where = "" if county is None else f" (county '{county}')"
        candidates = "; ".join(row["candidates"]) or "none"
        raise ValueError(
            f"'{name}'{where} in {year}: {row['status']} — {row['reason']}. Candidates: {candidates}"
        )
    return str(row["code"])
