"""StatBank (PxWebApi 2.0) client: metadata, cell counting, splitting, politeness and cache modes.

SSB's rules (``shared/docs/ssb_api.md`` §1): at most 800,000 cells per query, at most 30 queries
per 60 s per IP address, and large queries one after the other. So the client

* counts the cells of a query against the table's metadata before sending it, and splits a query
  that is too big along the time variable into the fewest chunks that fit;
* sends every request through the process's rate limiter for the server
  (:func:`pipelines.ssb.ratelimit.limiter_for`, shared by every client, KLASS included): every
  attempt, retries included, takes a slot, and one request per server is in flight at a time.

Modes: ``live`` asks the server and stores every response in the :class:`ResponseCache`;
``cache`` answers only from the cache (offline, byte-identical replays) and never opens a socket.
With ``allow_stale=True`` a live request that fails in any way (no answer in time, a refused
query, an answer that is not JSON-stat2) falls back to the last cached copy of the same request,
with a warning naming the failure, and marks the result ``stale``.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.http import HttpError, request_json
from pipelines.ssb.jsonstat import decode, dimension_codes
from pipelines.ssb.ratelimit import RateLimiter, limiter_for

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.ssb.no/api/pxwebapi/v2"

_TOP_BOTTOM = re.compile(r"(?i)^(top|bottom)\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")
_FROM_TO = re.compile(r"(?i)^(from|to)\(\s*([^,()]+?)\s*\)$")
_RANGE = re.compile(r"(?i)^range\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)$")


@dataclass(frozen=True)
class StatbankQuery:
    """A StatBank data query: the table, and per variable the value codes or PxWeb expressions.

    ``selection`` maps variable code → list of value codes or expressions (``*``, ``202*``,
    ``????M12``, ``top(n[,offset])``, ``bottom(n[,offset])``, ``from(x)``, ``to(x)``,
    ``range(x,y)``). A variable left out is eliminated (its total), if the table allows it.
    ``codelist`` names a value set or grouping per variable (``{"Region": "agg_KommSummer"}``);
    ``output_values`` chooses ``aggregated`` or ``single`` for such a grouping.
    """

    table_id: str
    selection: dict[str, list[str]]
    codelist: dict[str, str] = field(default_factory=dict)
    output_values: dict[str, str] = field(default_factory=dict)
    lang: str = "no"

    def __post_init__(self) -> None:
        for variable, values in self.selection.items():
            # A bare string would be read as a list of characters ("2024" → "2", "0", ...).
            if isinstance(values, str) or not isinstance(values, list | tuple):
                raise TypeError(
                    f"StatbankQuery({self.table_id}): selection[{variable!r}] must be a list of codes, "
                    f"got {values!r}"
                )
        for name, mapping in (("codelist", self.codelist), ("output_values", self.output_values)):
            unknown = sorted(set(mapping) - set(self.selection))
            if unknown:
                raise ValueError(
                    f"StatbankQuery({self.table_id}): {name} names {unknown}, which are not in the selection"
                )

    def body(self) -> dict[str, Any]:
        """The PxWebApi 2.0 POST body: ``{"selection": [{"variableCode", "valueCodes", ...}]}``."""
        selection = []
        for variable, values in self.selection.items():
            item: dict[str, Any] = {"variableCode": variable, "valueCodes": [str(v) for v in values]}
            if variable in self.codelist:
                item["codelist"] = self.codelist[variable]
            if variable in self.output_values:
                item["outputValues"] = self.output_values[variable]
            selection.append(item)
        return {"selection": selection}

    def describe(self) -> str:
        """A one-line description for messages: table id and the selection as compact JSON."""
        text = json.dumps(self.body()["selection"], ensure_ascii=False, separators=(",", ":"))
        if len(text) > 600:
            text = text[:600] + " …"
        return f"table {self.table_id} (lang={self.lang}), query {text}"


@dataclass(frozen=True)
class StatbankResult:
    """A fetched table extract.

    ``frame``: decoded cells of all chunks, in the row order one unsplit request would give.
    ``updated``: the data vintage (the newest ``updated`` among the chunks).
    ``requests``: cache keys of the data requests (one per chunk).
    ``stale``: True if any chunk came from the cache after a live request failed.
    ``metadata``: label, source, units etc. from :func:`pipelines.ssb.jsonstat.decode` (first chunk).
    """

    frame: pd.DataFrame
    updated: str | None
    requests: list[str]
    stale: bool
    table_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


def resolve_selection(values: list[str], codes: list[str], *, is_time: bool = False) -> list[str]:
    """The value codes that ``values`` (codes and PxWeb expressions) select from ``codes``.

    ``codes`` is the variable's value list in table order. ``top(n[,offset])`` takes the newest n
    of a time variable (the last in table order) and the first n of any other variable;
    ``bottom`` the opposite. ``from``/``to``/``range`` are inclusive. ``*`` and ``?`` are
    wildcards. Codes match exactly, or else ignoring case (PxWeb v2 ignores case). The result
    keeps the order of the expressions and has no duplicates. Raises ``ValueError`` for a code
    the variable does not have.
    """
    picked: dict[str, None] = {}
    for raw in values:
        expression = str(raw).strip()
        for code in _resolve_one(expression, codes, is_time=is_time):
            picked.setdefault(code, None)
    return list(picked)


def _resolve_one(expression: str, codes: list[str], *, is_time: bool) -> list[str]:
    if match := _TOP_BOTTOM.match(expression):
        kind, count, offset = match.group(1).lower(), int(match.group(2)), int(match.group(3) or 0)
        newest_first = (kind == "top") == is_time
        ordered = codes[::-1] if newest_first else codes
        return ordered[offset : offset + count]
    if match := _FROM_TO.match(expression):
        position = _position(match.group(2), codes)
        return codes[position:] if match.group(1).lower() == "from" else codes[: position + 1]
    if match := _RANGE.match(expression):
        start, end = _position(match.group(1), codes), _position(match.group(2), codes)
        return codes[min(start, end) : max(start, end) + 1]
    if "*" in expression or "?" in expression:
        pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in expression)
        regex = re.compile(pattern, re.IGNORECASE)
        return [code for code in codes if regex.fullmatch(code)]
    return [codes[_position(expression, codes)]]


def _position(code: str, codes: list[str]) -> int:
    try:
        return codes.index(code)
    except ValueError:
        pass
    lowered = [c.lower() for c in codes]
    try:
        return lowered.index(code.lower())
    except ValueError:
        shown = ", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")
        raise ValueError(f"value {code!r} does not exist (values: {shown})") from None


def _count_with_codelist(values: list[str], metadata_size: int) -> int:
    """Cells a codelist selection may give: we cannot see the codelist, so trust the codes given.

    Listed codes count one each, ``top(n)``/``bottom(n)`` count n, and anything broader
    (wildcards, ``from``/``to``/``range``) counts as the variable's size in the metadata.
    """
    count, broad = 0, False
    for raw in values:
        expression = str(raw).strip()
        if match := _TOP_BOTTOM.match(expression):
            count += int(match.group(2))
        elif "*" in expression or "?" in expression or _FROM_TO.match(expression) or _RANGE.match(expression):
            broad = True
        else:
            count += 1
    return max(count, metadata_size) if broad else count


class StatbankClient:
    """Fetch StatBank tables politely, cached, and split to fit the cell limit.

    ``base_url`` is the PxWebApi 2.0 root (``https://data.ssb.no/api/pxwebapi/v2``). ``limiter``
    is the rate limiter every request passes (default: the process's one for the server, shared
    with every other client). ``timeout`` bounds one attempt and ``total_deadline`` a request with
    all its retries and waits, in seconds (see :func:`pipelines.ssb.http.request_json`).
    ``sleep`` (backoff) and ``clock`` (the total deadline's) are injectable, and so are the
    limiter's, so tests can run rate limits and backoff without waiting.
    """

    def __init__(
        self,
        base_url: str,
        cache: ResponseCache,
        mode: Literal["live", "cache"],
        *,
        limiter: RateLimiter | None = None,
        max_cells: int = 800_000,
        timeout: float = 30,
        retries: int = 4,
        backoff: float = 1.0,
        total_deadline: float = 120,
        allow_stale: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("live", "cache"):
            raise ValueError(f"mode must be 'live' or 'cache', not {mode!r}")
        if max_cells < 1:
            raise ValueError(f"max_cells must be positive, not {max_cells!r}")
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.mode = mode
        self.limiter = limiter if limiter is not None else limiter_for(self.base_url)
        self.max_cells = max_cells
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.total_deadline = total_deadline
        self.allow_stale = allow_stale
        self._sleep = sleep
        self._clock = clock
        self._rng = random.Random()
        self._metadata: dict[tuple[str, str], dict[str, Any]] = {}

    # Metadata and planning -------------------------------------------------------------------

    def cache_only(self) -> StatbankClient:
        """A client on the same cache that never opens a socket (for tables a run does not ask live)."""
        if self.mode == "cache":
            return self
        return StatbankClient(self.base_url, self.cache, "cache", max_cells=self.max_cells)

    def metadata(self, table_id: str, lang: str = "no") -> dict[str, Any]:
        """The table's metadata document (JSON-stat2, no values), cached like data and kept in memory.

        GET ``{base}/tables/{id}/metadata?lang=no&outputFormat=json-stat2``.
        """
        memo_key = (table_id, lang)
        if memo_key not in self._metadata:
            url = f"{self.base_url}/tables/{table_id}/metadata"
            params = {"lang": lang, "outputFormat": "json-stat2"}
            document, _key, _stale = self._request(
                "GET", url, params, None, f"metadata of table {table_id}", validate=dimension_codes
            )
            self._metadata[memo_key] = document
        return self._metadata[memo_key]

    # Discovery: search and basic table info ----------------------------------------------------
    #
    # Response shapes are PxWebApi 2.0's OpenAPI spec, PxTools/PxApiSpecs `PxAPI-2.yml` @ 264f16c
    # (schemas TablesResponse = {language, tables: [Table], page: PageInfo, links}; Table = {id,
    # label, description, updated, firstPeriod, lastPeriod, discontinued (nullable), variableNames,
    # paths, links, ...}; PageInfo = {pageNumber, pageSize, totalElements, totalPages, links};
    # TableResponse = Table + language; query parameters query, lang, pastDays, includeDiscontinued
    # (default false), pageNumber (default 1), pageSize), checked against the reference server's
    # expected answers in PxTools/PxWebApi @ 92f4cfa (PxWebApi_Mvc.Tests/ExpectedJson/
    # ListAllTables.json, TableById_tab004.json) and its TablesApiController.ListAllTables (a page
    # past the last one is a 404, the default search operator is AND).

    SEARCH_MAX_PAGES = 10  # at most this many pages per search (1,000 tables with the default size)

    def search(
        self,
        query: str,
        *,
        lang: str = "no",
        page_size: int = 100,
        include_discontinued: bool = True,
    ) -> list[dict[str, Any]]:
        """Tables whose metadata match ``query``: the ``tables`` items of every page, in server order.

        GET ``{base}/tables?query=..&lang=..&pageSize=..&includeDiscontinued=..`` (``pageNumber``
        from the second page on), cached and rate-limited like every other request. Follows
        ``page.totalPages`` up to :attr:`SEARCH_MAX_PAGES` pages and logs a warning when it stops
        early. Each item has at least ``id`` and usually ``label``, ``updated``, ``firstPeriod``,
        ``lastPeriod``, ``discontinued``, ``variableNames`` and ``paths``.
        """
        if page_size < 1:
            raise ValueError(f"page_size must be positive, not {page_size}")
        memo = self._discovery_memo()
        memo_key = ("search", query, lang, page_size, include_discontinued)
        if memo_key in memo:
            return memo[memo_key]
        url = f"{self.base_url}/tables"
        tables: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {
                "query": query,
                "lang": lang,
                "pageSize": str(page_size),
                "includeDiscontinued": "true" if include_discontinued else "false",
            }
            if page > 1:
                params["pageNumber"] = str(page)
            document, _key, _stale = self._request(
                "GET",
                url,
                params,
                None,
                f"table search {query!r} (page {page})",
                validate=self._check_tables_answer,
            )
            tables.extend(document["tables"])
            total_pages = int((document.get("page") or {}).get("totalPages") or 1)
            if page >= total_pages:
                break
            if page >= self.SEARCH_MAX_PAGES:
                log.warning(
                    "StatBank table search %r: %d pages of %d tables; only the first %d were read",
                    query,
                    total_pages,
                    page_size,
                    self.SEARCH_MAX_PAGES,
                )
                break
            page += 1
        memo[memo_key] = tables
        return tables

    def table_info(self, table_id: str, lang: str = "no") -> dict[str, Any]:
        """Basic information on one table: GET ``{base}/tables/{id}?lang=..``, cached and kept in memory.

        A dict with ``id``, ``label``, ``updated``, ``firstPeriod``, ``lastPeriod``,
        ``discontinued`` (may be absent or null), ``variableNames``, ``paths`` ... An unknown table
        raises :class:`HttpError` with status 404. That 404 is remembered in the cache too (its
        status in the meta record), so a ``cache`` run replays "no such table" instead of
        "nothing cached"; a later live answer replaces it.
        """
        memo = self._discovery_memo()
        memo_key = ("table", table_id, lang)
        if memo_key in memo:
            return memo[memo_key]
        url = f"{self.base_url}/tables/{table_id}"
        params = {"lang": lang}
        description = f"information on table {table_id}"
        key = self.cache.key("GET", url, params, None)
        if self.mode == "cache":
            self._raise_cached_404(key, description, url)
        try:
            document, _key, stale = self._request(
                "GET", url, params, None, description, validate=self._check_table_answer
            )
        except HttpError as exc:
            if exc.status == 404:
                record = {"method": "GET", "url": url, "params": params, "body": None}
                self.cache.store(key, record, json.dumps({"status": 404, "title": str(exc)}).encode(), 404)
            raise
        if stale:  # a failed live call fell back on the cache, which may hold a remembered 404
            self._raise_cached_404(key, description, url)
        memo[memo_key] = document
        return document

    def _raise_cached_404(self, key: str, description: str, url: str) -> None:
        cached = self.cache.load(key)
        if cached is not None and cached.meta.get("status") == 404:
            raise HttpError(
                f"StatBank {description}: HTTP 404 (the cached answer, fetched {cached.fetched_at})",
                status=404,
                url=url,
                transient=False,
            )

    def _discovery_memo(self) -> dict[tuple, Any]:
        # Kept apart from __init__ on purpose: a per-client memo of search and table answers.
        return self.__dict__.setdefault("_discovery_answers", {})

    @staticmethod
    def _check_tables_answer(document: Any) -> None:
        """A search answer must be ``{"tables": [{"id": ...}, ...], "page": {...}}`` (TablesResponse)."""
        if not isinstance(document, dict) or not isinstance(document.get("tables"), list):
            raise ValueError("not a table search answer: no 'tables' list")
        for position, table in enumerate(document["tables"]):
            if not isinstance(table, dict) or not isinstance(table.get("id"), str) or not table["id"]:
                raise ValueError(f"not a table search answer: tables[{position}] has no 'id'")
        page = document.get("page")
        if page is not None and (
            not isinstance(page, dict) or not isinstance(page.get("totalPages", 1), int)
        ):
            raise ValueError("not a table search answer: 'page' is not a PageInfo object")

    @staticmethod
    def _check_table_answer(document: Any) -> None:
        """A table answer must be one Table object: a text ``id`` and a ``label`` (TableResponse)."""
        if not isinstance(document, dict) or not isinstance(document.get("id"), str) or not document["id"]:
            raise ValueError("not a table information answer: no text 'id'")
        if "label" not in document:
            raise ValueError(f"not a table information answer for {document['id']}: no 'label'")

    def cell_count(self, query: StatbankQuery) -> int:
        """How many cells ``query`` selects: the product of the selected values per variable.

        Expressions are resolved against the metadata; a variable with a ``codelist`` counts its
        codes literally (a wildcard counts as the variable's size); a left-out variable counts 1.
        """
        counts, _codes, _time = self._counts(query)
        return math.prod(counts.values())

    def plan(self, query: StatbankQuery) -> list[StatbankQuery]:
        """The requests that together answer ``query``: itself if it fits ``max_cells``, else time chunks.

        Chunks carry explicit time codes in table order and are as even as possible. Raises
        ``ValueError`` when one time value alone selects more than ``max_cells`` cells, or when a
        too-large query cannot be split (no time variable in the selection, or a codelist on it).
        """
        counts, codes, time_variable = self._counts(query)
        total = math.prod(counts.values())
        if total <= self.max_cells:
            return [query]
        if time_variable not in query.selection or time_variable in query.codelist:
            raise ValueError(
                f"StatBank {query.describe()}: selects {total:,} cells, more than {self.max_cells:,}, and "
                f"cannot be split along time (variable {time_variable!r} "
                f"{'has a codelist' if time_variable in query.codelist else 'is not selected'})"
            )
        selected = set(resolve_selection(query.selection[time_variable], codes[time_variable], is_time=True))
        time_codes = [code for code in codes[time_variable] if code in selected]  # table order
        cells_per_time_value = total // len(time_codes)
        per_chunk = self.max_cells // cells_per_time_value
        if per_chunk < 1:
            raise ValueError(
                f"StatBank table {query.table_id}: one {time_variable} value alone selects "
                f"{cells_per_time_value:,} cells, more than the limit of {self.max_cells:,} "
                f"(whole query: {total:,} cells). Narrow the selection of the other variables. "
                f"Query: {query.describe()}"
            )
        n_chunks = math.ceil(len(time_codes) / per_chunk)
        chunks = [list(part) for part in np.array_split(np.array(time_codes, dtype=object), n_chunks)]
        log.info(
            "StatBank table %s: %s cells > %s; split into %d requests along %s",
            query.table_id,
            f"{total:,}",
            f"{self.max_cells:,}",
            n_chunks,
            time_variable,
        )
        return [replace(query, selection={**query.selection, time_variable: chunk}) for chunk in chunks]

    def _counts(self, query: StatbankQuery) -> tuple[dict[str, int], dict[str, list[str]], str]:
        document = self.metadata(query.table_id, query.lang)
        codes = dimension_codes(document)
        time_variable = ((document.get("role") or {}).get("time") or ["Tid"])[0]
        counts: dict[str, int] = {}
        for variable, values in query.selection.items():
            if variable not in codes:
                raise ValueError(
                    f"StatBank table {query.table_id} has no variable {variable!r} (variables: {list(codes)})"
                )
            if not values:
                counts[variable] = 1  # nothing selected: eliminated, like a left-out variable
            elif variable in query.codelist:
                counts[variable] = _count_with_codelist(list(values), len(codes[variable]))
            else:
                try:
                    resolved = resolve_selection(
                        list(values), codes[variable], is_time=variable == time_variable
                    )
                except ValueError as exc:
                    raise ValueError(f"StatBank table {query.table_id}, variable {variable}: {exc}") from exc
                counts[variable] = len(resolved)
        return counts, codes, time_variable

    # Data ------------------------------------------------------------------------------------

    def fetch(self, query: StatbankQuery) -> StatbankResult:
        """Fetch ``query`` (split if needed), decode the JSON-stat2 answers and join them.

        POST ``{base}/tables/{id}/data?lang=..&outputFormat=json-stat2`` per chunk. The joined
        frame has the row order of one unsplit answer (row-major, last dimension fastest).
        """
        url = f"{self.base_url}/tables/{query.table_id}/data"
        params = {"lang": query.lang, "outputFormat": "json-stat2"}
        frames, keys, vintages = [], [], []
        stale = False
        metadata: dict[str, Any] = {}
        for chunk in self.plan(query):
            document, key, chunk_stale = self._request(
                "POST", url, params, chunk.body(), chunk.describe(), validate=decode
            )
            frame, chunk_metadata = decode(document)
            frames.append(frame)
            keys.append(key)
            vintages.append(chunk_metadata.get("updated"))
            metadata = metadata or chunk_metadata
            stale = stale or chunk_stale
        frame = frames[0] if len(frames) == 1 else _join_chunks(frames)
        if _newest(vintages) is None:
            log.warning(
                "StatBank %s: the answer has no 'updated' date, so the data vintage is unknown; it is "
                "stored empty (null) and shows as such in the release",
                query.describe(),
            )
        return StatbankResult(
            frame=frame,
            updated=_newest(vintages),
            requests=keys,
            stale=stale,
            table_id=query.table_id,
            metadata=metadata,
        )

    # Transport -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        body: Any,
        description: str,
        validate: Callable[[Any], object],
    ) -> tuple[Any, str, bool]:
        """(parsed JSON, cache key, stale) for one request, following the client's mode.

        A live answer is checked with ``validate`` (it raises ValueError) **before** it is cached:
        a 200 that is JSON but not the JSON-stat2 asked for never replaces a good cached copy.
        Whatever goes wrong with a live request, ``allow_stale`` falls back on the cached copy
        (:meth:`_fall_back`)."""
        key = self.cache.key(method, url, params, body)
        if self.mode == "cache":
            cached = self.cache.load(key)
            if cached is None:
                raise LookupError(
                    f"No cached StatBank response for {description} (cache key {key} in {self.cache.root}). "
                    "Run once in live mode (mode='live') to fill the cache."
                )
            return json.loads(cached.raw), key, False
        try:
            document, raw, status = request_json(
                method,
                url,
                params=params,
                body=body,
                timeout=self.timeout,
                retries=self.retries,
                backoff=self.backoff,
                total_deadline=self.total_deadline,
                sleep=self._sleep,
                clock=self._clock,
                rng=self._rng,
                limiter=self.limiter,
            )
        except HttpError as exc:
            return self._fall_back(key, description, exc)
        try:
            if not isinstance(document, dict):
                raise ValueError(f"a JSON {type(document).__name__}, not a JSON-stat2 object")
            validate(document)
        except ValueError as exc:
            return self._fall_back(key, description, exc)
        request_record = {"method": method, "url": url, "params": params, "body": body}
        self.cache.store(key, request_record, raw, status)
        return document, key, False

    def _fall_back(
        self, key: str, description: str, failure: HttpError | ValueError
    ) -> tuple[Any, str, bool]:
        """The cached copy, marked stale, when a live request failed in any way and ``allow_stale``
        is set: the server could not be reached or gave up (time-outs, deadlines, 429/5xx,
        refused or dropped connections), refused the query (4xx), or answered with something that
        is not JSON-stat2 (``ValueError``). Otherwise the failure again, saying what the cache
        holds."""
        cached = self.cache.load(key)
        invalid = isinstance(failure, ValueError)
        what = (
            f"the answer is not valid JSON-stat2 ({failure})"
            if invalid
            else f"live request failed ({failure})"
        )
        if cached is not None and self.allow_stale:
            log.warning(
                "StatBank %s: %s; using the cached response fetched %s instead (marked stale)",
                description,
                what,
                cached.fetched_at,
            )
            return json.loads(cached.raw), key, True
        if cached is not None:
            hint = (
                f"A cached response fetched {cached.fetched_at} exists: the run can be allowed to use "
                "it with allow_stale=True (marked stale), or run with mode='cache'."
            )
        elif self.allow_stale:
            hint = "No cached copy of this request exists to fall back on (allow_stale is set)."
        else:
            hint = (
                "No cached copy of this request exists yet; once a live run has stored one, the run "
                "can be allowed to use the cache with allow_stale=True."
            )
        if invalid:
            raise ValueError(
                f"StatBank {description}: the answer is not valid JSON-stat2: {failure}. It was not "
                f"cached. {hint}"
            ) from failure
        raise HttpError(
            f"StatBank {description}: {failure}. {hint}",
            status=failure.status,
            url=failure.url,
            body_excerpt=failure.body_excerpt,
            attempts=failure.attempts,
            transient=failure.transient,
        ) from failure


def _join_chunks(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate chunk frames and restore the row-major order of one unsplit response."""
    joined = pd.concat(frames, ignore_index=True)
    dimensions = [c for c in joined.columns if c not in ("value", "status")]
    # Each dimension's order is the order in which its codes first appear across the chunks:
    # the split variable runs chunk after chunk, the others repeat the same order in every chunk.
    positions = [pd.factorize(joined[column], sort=False)[0] for column in dimensions]
    order = np.lexsort(positions[::-1])
    return joined.iloc[order].reset_index(drop=True)


def _newest(vintages: list[str | None]) -> str | None:
    known = [v for v in vintages if v]
    if not known:
        return None

    def parsed(value: str) -> float:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return -math.inf

    return max(known, key=parsed)
