"""Check a StatBank definition in ``assets/statbank.yaml`` against StatBank's own metadata.

:func:`check_table` asks the table's basic information (``GET /tables/{id}``) and its JSON-stat2
metadata (``GET /tables/{id}/metadata``) through a :class:`~pipelines.ssb.statbank.StatbankClient`
(live or from its cache) and reports, as :class:`Problem` objects, everything that would make a
live run fail or read the wrong figures:

* ``table_unknown``: ``table_id: null`` — with search hits for the definition's ``search`` words;
* ``table_missing``: the table does not exist (404) — with search hits;
* ``discontinued``: StatBank says the table is no longer updated (unless ``last_year`` is set);
* ``periods``: the table's periods, or the definition's time selection, leave out a year asked for;
* ``variable_missing``: a selected, region or time variable the table does not have;
* ``variable_not_selected``: a variable StatBank cannot eliminate is not in the selection;
* ``value_missing``: a value code (or the code in ``from(x)``, ``to(x)``, ``range(x,y)``) the
  variable does not have, or an expression that selects nothing — with the nearest codes by label;
* ``codelist_missing``: a ``codelist`` the variable does not offer — with the ones it offers;
* ``content_missing``: a ContentsCode the table does not have — with the nearest by label;
* ``label_none`` / ``label_ambiguous``: an unknown code (``code: null``) whose ``label_words``
  match no label, or several — with the candidates;
* ``unit`` / ``decimals``: StatBank declares another unit or number of decimals;
* ``where_value``: a ``where`` value the variable does not have, or that is not selected;
* ``not_cached`` / ``request_failed`` / ``invalid_answer`` / ``not_checked``: the metadata could not
  be read (cache mode without a cached answer, a 400/403, an answer of the wrong shape, no client).

Notes, not problems: a code found by its label (with its unit), a discontinued table the definition
ends with ``last_year``, and for a KOSTRA table whose ``updated`` is before 15 June after its last
year, that that year's figures are preliminary.

A network failure that retries could not overcome (timeouts, 429, 5xx) is not a problem of the
definition: it is raised as :class:`~pipelines.ssb.http.HttpError` for the caller to report.
Nothing here imports Dagster.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines.catalogue.models import StatbankContent, StatbankTable
from pipelines.ssb.http import HttpError
from pipelines.ssb.jsonstat import dimension_codes
from pipelines.ssb.statbank import StatbankClient, resolve_selection

MAX_CANDIDATES = 5
MAX_TABLE_CANDIDATES = 8
CODE_CHECKED_CANDIDATES = 3  # search hits whose metadata is read to see which declared codes they hold
_EXPRESSION_CODES = re.compile(r"(?i)^(?:from|to|range)\((.*)\)$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition. ``kind`` is one of the names in the module docstring."""

    table_id: str | None
    variable: str | None
    code: str | None
    message: str
    candidates: list[str] = field(default_factory=list)
    kind: str = ""

    def __str__(self) -> str:
        where = [f"table {self.table_id}" if self.table_id else "table (number unknown)"]
        if self.variable:
            where.append(f"variable {self.variable}")
        if self.code:
            where.append(f"code {self.code}")
        text = f"{', '.join(where)}: {self.message}"
        text = text[0].upper() + text[1:]
        if self.candidates:
            text += f"; candidates: {'; '.join(self.candidates)}"
        return text.rstrip(".") + "."


@dataclass(frozen=True)
class TableCheck:
    """The outcome of :func:`check_table` for one definition.

    ``codes``: column → ContentsCode, declared in the YAML or found by label (``found_by_label``
    holds the labels of those found). ``info``: ``label``, ``updated``, ``firstPeriod``,
    ``lastPeriod``, ``discontinued`` and ``variables`` (code → label) from StatBank, when read.
    ``notes``: things worth knowing that are not problems (a code found by label, its unit).
    """

    definition_id: str
    table_id: str | None
    ok: bool
    problems: list[Problem]
    codes: dict[str, str]
    info: dict[str, Any]
    found_by_label: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (problems as dicts with ``kind``, ``message`` and ``candidates``)."""
        data = asdict(self)
        data["problems"] = [{**asdict(p), "text": str(p)} for p in self.problems]
        return data


def check_table(
    client: StatbankClient | None, table: StatbankTable, years: Iterable[int], *, lang: str = "no"
) -> TableCheck:
    """Check one definition against StatBank's metadata (see the module docstring for what is checked).

    ``years`` are the reporting years asked for; only those within the definition's
    ``first_year``/``last_year`` must be covered. ``client`` may be None: then only a
    definition without a table number can be reported (without search candidates).
    """
    return _Checker(client, table, sorted(set(years)), lang).run()


class _Checker:
    def __init__(self, client: StatbankClient | None, table: StatbankTable, years: list[int], lang: str):
        self.client = client
        self.table = table
        self.years = years
        self.lang = lang
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.codes = {c.column: c.code for c in table.contents if c.code is not None}
        self.found_by_label: dict[str, str] = {}
        self.info: dict[str, Any] = {}

    def problem(
        self,
        kind: str,
        message: str,
        *,
        variable: str | None = None,
        code: str | None = None,
        candidates: list[str] | None = None,
    ) -> None:
        self.problems.append(
            Problem(self.table.table_id, variable, code, message, list(candidates or []), kind)
        )

    def result(self) -> TableCheck:
        return TableCheck(
            definition_id=self.table.id,
            table_id=self.table.table_id,
            ok=not self.problems,
            problems=self.problems,
            codes=self.codes,
            info=self.info,
            found_by_label=self.found_by_label,
            notes=self.notes,
        )

    # Steps -----------------------------------------------------------------------------------

    def run(self) -> TableCheck:
        table = self.table
        if table.table_id is None:
            candidates, note = self.table_candidates()
            self.problem(
                "table_unknown", f"table number unknown (table_id: null){note}", candidates=candidates
            )
            return self.result()
        if self.client is None:
            self.problem("not_checked", "not checked against StatBank: no client given")
            return self.result()
        info = self.fetch(lambda: self.client.table_info(table.table_id, self.lang), "table information")
        if info is None:
            return self.result()
        metadata = self.fetch(lambda: self.client.metadata(table.table_id, self.lang), "metadata")
        self.info = _info(info, metadata or {})
        if info.get("discontinued"):
            if table.last_year is None:
                candidates, note = self.table_candidates()
                self.problem(
                    "discontinued",
                    "StatBank marks the table as discontinued (no longer updated): set last_year if "
                    f"that is meant, or take its successor{note}",
                    candidates=candidates,
                )
            else:
                self.notes.append(f"discontinued; the definition stops at {table.last_year} (last_year)")
        if table.kostra:
            self.note_preliminary()
        if metadata is None:
            return self.result()
        try:
            codes = dimension_codes(metadata)
        except ValueError as exc:
            self.problem("invalid_answer", f"the metadata is not a JSON-stat2 dataset: {exc}")
            return self.result()
        meta = _Metadata(metadata, codes)
        self.check_variables(meta)
        self.check_periods(meta)
        self.check_contents(meta)
        return self.result()

    def note_preliminary(self) -> None:
        """KOSTRA publishes preliminary figures 15 March and final ones 15 June of the next year."""
        updated, last = str(self.info.get("updated") or ""), str(self.info.get("lastPeriod") or "")
        if len(updated) >= 10 and last[:4].isdigit() and updated[:10] < f"{int(last[:4]) + 1}-06-15":
            self.notes.append(
                f"KOSTRA: the figures for {last[:4]} are preliminary (updated {updated[:10]}, before "
                f"15 June {int(last[:4]) + 1})"
            )

    def fetch(self, call, what: str) -> dict[str, Any] | None:
        """``call()``, or None with a problem when it fails for a reason that is the table's own."""
        try:
            return call()
        except HttpError as exc:
            if exc.status == 404:
                candidates, note = self.table_candidates()
                self.problem(
                    "table_missing",
                    f"StatBank has no table {self.table.table_id} (404 for its {what}){note}",
                    candidates=candidates,
                )
                return None
            if exc.transient or exc.status is None:
                raise
            self.problem("request_failed", f"could not read the {what}: {_one_line(str(exc))}")
        except LookupError as exc:
            self.problem("not_cached", f"no cached answer for the {what}: {_one_line(str(exc))}")
        except ValueError as exc:
            self.problem(
                "invalid_answer", f"the {what} is not what StatBank should send: {_one_line(str(exc))}"
            )
        return None

    def table_candidates(self) -> tuple[list[str], str]:
        """Search hits for the definition's ``search`` words (else its title), best first, and a
        note on the search for the message (what was searched, failures, no hits).

        The first :data:`CODE_CHECKED_CANDIDATES` hits say which of the definition's declared
        ContentsCodes they hold, from their metadata.
        """
        if self.client is None:
            return [], " (not searched: no client)"
        queries = [q for q in (list(self.table.search) or [_title_query(self.table.title_nb)]) if q.strip()]
        hits: dict[str, tuple[dict[str, Any], int]] = {}
        failures: list[str] = []
        for query in queries:
            try:
                found = self.client.search(query, lang=self.lang)
            except HttpError as exc:
                if exc.transient or exc.status is None:
                    raise
                failures.append(f"«{query}»: {_one_line(str(exc))}")
                continue
            except (LookupError, ValueError) as exc:
                failures.append(f"«{query}»: {_one_line(str(exc))}")
                continue
            for hit in found:
                if hit["id"] == self.table.table_id:
                    continue
                previous = hits.get(hit["id"])
                hits[hit["id"]] = (hit, (previous[1] if previous else 0) + 1)
        order = [hit for hit, _ in sorted(hits.values(), key=lambda pair: -pair[1])]  # stable on ties
        candidates = [
            describe_table(hit) + (self.codes_held(hit["id"]) if rank < CODE_CHECKED_CANDIDATES else "")
            for rank, hit in enumerate(order[:MAX_TABLE_CANDIDATES])
        ]
        note = "; searched StatBank for " + (", ".join(f"«{q}»" for q in queries) or "nothing")
        if failures:
            note += f" (search failed: {'; '.join(failures)})"
        elif not hits:
            note += ": no other table found"
        return candidates, note

    def codes_held(self, table_id: str) -> str:
        """``"; has 2 of 3 codes: A, B"`` for a candidate table, or "" when it cannot be read."""
        declared = list(dict.fromkeys(c.code for c in self.table.contents if c.code is not None))
        if not declared or self.client is None:
            return ""
        try:
            metadata = self.client.metadata(table_id, self.lang)
            meta = _Metadata(metadata, dimension_codes(metadata))
        except HttpError as exc:
            if exc.transient or exc.status is None:
                raise
            return ""
        except (LookupError, ValueError):
            return ""
        held = [c for c in declared if meta.metric is not None and c in meta.codes[meta.metric]]
        if not held:
            return f"; has none of the {len(declared)} declared codes"
        return f"; has {len(held)} of {len(declared)} declared codes: {', '.join(held)}"

    def check_variables(self, meta: _Metadata) -> None:
        table = self.table
        for role, variable in (("region", table.region_variable), ("time", table.time_variable)):
            if variable not in meta.codes:
                self.problem(
                    "variable_missing",
                    f"the table has no {role} variable {variable}",
                    variable=variable,
                    candidates=meta.closest_variables(variable),
                )
        for variable, values in table.selection.items():
            if variable not in meta.codes:
                if variable not in (table.region_variable, table.time_variable):
                    self.problem(
                        "variable_missing",
                        "the table has no such variable",
                        variable=variable,
                        candidates=meta.closest_variables(variable),
                    )
                continue
            if variable in table.codelist:
                self.check_codelist(meta, variable, table.codelist[variable])
                continue  # codes under a codelist are not in the plain value list
            for expression in values:
                self.check_value(meta, variable, expression)
        for variable in meta.codes:
            if variable in table.selection or variable == meta.metric:
                continue
            if meta.eliminable(variable) is False:
                self.problem(
                    "variable_not_selected",
                    "StatBank cannot leave this variable out (elimination: false), and the selection "
                    "does not name it",
                    variable=variable,
                    candidates=meta.describe_codes(variable, meta.codes[variable][:MAX_CANDIDATES]),
                )

    def check_codelist(self, meta: _Metadata, variable: str, codelist: str) -> None:
        offered = meta.codelists(variable)
        if codelist in offered:
            return
        if not offered:
            message = f"codelist {codelist} is not offered: the variable has no codelists"
        else:
            message = f"codelist {codelist} is not offered by this variable"
        ranked = _closest([codelist], list(offered.items()), limit=MAX_CANDIDATES)
        self.problem(
            "codelist_missing",
            message,
            variable=variable,
            code=codelist,
            candidates=[f"{cid} («{offered[cid]}»)" for cid in ranked],
        )

    def check_value(self, meta: _Metadata, variable: str, expression: str) -> None:
        codes = meta.codes[variable]
        is_time = variable == meta.time
        try:
            picked = resolve_selection([expression], codes, is_time=is_time)
        except ValueError:
            missing = _codes_in(expression)
            absent = [c for c in missing if c not in codes and c.lower() not in {x.lower() for x in codes}]
            for code in absent or [expression]:
                self.problem(
                    "value_missing",
                    "the variable has no such value"
                    + (f" (in the expression {expression})" if code != expression else ""),
                    variable=variable,
                    code=code,
                    candidates=meta.closest_values(variable, [code]),
                )
            return
        if not picked:
            self.problem(
                "value_missing",
                f"the expression {expression} selects no value",
                variable=variable,
                code=expression,
                candidates=meta.closest_values(variable, [expression]),
            )

    def check_periods(self, meta: _Metadata) -> None:
        table = self.table
        if meta.time is None or table.time_variable not in meta.codes:
            return
        needed = [
            y
            for y in self.years
            if (table.first_year is None or y >= table.first_year)
            and (table.last_year is None or y <= table.last_year)
        ]
        if not needed:
            return
        time_codes = meta.codes[table.time_variable]
        available = _years_of(time_codes, table.year_shift)
        missing = [y for y in needed if y not in available]
        shift = f" with year_shift {table.year_shift}" if table.year_shift else ""
        first, last = (time_codes[0], time_codes[-1]) if time_codes else ("–", "–")
        if missing:
            self.problem(
                "periods",
                f"the table's periods {first}–{last}{shift} do not cover {_year_ranges(missing)} "
                f"(years asked for: {_year_ranges(needed)})",
                variable=table.time_variable,
            )
            return
        expressions = table.selection.get(table.time_variable)
        if not expressions or table.time_variable in table.codelist:
            return
        try:
            selected = resolve_selection(list(expressions), time_codes, is_time=True)
        except ValueError:
            return  # reported as a missing value
        left_out = [y for y in needed if y not in _years_of(selected, table.year_shift)]
        if left_out:
            self.problem(
                "periods",
                f"the selection {table.time_variable}: {list(expressions)} leaves out "
                f"{_year_ranges(left_out)} (years asked for: {_year_ranges(needed)}{shift})",
                variable=table.time_variable,
            )

    def check_contents(self, meta: _Metadata) -> None:
        metric = meta.metric
        if metric is None:
            self.problem(
                "variable_missing",
                "the table has no ContentsCode (metric) variable",
                variable="ContentsCode",
                candidates=meta.closest_variables("ContentsCode"),
            )
            return
        codes = meta.codes[metric]
        labels = meta.labels(metric)
        for content in self.table.contents:
            code = content.code
            if code is None:
                code = self.find_by_label(meta, content)
                if code is None:
                    continue
            elif code not in codes:
                self.problem(
                    "content_missing",
                    f"the table has no such statistic (column {content.column})",
                    variable=metric,
                    code=code,
                    candidates=meta.closest_values(metric, [code, " ".join(content.label_words)]),
                )
                continue
            self.check_unit(meta, content, code, labels.get(code, code))
            self.check_where(meta, content)

    def find_by_label(self, meta: _Metadata, content: StatbankContent) -> str | None:
        metric = meta.metric
        assert metric is not None
        labels = meta.labels(metric)
        words = [_normal(w) for w in content.label_words]
        excluded = [_normal(w) for w in content.label_excludes]
        matches = [
            c
            for c in meta.codes[metric]
            if all(w in _normal(labels.get(c, c)) for w in words)
            and not any(re.search(rf"\b{re.escape(w)}\b", _normal(labels.get(c, c))) for w in excluded)
        ]
        wanted = " + ".join(f"«{w}»" for w in content.label_words) + "".join(
            f" − «{w}»" for w in content.label_excludes
        )
        if len(matches) == 1:
            code = matches[0]
            self.codes[content.column] = code
            self.found_by_label[content.column] = labels.get(code, code)
            unit = meta.unit(code)
            self.notes.append(
                f"{content.column}: code {code} found by label «{labels.get(code, code)}» "
                f"(label_words {wanted}){_unit_text(unit)}"
            )
            return code
        if not matches:
            self.problem(
                "label_none",
                f"no statistic's label has all of {wanted} (column {content.column}, code unknown)",
                variable=metric,
                candidates=meta.closest_values(metric, [" ".join(content.label_words)]),
            )
        else:
            self.problem(
                "label_ambiguous",
                f"{len(matches)} statistics have all of {wanted} in their label (column "
                f"{content.column}, code unknown): give the code, or more label_words",
                variable=metric,
                candidates=meta.describe_codes(metric, matches),
            )
        return None

    def check_unit(self, meta: _Metadata, content: StatbankContent, code: str, label: str) -> None:
        metric = meta.metric
        unit = meta.unit(code)
        if content.unit is not None:
            base = unit.get("base")
            if base is None:
                self.problem(
                    "unit",
                    f"StatBank declares no unit for «{label}»; statbank.yaml says «{content.unit}»",
                    variable=metric,
                    code=code,
                )
            elif _normal_unit(str(base)) != _normal_unit(content.unit):
                self.problem(
                    "unit",
                    f"StatBank's unit for «{label}» is «{base}», statbank.yaml says «{content.unit}» "
                    f"(column {content.column}; check factor: {content.factor:g})",
                    variable=metric,
                    code=code,
                )
        if content.decimals is not None and unit.get("decimals") != content.decimals:
            self.problem(
                "decimals",
                f"StatBank gives «{label}» with "
                f"{_decimals(unit['decimals']) if 'decimals' in unit else 'no declared decimals'}, "
                f"statbank.yaml says {content.decimals}",
                variable=metric,
                code=code,
            )

    def check_where(self, meta: _Metadata, content: StatbankContent) -> None:
        for variable, value in content.where.items():
            if variable not in meta.codes or variable in self.table.codelist:
                continue  # a missing variable is reported once; codelist codes are not listed
            codes = meta.codes[variable]
            if value not in codes:
                self.problem(
                    "where_value",
                    f"the variable has no such value (where of column {content.column})",
                    variable=variable,
                    code=value,
                    candidates=meta.closest_values(variable, [value]),
                )
                continue
            try:
                selected = resolve_selection(list(self.table.selection.get(variable, [])), codes)
            except ValueError:
                continue  # reported as a missing value
            if value not in selected:
                self.problem(
                    "where_value",
                    f"column {content.column} takes this value, but the selection leaves it out",
                    variable=variable,
                    code=value,
                )


class _Metadata:
    """Lookups on a JSON-stat2 metadata document."""

    def __init__(self, document: dict[str, Any], codes: dict[str, list[str]]) -> None:
        self.document = document
        self.codes = codes
        role = document.get("role") or {}
        self.time = next(iter(role.get("time") or []), "Tid" if "Tid" in codes else None)
        metric = next(iter(role.get("metric") or []), None)
        self.metric = metric if metric in codes else ("ContentsCode" if "ContentsCode" in codes else None)

    def dimension(self, variable: str) -> dict[str, Any]:
        return (self.document.get("dimension") or {}).get(variable) or {}

    def labels(self, variable: str) -> dict[str, str]:
        return {
            str(k): str(v)
            for k, v in ((self.dimension(variable).get("category") or {}).get("label") or {}).items()
        }

    def unit(self, code: str) -> dict[str, Any]:
        if self.metric is None:
            return {}
        units = (self.dimension(self.metric).get("category") or {}).get("unit") or {}
        return units.get(code) or {}

    def eliminable(self, variable: str) -> bool | None:
        return (self.dimension(variable).get("extension") or {}).get("elimination")

    def codelists(self, variable: str) -> dict[str, str]:
        """Codelist id → label, from ``dimension.<var>.extension.codelists`` (PxWebApi 2.0)."""
        entries = (self.dimension(variable).get("extension") or {}).get("codelists") or []
        return {
            str(e["id"]): str(e.get("label") or "") for e in entries if isinstance(e, dict) and e.get("id")
        }

    def describe_codes(self, variable: str, codes: Iterable[str]) -> list[str]:
        labels = self.labels(variable)
        described = []
        for code in codes:
            text = f"{code} («{labels.get(code, code)}»"
            if variable == self.metric:
                text += _unit_text(self.unit(code), prefix=", ")
            described.append(text + ")")
        return described

    def closest_values(self, variable: str, targets: list[str]) -> list[str]:
        labels = self.labels(variable)
        options = [(code, labels.get(code, code)) for code in self.codes[variable]]
        return self.describe_codes(variable, _closest([t for t in targets if t], options, MAX_CANDIDATES))

    def closest_variables(self, variable: str) -> list[str]:
        options = [(v, str(self.dimension(v).get("label") or v)) for v in self.codes]
        ranked = _closest([variable], options, MAX_CANDIDATES)
        return [f"{v} («{dict(options)[v]}»)" for v in ranked]


# Helpers ---------------------------------------------------------------------------------------


def describe_table(hit: dict[str, Any]) -> str:
    """One search hit as text: ``12008 «label» (2015–2024)``, marked when discontinued."""
    details = []
    if hit.get("firstPeriod") or hit.get("lastPeriod"):
        details.append(f"{hit.get('firstPeriod') or '?'}–{hit.get('lastPeriod') or '?'}")
    if hit.get("discontinued"):
        details.append("avsluttet/discontinued")
    return f"{hit['id']} «{hit.get('label') or ''}»" + (f" ({', '.join(details)})" if details else "")


def _info(info: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    dimensions = metadata.get("dimension") or {}
    return {
        "label": info.get("label") or metadata.get("label"),
        "updated": info.get("updated") or metadata.get("updated"),
        "firstPeriod": info.get("firstPeriod"),
        "lastPeriod": info.get("lastPeriod"),
        "discontinued": info.get("discontinued"),
        "variables": {
            str(v): str((dimensions.get(v) or {}).get("label") or v) for v in metadata.get("id") or []
        },
    }


def _closest(targets: list[str], options: list[tuple[str, str]], limit: int) -> list[str]:
    """The option codes nearest to any of ``targets``, by code and by label (best first).

    Score: the best of difflib's ratio against the code and against the label, and the share of
    a target's words found among the label's words. Ties keep the options' order.
    """
    if not options:
        return []
    scored = []
    for position, (code, label) in enumerate(options):
        label_words = set(_WORD.findall(label.lower()))
        best = 0.0
        for target in targets:
            t = target.lower()
            words = _WORD.findall(t)
            overlap = sum(1 for w in words if w in label_words) / len(words) if words else 0.0
            best = max(
                best,
                difflib.SequenceMatcher(None, t, code.lower()).ratio(),
                difflib.SequenceMatcher(None, t, label.lower()).ratio(),
                overlap,
            )
        scored.append((-best, position, code))
    return [code for _, _, code in sorted(scored)[:limit]]


def _codes_in(expression: str) -> list[str]:
    """The codes an expression names: ``from(2014)`` → ``["2014"]``, a plain code → itself."""
    match = _EXPRESSION_CODES.match(expression.strip())
    if match:
        return [part.strip() for part in match.group(1).split(",") if part.strip()]
    return [expression.strip()]


def _years_of(time_codes: Iterable[str], year_shift: int) -> set[int]:
    """Stored years of time codes (``2024``, ``2024M01``, ``2024K1`` → 2024) plus ``year_shift``."""
    return {int(code[:4]) + year_shift for code in time_codes if code[:4].isdigit()}


def _year_ranges(years: Iterable[int]) -> str:
    """``[2014, 2016, 2017, 2018]`` → ``2014, 2016–2018``."""
    ordered = sorted(set(years))
    parts: list[str] = []
    start = previous = None
    for year in ordered + [None]:
        if year is not None and previous is not None and year == previous + 1:
            previous = year
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = year
    return ", ".join(parts)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _normal_unit(unit: str) -> str:
    """Units compared loosely: case, spaces (``1 000 kr`` = ``1000 kr``) and ``kroner`` = ``kr``."""
    text = unit.lower().replace("kroner", "kr").rstrip(".")
    return "".join(text.split())


def _unit_text(unit: dict[str, Any], prefix: str = "; unit ") -> str:
    if not unit:
        return ""
    decimals = unit.get("decimals")
    return f"{prefix}{unit.get('base', '?')}" + (f", {_decimals(decimals)}" if decimals is not None else "")


def _decimals(count: Any) -> str:
    return f"{count} decimal" + ("" if count == 1 else "s")


def _title_query(title: str) -> str:
    """A search query from a title: words only (a colon or brackets mean syntax to Lucene)."""
    title = re.sub(r"^\s*\d{5}\s*:", "", title)
    title = re.sub(r"\([^)]*\)", " ", title)
    return " ".join(_WORD.findall(title))


def _one_line(text: str) -> str:
    return " ".join(text.split())
