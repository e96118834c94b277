"""A local stand-in for Statistics Norway's StatBank (PxWebApi 2.0) and KLASS APIs, for offline tests.

``FakeSSB`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a thread::

    with FakeSSB() as fake:
        fake.add_table(jsonstat_07459(frame))            # serves /tables/07459/metadata and /data
        fake.script("POST", fake.statbank_path("07459", "data"), FakeResponse(status=503))
        client = StatbankClient(fake.statbank_url, cache, "live", sleep=fake_sleep)
        ...
        assert fake.requests[-1].json()["selection"][0]["variableCode"] == "Region"

Routes are keyed by (method, path). For each request the server answers, in this order, with the
next scripted response queued for the route, else the route's handler (tables and KLASS routes
are handlers), else the route's default response, else 404. Every request is recorded with its
method, path, query string, body, headers, the status answered and the times (``time.monotonic``)
the server started and finished handling it — "finished" is taken just before the response is
written, so the client cannot have started its next request before it.

``rate_limit = (max_calls, window_seconds)`` makes the server behave like SSB's limit per IP
address: a request that arrives when ``max_calls`` requests (of any kind, refused ones included)
already arrived within the last ``window_seconds`` is answered 429.

``GET /tables?query=..`` searches the registered tables (every query word must be a word of the
table's id, label, description, variable codes or labels, or ContentsCode codes or labels, as
PxWebApi's Lucene index does with its default AND; discontinued tables only with
``includeDiscontinued=true``; paged by ``pageSize``/``pageNumber``, 404 past the last page), and
``GET /tables/{id}`` answers with the table's basic information. Both follow PxWebApi 2.0's
OpenAPI spec (PxTools/PxApiSpecs ``PxAPI-2.yml``: TablesResponse, Table, PageInfo).

Table data requests are answered from the registered JSON-stat2 dataset: the selection (POST body
or GET ``valueCodes[...]``) is checked and applied like PxWeb does (400 for an unknown variable or
value or a missing mandatory variable, 403 above ``max_cells``). Limitations, on purpose: a
codelist is recorded but not applied (codes are looked up in the dataset as given), and an
eliminated variable is summed over its values.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gzip
import json
import math
import re
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd

STATBANK_PREFIX = "/api/pxwebapi/v2"
KLASS_PREFIX = "/api/klass/v1"


@dataclass
class FakeResponse:
    """One scripted answer.

    ``body``: bytes as sent, or a dict/list sent as UTF-8 JSON. ``delay``: seconds to wait before
    answering (to provoke client timeouts). ``content_length``: announce this many bytes instead
    of the real length (more than sent → the client sees the body cut short). ``drop``: close the
    connection without any answer. ``gzip``: send the body gzip-compressed. ``trickle``: send the
    body one byte at a time, this many seconds apart (a server that is slow but never silent).
    """

    status: int = 200
    body: bytes | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: int | None = None
    drop: bool = False
    gzip: bool = False
    trickle: float = 0.0

    def payload(self) -> bytes:
        """The body bytes to send (before any gzip)."""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def json_response(document: Any, status: int = 200, **options: Any) -> FakeResponse:
    """A JSON answer (UTF-8)."""
    return FakeResponse(status=status, body=document, **options)


def problem(status: int, title: str, type_: str = "Parameter error") -> FakeResponse:
    """A PxWebApi 2.0 error answer: ``{"type": ..., "title": ..., "status": ...}`` (PxWeb's Problem)."""
    return FakeResponse(status=status, body={"type": type_, "title": title, "status": status})


@dataclass
class RecordedRequest:
    """A request the fake server received."""

    method: str
    path: str
    query: str
    body: bytes
    headers: Message  # case-insensitive, as HTTP header names are
    started: float
    finished: float | None = None
    status: int | None = None  # None: the connection was dropped without an answer

    @property
    def params(self) -> dict[str, str]:
        """The query string as a dict (decoded; last value wins)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))


Handler = Callable[[RecordedRequest], FakeResponse]


class FakeSSB:
    """Fake StatBank + KLASS server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, *, max_cells: int = 800_000) -> None:
        self.max_cells = max_cells
        self.rate_limit: tuple[int, float] | None = None
        self.requests: list[RecordedRequest] = []
        self._queues: dict[tuple[str, str], deque[FakeResponse]] = defaultdict(deque)
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._defaults: dict[tuple[str, str], FakeResponse] = {}
        self._klass_versions: dict[int, list[tuple[str, list[dict]]]] = defaultdict(list)
        self._klass_changes: dict[int, list[dict]] = defaultdict(list)
        self._tables: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # id → (dataset, info)
        self._handlers[("GET", STATBANK_PREFIX + "/tables")] = self._search
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeSSB:
        """Start serving on a free port."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port or 0), _RequestHandler)
        self._server.fake = self
        self._port = self._server.server_address[1]
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="FakeSSB", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; ``base_url`` keeps its value, so later requests to it are refused."""
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSSB:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("FakeSSB is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def statbank_url(self) -> str:
        """The PxWebApi 2.0 root, like ``https://data.ssb.no/api/pxwebapi/v2``."""
        return self.base_url + STATBANK_PREFIX

    @property
    def klass_url(self) -> str:
        """The KLASS root, like ``https://data.ssb.no/api/klass/v1``."""
        return self.base_url + KLASS_PREFIX

    @staticmethod
    def statbank_path(table_id: str, endpoint: str) -> str:
        """Path of a table endpoint: ``endpoint`` is ``metadata`` or ``data``."""
        return f"{STATBANK_PREFIX}/tables/{table_id}/{endpoint}"

    @staticmethod
    def klass_path(classification: int, endpoint: str) -> str:
        """Path of a KLASS endpoint: ``endpoint`` is ``codesAt`` or ``changes``."""
        return f"{KLASS_PREFIX}/classifications/{classification}/{endpoint}"

    # Scripting -------------------------------------------------------------------------------

    def script(self, method: str, path: str, *responses: FakeResponse) -> None:
        """Queue responses for (method, path); each is used once, before any handler or default."""
        with self._lock:
            self._queues[(method.upper(), path)].extend(responses)

    def set_default(self, method: str, path: str, response: FakeResponse) -> None:
        """The answer for (method, path) when nothing is queued and no handler is registered."""
        self._defaults[(method.upper(), path)] = response

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer (method, path) with ``handler(request)`` when nothing is queued."""
        self._handlers[(method.upper(), path)] = handler

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests for ``path`` (and ``method``, if given), oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    # StatBank tables -------------------------------------------------------------------------

    def add_table(
        self, dataset: dict[str, Any], table_id: str | None = None, *, info: dict[str, Any] | None = None
    ) -> str:
        """Serve ``dataset`` (a full JSON-stat2 dataset) as a StatBank table; return its id.

        ``GET .../tables/{id}/metadata`` answers with the dataset without values (as PxWebApi 2.0
        does: ``"value": []``); ``GET``/``POST .../tables/{id}/data`` with the selected cells;
        ``GET .../tables/{id}`` with the table's basic information (see :func:`table_info`), and
        the table can be found by ``GET .../tables?query=``. ``info`` overrides fields of that
        information, e.g. ``{"discontinued": True, "firstPeriod": "2015", "paths": [...]}``.
        """
        table_id = table_id or dataset["extension"]["px"]["tableid"]
        metadata = {k: v for k, v in dataset.items() if k not in ("value", "status")}
        metadata["value"] = []
        table = table_info(dataset, table_id, **(info or {}))
        with self._lock:
            self._tables[table_id] = (dataset, table)
        self.route("GET", self.statbank_path(table_id, "metadata"), lambda _request: json_response(metadata))
        self.route(
            "GET",
            f"{STATBANK_PREFIX}/tables/{table_id}",
            lambda request: json_response({**table, "language": request.params.get("lang", "no")}),
        )
        for method in ("GET", "POST"):
            self.route(
                method, self.statbank_path(table_id, "data"), lambda request: self._data(dataset, request)
            )
        return table_id

    def _data(self, dataset: dict[str, Any], request: RecordedRequest) -> FakeResponse:
        if request.method == "POST":
            try:
                items = request.json().get("selection") or []
            except ValueError:
                return problem(400, "Invalid JSON in request body")
            selection = {item["variableCode"]: list(item.get("valueCodes") or []) for item in items}
        else:
            selection = {}
            for key, value in request.params.items():
                match = re.fullmatch(r"(?i)valuecodes\[(.+)\]", key)
                if match:
                    selection[match.group(1)] = value.split(",")
        return subset_dataset(dataset, selection, max_cells=self.max_cells)

    def _search(self, request: RecordedRequest) -> FakeResponse:
        params = {key.lower(): value for key, value in request.params.items()}  # PxWeb ignores case
        words = [w for w in _words(params.get("query", "")) if w]
        include_discontinued = params.get("includediscontinued", "false").lower() == "true"
        try:
            page_size = int(params.get("pagesize") or 20)
            page_number = int(params.get("pagenumber") or 1)
        except ValueError:
            return problem(400, "pageSize and pageNumber must be whole numbers")
        page_size, page_number = max(page_size, 1), max(page_number, 1)
        with self._lock:
            tables = list(self._tables.items())
        hits = [
            info
            for table_id, (dataset, info) in tables
            if (include_discontinued or not info.get("discontinued"))
            and set(words) <= _search_words(table_id, dataset, info)
        ]
        total_pages = math.ceil(len(hits) / page_size)
        if total_pages and page_number > total_pages:
            return problem(404, "Page selection is out of range", "Not found")
        lang = params.get("lang", "no")
        page_links = []
        if page_number < total_pages:
            page_links.append({"rel": "next", "hreflang": lang, "href": f"?pageNumber={page_number + 1}"})
        return json_response(
            {
                "language": lang,
                "tables": hits[(page_number - 1) * page_size : page_number * page_size],
                "page": {
                    "pageNumber": page_number,
                    "pageSize": page_size,
                    "totalElements": len(hits),
                    "totalPages": max(total_pages, 1),  # PxWebApi says 1 for an empty result
                    "links": page_links,
                },
                "links": [
                    {"rel": "self", "hreflang": lang, "href": f"{STATBANK_PREFIX}/tables?{request.query}"}
                ],
            }
        )

    # KLASS -------------------------------------------------------------------------------------

    def add_klass_codes(self, classification: int, valid_from: str, codes: Iterable[tuple | dict]) -> None:
        """Register a version of a classification valid from ``valid_from`` (``YYYY-MM-DD``).

        ``codesAt?date=D`` answers with the newest version whose ``valid_from`` <= D. ``codes``
        are ``(code, name)`` / ``(code, name, parent_code, level)`` tuples or KLASS-shaped dicts.
        """
        rows = [_klass_code(item) for item in codes]
        versions = self._klass_versions[classification]
        versions.append((valid_from, rows))
        versions.sort(key=lambda version: version[0])
        self.route("GET", self.klass_path(classification, "codesAt"), self._codes_at)

    def add_klass_changes(self, classification: int, changes: Iterable[tuple | dict]) -> None:
        """Register code changes: ``(old_code, old_name, new_code, new_name, change_occurred)`` or dicts.

        ``changes?from=F&to=T`` answers with those where F <= changeOccurred < T (``to`` exclusive).
        """
        self._klass_changes[classification].extend(_klass_change(item) for item in changes)
        self.route("GET", self.klass_path(classification, "changes"), self._changes)

    def _codes_at(self, request: RecordedRequest) -> FakeResponse:
        if "json" not in request.headers.get("Accept", ""):
            return FakeResponse(body=b"<codeList/>", headers={"Content-Type": "text/xml"})  # KLASS default
        classification = int(request.path.split("/")[-2])
        date = request.params.get("date")
        if not date or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            return _klass_error(400, "date must be given as yyyy-MM-dd", request.path)
        valid = [rows for valid_from, rows in self._klass_versions[classification] if valid_from <= date]
        if not valid:
            return _klass_error(
                404, f"no version of classification {classification} valid at {date}", request.path
            )
        return json_response({"codes": valid[-1]})

    def _changes(self, request: RecordedRequest) -> FakeResponse:
        if "json" not in request.headers.get("Accept", ""):
            return FakeResponse(body=b"<codeChangeList/>", headers={"Content-Type": "text/xml"})
        classification = int(request.path.split("/")[-2])
        start, end = request.params.get("from"), request.params.get("to") or "9999-12-31"
        if not start:
            return _klass_error(400, "from is required", request.path)
        changes = [c for c in self._klass_changes[classification] if start <= c["changeOccurred"] < end]
        return json_response({"codeChanges": changes})

    # Serving -----------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> FakeResponse | None:
        """Note the request; a 429 if it passes ``rate_limit``."""
        with self._lock:
            self.requests.append(request)
            if self.rate_limit is None:
                return None
            max_calls, window = self.rate_limit
            recent = sum(1 for r in self.requests if r.started > request.started - window)
        if recent > max_calls:
            return problem(
                429, f"Too many requests: more than {max_calls} in {window:g} s", "Too many requests"
            )
        return None

    def _respond(self, request: RecordedRequest) -> FakeResponse:
        route = (request.method, request.path)
        with self._lock:
            queue = self._queues.get(route)
            if queue:
                return queue.popleft()
        if route in self._handlers:
            return self._handlers[route](request)
        if route in self._defaults:
            return self._defaults[route]
        if request.path.startswith(STATBANK_PREFIX + "/tables/"):
            return problem(404, "Non-existent table", "Not found")
        return _klass_error(404, f"no route for {request.method} {request.path}", request.path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping in a delay must not hold up stop()
    allow_reuse_address = True
    fake: FakeSSB

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has closed its socket; writing to it then fails. Expected.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: no reuse to reason about
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve("GET")

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Keep test output quiet."""

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        started = time.monotonic()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(method, parts.path, parts.query, body, self.headers, started)
        response = fake._record(request) or fake._respond(request)
        request.status = None if response.drop else response.status
        if response.delay and fake._stopping.wait(response.delay):
            return
        payload = response.payload()
        if response.gzip:
            payload = gzip.compress(payload)
        if response.drop:
            request.finished = time.monotonic()
            self.close_connection = True
            return
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        if response.gzip:
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(response.content_length or len(payload))
        for name, value in headers.items():
            self.send_header(name, value)
        request.finished = time.monotonic()
        with contextlib.suppress(ConnectionError):
            self.end_headers()
            if not response.trickle:
                self.wfile.write(payload)
                return
            for index in range(len(payload)):
                self.wfile.write(payload[index : index + 1])
                self.wfile.flush()
                if fake._stopping.wait(response.trickle):
                    return


# JSON-stat2 datasets ---------------------------------------------------------------------------

_07459_LABEL = "07459: Befolkning, etter region, kjønn, alder, statistikkvariabel og år"
_07459_DIMENSIONS = {
    "Region": ("region", True),
    "Kjonn": ("kjønn", True),
    "Alder": ("alder", True),
    "ContentsCode": ("statistikkvariabel", False),
    "Tid": ("år", False),
}
_07459_CATEGORY_LABELS = {
    "Kjonn": {"1": "Menn", "2": "Kvinner"},
    "ContentsCode": {"Personer1": "Personer"},
}


def jsonstat_dataset(
    frame: pd.DataFrame,
    *,
    dimensions: list[str],
    table_id: str,
    label: str,
    updated: str,
    role: dict[str, list[str]],
    dimension_labels: dict[str, str] | None = None,
    category_labels: dict[str, dict[str, str]] | None = None,
    units: dict[str, dict[str, Any]] | None = None,
    elimination: dict[str, bool] | None = None,
    missing_status: str = "..",
    codelists: dict[str, list[tuple[str, str] | dict[str, Any]]] | None = None,
    categories: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A JSON-stat2 dataset shaped like StatBank's from a long frame (one row per cell).

    ``frame`` has a column per dimension (codes), ``value`` and optionally ``status``. Categories
    are the sorted unique codes (``categories`` gives a dimension's codes and their order
    instead); combinations missing from the frame become null cells with status
    ``missing_status``. Whole-number values are written as JSON integers, as SSB does.
    ``codelists`` lists the value sets and groupings a variable offers, as ``(id, label)`` pairs or
    whole objects; they go where PxWebApi 2.0 puts them, ``dimension.<var>.extension.codelists``
    (``[{"id", "label", "type": "Aggregation"|"Valueset", "links"}]``, type from the ``agg_``/``vs_``
    prefix).
    """
    dimension_labels = dimension_labels or {}
    category_labels = category_labels or {}
    elimination = elimination or {}
    frame = frame.copy()
    for column in dimensions:
        frame[column] = frame[column].astype(str)
    if frame.duplicated(dimensions).any():
        raise ValueError("jsonstat_dataset: the frame has more than one row for some cell")
    given_categories = categories or {}
    categories = {d: list(given_categories.get(d) or sorted(frame[d].unique())) for d in dimensions}
    for d in dimensions:
        unknown = set(frame[d]) - set(categories[d])
        if unknown:
            raise ValueError(f"jsonstat_dataset: {d} has codes not in categories: {sorted(unknown)}")
    sizes = [len(categories[d]) for d in dimensions]
    n_cells = math.prod(sizes)
    index = pd.MultiIndex.from_product([categories[d] for d in dimensions], names=dimensions)
    full = frame.set_index(dimensions).reindex(index)
    values: list[Any] = []
    for value in full["value"].to_numpy(dtype=float, na_value=np.nan):
        if np.isnan(value):
            values.append(None)
        else:
            values.append(int(value) if float(value).is_integer() else float(value))
    status: dict[str, str] = {}
    given_status = full["status"].tolist() if "status" in full.columns else [None] * n_cells
    for position, (value, symbol) in enumerate(zip(values, given_status, strict=True)):
        if isinstance(symbol, str) and symbol:
            status[str(position)] = symbol
        elif value is None:
            status[str(position)] = missing_status
    dimension_block = {}
    for d in dimensions:
        labels = category_labels.get(d, {})
        category: dict[str, Any] = {
            "index": {code: i for i, code in enumerate(categories[d])},
            "label": {code: labels.get(code, code) for code in categories[d]},
        }
        if units and d in (role.get("metric") or []):
            category["unit"] = {code: units[code] for code in categories[d] if code in units}
        dimension_block[d] = {
            "label": dimension_labels.get(d, d),
            "category": category,
            "extension": {
                "elimination": elimination.get(d, False),
                "show": "value",
                "codelists": [codelist_entry(item) for item in (codelists or {}).get(d, [])],
            },
        }
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": label,
        "source": "Statistisk sentralbyrå",
        "updated": updated,
        "role": role,
        "id": list(dimensions),
        "size": sizes,
        "dimension": dimension_block,
        "extension": {"px": {"infofile": "None", "tableid": table_id, "decimals": 0}},
        "value": values,
    }
    if status:
        document["status"] = status
    return document


def jsonstat_07459(
    frame: pd.DataFrame,
    *,
    updated: str = "2025-02-25T07:00:00Z",
    region_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A JSON-stat2 dataset shaped like StatBank table 07459 (population 1 January) from a small frame.

    ``frame`` needs ``Region`` (plain codes like ``0301`` or harmonised ``K-3103``), ``Tid`` and
    ``value``; ``Kjonn``, ``Alder``, ``ContentsCode`` (default ``Personer1``) and ``status`` are
    optional. Dimensions come in 07459's order (Region, Kjonn, Alder, ContentsCode, Tid), with its
    labels, roles (time Tid, geo Region, metric ContentsCode), units and ``extension.px.tableid``.
    """
    frame = frame.copy()
    if "ContentsCode" not in frame.columns:
        frame["ContentsCode"] = "Personer1"
    dimensions = [d for d in _07459_DIMENSIONS if d in frame.columns]
    category_labels = {k: dict(v) for k, v in _07459_CATEGORY_LABELS.items()}
    category_labels["Region"] = dict(region_names or {})
    if "Alder" in frame.columns:
        category_labels["Alder"] = {
            a: f"{int(a[:3])} år" for a in frame["Alder"].astype(str) if a[:3].isdigit()
        }
    document = jsonstat_dataset(
        frame,
        dimensions=dimensions,
        table_id="07459",
        label=_07459_LABEL,
        updated=updated,
        role={"time": ["Tid"], "geo": ["Region"], "metric": ["ContentsCode"]},
        dimension_labels={d: label for d, (label, _) in _07459_DIMENSIONS.items()},
        category_labels=category_labels,
        units={
            code: {"base": "personer", "decimals": 0} for code in frame["ContentsCode"].astype(str).unique()
        },
        elimination={d: eliminable for d, (_, eliminable) in _07459_DIMENSIONS.items()},
        missing_status=".",
        # 07459's Region variable offers value sets and groupings (ids as in SSB's guide, labels ours)
        codelists={
            "Region": [
                ("agg_KommSummer", "Kommuner (gjeldende grenser)"),
                ("agg_Fylker2024", "Fylker 2024"),
                ("vs_Kommun", "Kommuner"),
            ]
        },
    )
    return document


def codelist_entry(item: tuple[str, str] | dict[str, Any], lang: str = "no") -> dict[str, Any]:
    """A CodelistInformation object (PxAPI-2.yml): ``{"id", "label", "type", "links"}``.

    ``item`` is ``(id, label)`` (type Aggregation for ``agg_…``, else Valueset) or a whole object.
    """
    if isinstance(item, dict):
        return item
    codelist_id, label = item
    return {
        "id": codelist_id,
        "label": label,
        "type": "Aggregation" if codelist_id.startswith("agg_") else "Valueset",
        "links": [
            {
                "rel": "metadata",
                "hreflang": lang,
                "href": f"{STATBANK_PREFIX}/codelists/{codelist_id}?lang={lang}",
            }
        ],
    }


def table_info(dataset: dict[str, Any], table_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The basic information PxWebApi 2.0 gives on a table (``GET /tables/{id}``, a ``Table`` object).

    Built from a JSON-stat2 dataset: ``label``, ``updated``, ``source``, ``firstPeriod`` and
    ``lastPeriod`` (first and last code of the time variable), ``variableNames`` (dimension
    labels), ``discontinued: False``, ``paths`` (one made-up subject path) and ``links``.
    ``overrides`` replace any field (``discontinued=True``, ``paths=KOSTRA_PATHS``, ...).
    """
    table_id = table_id or dataset["extension"]["px"]["tableid"]
    time_ids = (dataset.get("role") or {}).get("time") or ["Tid"]
    time_codes = (
        list(dataset["dimension"][time_ids[0]]["category"]["index"])
        if time_ids[0] in dataset["dimension"]
        else []
    )
    base = f"{STATBANK_PREFIX}/tables/{table_id}"
    info: dict[str, Any] = {
        "type": "Table",
        "id": table_id,
        "label": dataset.get("label"),
        "description": "",
        "sortCode": table_id,
        "updated": dataset.get("updated"),
        "firstPeriod": time_codes[0] if time_codes else None,
        "lastPeriod": time_codes[-1] if time_codes else None,
        "category": "public",
        "variableNames": [dataset["dimension"][d].get("label", d) for d in dataset["id"]],
        "discontinued": False,
        "source": dataset.get("source", "Statistisk sentralbyrå"),
        "subjectCode": "al",
        "timeUnit": "Annual",
        "paths": [[{"id": "al", "label": "Arbeid og lønn"}]],
        "links": [
            {"rel": "self", "hreflang": "no", "href": f"{base}?lang=no"},
            {"rel": "metadata", "hreflang": "no", "href": f"{base}/metadata?lang=no"},
            {"rel": "data", "hreflang": "no", "href": f"{base}/data?lang=no&outputFormat=json-stat2"},
        ],
    }
    info.update(overrides)
    return info


# KOSTRA tables live under this subject path in SSB's StatBank ("kostrahoved" is how the real
# sources doc tells a KOSTRA table; the labels here are ours).
KOSTRA_PATHS = [
    [
        {"id": "kostrahoved", "label": "KOSTRA"},
        {"id": "kombolig_kostra", "label": "Kommunale boliger"},
    ]
]

KOSTRA_REGION = "KOKkommuneregion0000"
KOSTRA_AGGREGATES = {
    "EAK": "Landet",
    "EAKUO": "Landet uten Oslo",
    "EKA03": "Oslo (fylke)",
    "EKG13": "KOSTRA-gruppe 13",
}
# The region variable's codelists: stable labels, table-dependent ids (janbrus/pxwebapi-skills
# kostra.md). None of them is an agg_KommSummer: KOSTRA has no "sammenslått" list.
KOSTRA_CODELISTS = [
    ("agg_KOGkommuneregion000005401", "Uttrekk for Landet"),
    ("agg_KOGkommuneregion000005402", "Uttrekk for Alle kommuner"),
    ("agg_KOGkommuneregion000005403", "Uttrekk for Kommuner 2024-"),
    ("agg_KOGkommuneregion000005408", "Uttrekk for KOSTRA-grupperinger"),
    ("vs_KOGkommuneregion0000", "Kodeliste for KOSTRA-kommuner med tilhørende regionsgrupperinger"),
]


def kostra_dataset(
    values: pd.DataFrame,
    *,
    table_id: str,
    label: str,
    contents_labels: dict[str, str],
    updated: str = "2025-06-15T06:00:00Z",
    units: dict[str, dict[str, Any]] | None = None,
    region_names: dict[str, str] | None = None,
    years: Iterable[int | str] | None = None,
    suppress_below: int | None = 3,
    suppress_zero: bool = False,
    aggregates: bool = True,
    codelists: list[tuple[str, str] | dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A JSON-stat2 dataset shaped like a KOSTRA table (e.g. 12008) from a long frame.

    ``values``: a DataFrame with columns ``region`` (plain 4-digit kommune codes, no ``K-``;
    historical and current codes side by side, e.g. ``1141`` Finnøy until 2019 and ``1103``
    Stavanger), ``contents`` (ContentsCode), ``year`` and ``value``; an optional ``status`` column
    sets a cell's symbol (e.g. ``".."``). Dimensions: ``KOKkommuneregion0000``, ``ContentsCode``,
    ``Tid`` (time), all mandatory (``elimination: false``), roles time/geo/metric.

    * ``table_id``, ``label`` (``"12008: Kommunalt disponerte boliger (K) 2015 - 2024"``),
      ``updated`` (ISO time; KOSTRA publishes 15 March and 15 June).
    * ``contents_labels``: ContentsCode → label; its keys are the ContentsCode categories, in
      that order (a code with no rows is all ``.``).
    * ``units``: ContentsCode → ``{"base": ..., "decimals": ...}``; default
      ``{"base": "antall", "decimals": 0}`` for every code.
    * ``region_names``: code → label (default: the code; the aggregates have their own labels).
    * ``years``: the ``Tid`` codes (default: the years in ``values``).
    * Status symbols: a (region, contents, year) with no row is ``.`` (the code did not exist
      that year); a row with a null value and no status is ``..``; a value below
      ``suppress_below`` (above 0, or also 0 with ``suppress_zero``) is ``:`` with a null value,
      as KOSTRA's housing figures are suppressed below 3. ``suppress_below=None`` turns that off.
    * ``aggregates``: add ``EAK`` (sum of all kommune rows), ``EAKUO`` (without 0301), ``EKA03``
      (kommune codes starting ``03``) and ``EKG13`` (``..``: group membership is not modelled)
      after the kommune codes, unless ``values`` already has rows for them. Sums use the values
      before suppression and skip missing ones.
    * ``codelists``: the region variable's codelists (default :data:`KOSTRA_CODELISTS`; no
      ``agg_KommSummer``).

    Serve it with ``fake.add_table(kostra_dataset(...), info={"paths": KOSTRA_PATHS})``.
    """
    frame = values.rename(columns={"region": KOSTRA_REGION, "contents": "ContentsCode", "year": "Tid"}).copy()
    missing = {KOSTRA_REGION, "ContentsCode", "Tid", "value"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"kostra_dataset: values lacks columns {sorted(missing)} (region, contents, year, value)"
        )
    frame[KOSTRA_REGION] = frame[KOSTRA_REGION].astype(str)
    frame["ContentsCode"] = frame["ContentsCode"].astype(str)
    frame["Tid"] = frame["Tid"].astype(str)
    frame["value"] = frame["value"].astype(float)
    if "status" not in frame.columns:
        frame["status"] = None
    frame["status"] = frame["status"].astype(object).where(frame["status"].notna(), None)
    unknown = set(frame["ContentsCode"]) - set(contents_labels)
    if unknown:
        raise ValueError(f"kostra_dataset: contents {sorted(unknown)} have no label in contents_labels")
    kommuner = sorted(c for c in frame[KOSTRA_REGION].unique() if c not in KOSTRA_AGGREGATES)
    region_codes = list(kommuner)
    if aggregates:
        present = set(frame[KOSTRA_REGION])
        municipal = frame[frame[KOSTRA_REGION].isin(kommuner)].dropna(subset=["value"])
        members = {
            "EAK": municipal,
            "EAKUO": municipal[municipal[KOSTRA_REGION] != "0301"],
            "EKA03": municipal[municipal[KOSTRA_REGION].str.startswith("03")],
        }
        cells = frame[["ContentsCode", "Tid"]].drop_duplicates()
        added = []
        for code in KOSTRA_AGGREGATES:
            region_codes.append(code)
            if code in present:
                continue
            part = members.get(code)
            if part is None:
                sums = cells.assign(value=np.nan)
            else:
                totals = part.groupby(["ContentsCode", "Tid"], as_index=False)["value"].sum()
                sums = cells.merge(totals, on=["ContentsCode", "Tid"], how="left")
            added.append(sums.assign(**{KOSTRA_REGION: code, "status": None}))
        if added:
            frame = pd.concat([frame, *added], ignore_index=True)
    else:
        region_codes += [c for c in KOSTRA_AGGREGATES if c in set(frame[KOSTRA_REGION])]
    no_status = frame["status"].isna()
    frame.loc[no_status & frame["value"].isna(), "status"] = ".."
    if suppress_below is not None:
        low = frame["value"] < suppress_below
        low &= frame["value"] >= 0 if suppress_zero else frame["value"] > 0
        frame.loc[no_status & low, "status"] = ":"
        frame.loc[no_status & low, "value"] = np.nan
    year_codes = sorted({str(y) for y in years} if years is not None else set(frame["Tid"]))
    names = {**KOSTRA_AGGREGATES, **(region_names or {})}
    return jsonstat_dataset(
        frame,
        dimensions=[KOSTRA_REGION, "ContentsCode", "Tid"],
        table_id=table_id,
        label=label,
        updated=updated,
        role={"time": ["Tid"], "geo": [KOSTRA_REGION], "metric": ["ContentsCode"]},
        dimension_labels={KOSTRA_REGION: "region", "ContentsCode": "statistikkvariabel", "Tid": "år"},
        category_labels={KOSTRA_REGION: names, "ContentsCode": dict(contents_labels)},
        units={code: (units or {}).get(code, {"base": "antall", "decimals": 0}) for code in contents_labels},
        elimination={},
        missing_status=".",
        codelists={KOSTRA_REGION: list(KOSTRA_CODELISTS if codelists is None else codelists)},
        categories={KOSTRA_REGION: region_codes, "ContentsCode": list(contents_labels), "Tid": year_codes},
    )


def _words(text: str) -> list[str]:
    """Lower-case words, as a Lucene standard analyser splits them (letters and digits)."""
    return re.findall(r"\w+", text.lower())


def _search_words(table_id: str, dataset: dict[str, Any], info: dict[str, Any]) -> set[str]:
    """The words a search can find a table by: id, label, description, variables, ContentsCodes."""
    texts = [table_id, str(info.get("label") or ""), str(info.get("description") or "")]
    texts += [str(name) for name in info.get("variableNames") or []]
    for dimension_id in dataset["id"]:
        dimension = dataset["dimension"][dimension_id]
        texts += [dimension_id, str(dimension.get("label") or "")]
        if dimension_id in ((dataset.get("role") or {}).get("metric") or ["ContentsCode"]):
            category = dimension.get("category") or {}
            texts += list(category.get("index") or [])
            texts += [str(label) for label in (category.get("label") or {}).values()]
    return {word for text in texts for word in _words(text)}


def subset_dataset(
    dataset: dict[str, Any], selection: dict[str, list[str]], *, max_cells: int
) -> FakeResponse:
    """PxWeb-like answer to ``selection`` on ``dataset``: the selected cells, or a 400/403 problem."""
    ids: list[str] = dataset["id"]
    lookup = {d.lower(): d for d in ids}
    codes = {d: list(dataset["dimension"][d]["category"]["index"]) for d in ids}
    chosen: dict[str, list[str]] = {}
    for variable, values in selection.items():
        if variable.lower() not in lookup:
            return problem(400, "Non-existent variable")
        dimension = lookup[variable.lower()]
        picked: list[str] = []
        for expression in values:
            is_time = dimension in ((dataset.get("role") or {}).get("time") or [])
            found = _fake_resolve(expression, codes[dimension], is_time)
            if found is None:
                return problem(400, "Non-existent value")
            picked.extend(code for code in found if code not in picked)
        chosen[dimension] = picked
    for dimension in ids:
        eliminable = (dataset["dimension"][dimension].get("extension") or {}).get("elimination", False)
        if dimension not in chosen and not eliminable:
            return problem(400, "Missing selection for mandantory variable")
    kept = [d for d in ids if d in chosen]
    n_cells = math.prod(len(chosen[d]) for d in kept)
    if n_cells > max_cells:
        return problem(403, "Too many cells selected")

    sizes = dataset["size"]
    raw = np.array([np.nan if v is None else v for v in dataset["value"]], dtype=float).reshape(sizes)
    status_grid = np.full(math.prod(sizes), None, dtype=object)
    for position, symbol in (dataset.get("status") or {}).items():
        status_grid[int(position)] = symbol
    status_grid = status_grid.reshape(sizes)
    axes = [
        [codes[d].index(c) for c in chosen[d]] if d in chosen else list(range(len(codes[d]))) for d in ids
    ]
    values = raw[np.ix_(*axes)]
    statuses = status_grid[np.ix_(*axes)]
    eliminated = tuple(i for i, d in enumerate(ids) if d not in chosen)
    if eliminated:  # PxWeb would give the elimination value; a sum is close enough for a fake
        values = np.nansum(values, axis=eliminated)
        statuses = np.full(values.shape, None, dtype=object)
    flat_values = [
        None if np.isnan(v) else (int(v) if float(v).is_integer() else float(v)) for v in values.ravel()
    ]
    flat_status = {str(i): s for i, s in enumerate(statuses.ravel()) if s}

    answer = {k: v for k, v in dataset.items() if k not in ("value", "status", "dimension", "id", "size")}
    answer["id"] = kept
    answer["size"] = [len(chosen[d]) for d in kept]
    answer["dimension"] = {}
    for d in kept:
        source = dataset["dimension"][d]
        category = {
            "index": {code: i for i, code in enumerate(chosen[d])},
            "label": {code: source["category"]["label"].get(code, code) for code in chosen[d]},
        }
        if "unit" in source["category"]:
            category["unit"] = {c: u for c, u in source["category"]["unit"].items() if c in chosen[d]}
        answer["dimension"][d] = {**source, "category": category}
    answer["value"] = flat_values
    if flat_status:
        answer["status"] = flat_status
    return json_response(answer)


def _fake_resolve(expression: str, codes: list[str], is_time: bool) -> list[str] | None:
    """A deliberately simple, separate reading of PxWeb's selection expressions (None: no such value)."""
    text = expression.strip()
    if match := re.fullmatch(r"(?i)(top|bottom)\((\d+)(?:,(\d+))?\)", text):
        n, offset = int(match.group(2)), int(match.group(3) or 0)
        newest_first = (match.group(1).lower() == "top") == is_time
        ordered = codes[::-1] if newest_first else codes
        return ordered[offset : offset + n]
    if match := re.fullmatch(r"(?i)(from|to)\((.+)\)", text):
        if match.group(2) not in codes:
            return None
        i = codes.index(match.group(2))
        return codes[i:] if match.group(1).lower() == "from" else codes[: i + 1]
    if match := re.fullmatch(r"(?i)range\((.+),(.+)\)", text):
        if match.group(1) not in codes or match.group(2) not in codes:
            return None
        return codes[codes.index(match.group(1)) : codes.index(match.group(2)) + 1]
    if "*" in text or "?" in text:
        return [c for c in codes if fnmatch.fnmatchcase(c, text)]
    return [text] if text in codes else None


def _klass_code(item: tuple | dict) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    code, name, *rest = item
    parent = rest[0] if len(rest) > 0 else None
    level = rest[1] if len(rest) > 1 else "1"
    return {
        "code": code,
        "parentCode": parent,
        "level": str(level),
        "name": name,
        "shortName": "",
        "presentationName": "",
        "validFrom": None,
        "validTo": None,
        "notes": "",
    }


def _klass_change(item: tuple | dict) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    old_code, old_name, new_code, new_name, occurred = item
    return {
        "oldCode": old_code,
        "oldName": old_name,
        "oldShortName": "",
        "newCode": new_code,
        "newName": new_name,
        "newShortName": "",
        "changeOccurred": occurred,
    }


def _klass_error(status: int, message: str, path: str) -> FakeResponse:
    # KLASS is a Spring application; its errors look like Spring's default error document.
    reason = {400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    return FakeResponse(
        status=status, body={"status": status, "error": reason, "message": message, "path": path}
    )
