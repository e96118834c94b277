"""JSON over HTTP with retries, exponential backoff with full jitter, and errors a person can act on.

Statistics Norway's APIs fail in a few known ways (see ``shared/docs/ssb_api.md`` §1): 429 when a
client passes 30 calls a minute, 503 during maintenance, dropped connections, and now and then a
body cut short. Those are transient: :func:`request_json` waits and tries again. 400/403/404 mean
the request itself is wrong (a misspelt code, too many cells, an unknown table): trying again
cannot help, so they raise at once with the server's own explanation.

:func:`request_json` runs the attempts itself, one HTTP exchange each (requests and urllib3 are
told neither to retry nor to follow redirects), because every attempt must first take a slot of
the process's rate limiter (:mod:`pipelines.ssb.ratelimit`). urllib3's :class:`~urllib3.util.Retry`
still counts the attempts and says when they are used up; :class:`BackoffRetry` chooses how long
to wait between them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import Retry, Timeout

from pipelines.ssb.ratelimit import RateLimiter, limiter_for

log = logging.getLogger(__name__)

# Statuses worth another try: rate limiting, and server or gateway trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# PxWeb v2 wants literal brackets in `valueCodes[Region]` and reads `*`, `(`, `)` and `,` in
# expressions such as `from(2019)`; keeping them literal makes URLs look like SSB's examples.
URL_SAFE_CHARS = "[]*(),"
DEFAULT_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "User-Agent": "boligsosial-indikatorer (pipelines.ssb; Python requests)",
}
BODY_CHUNK_BYTES = 64 * 1024
_EXCERPT_CHARS = 500
_QUERY_CHARS = 1000


class HttpError(Exception):
    """A request that failed for good.

    Attributes: ``status`` (HTTP status, or None when no response came back, e.g. a timeout),
    ``url`` (the full request URL), ``body_excerpt`` (the start of the response body, if any),
    ``attempts`` (how many times the request was sent) and ``transient`` (True when the failure
    was of a kind that is normally temporary — timeouts, 429, 5xx, cut-off bodies — and the
    retries or the total deadline ran out; False for 400/403/404, other client errors and
    redirects).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        url: str,
        body_excerpt: str = "",
        attempts: int = 1,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.body_excerpt = body_excerpt
        self.attempts = attempts
        self.transient = transient


class BodyFault(Exception):
    """Why an attempt brought no usable answer (no answer in time, a dropped connection, a body cut
    short, too slow, badly compressed or not JSON), as urllib3's ``Retry`` records it."""


class BackoffRetry(Retry):
    """urllib3's ``Retry`` counts the attempts and says when they are used up; this subclass
    chooses how long to wait before the next one.

    Before retry *k* (0-based) it waits ``rng.uniform(0, backoff_factor * 2**k)`` seconds —
    exponential backoff with full jitter, so clients that failed together do not come back
    together (urllib3's own formula waits nothing before the first retry and adds jitter on
    top) — or exactly what the server's ``Retry-After`` asks for on a 429 or 503.
    """

    # urllib3 also honours Retry-After on 413; for SSB a 413 is a query error, not a wait.
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def __init__(self, *args: Any, rng: random.Random | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rng = rng if rng is not None else random.Random()

    def new(self, **kw: Any) -> BackoffRetry:
        # urllib3 makes a new Retry after every attempt; the random source must come along.
        return super().new(rng=self.rng, **kw)

    def get_backoff_time(self) -> float:
        """Full jitter: uniform between 0 and ``backoff_factor * 2**k`` before retry *k* (0-based)."""
        retry_index = max(len(self.history) - 1, 0)
        return self.rng.uniform(0, self.backoff_factor * 2**retry_index)

    def next_wait(self, response: BaseHTTPResponse | None) -> float:
        """Seconds to wait before the next attempt: the server's ``Retry-After``, else the backoff."""
        delay = self.server_delay(response)
        return self.get_backoff_time() if delay is None else delay

    def server_delay(self, response: BaseHTTPResponse | None) -> float | None:
        """Seconds the server's ``Retry-After`` asks for on a 429/503, or None (then we back off)."""
        if response is None or not self.respect_retry_after_header:
            return None
        if response.status not in self.RETRY_AFTER_STATUS_CODES:
            return None
        try:
            seconds = self.get_retry_after(response)
        except InvalidHeader as exc:  # a header we cannot read is no reason to give up
            log.warning("ignoring %s; backing off instead", exc)
            return None
        return None if seconds is None else float(seconds)


def build_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """``url`` with ``params`` appended as a query string (brackets, ``*``, parentheses, commas kept).

    A list or tuple value is joined with commas, the list syntax of both PxWeb v2
    (``valueCodes[Tid]=2023,2024``) and KLASS (``selectCodes=0301,1103``).
    """
    if not params:
        return url
    flat = {k: ",".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in params.items()}
    query = urllib.parse.urlencode(flat, safe=URL_SAFE_CHARS)
    return f"{url}{'&' if '?' in url else '?'}{query}"


def server_error_text(raw: bytes) -> str:
    """The server's explanation in an error body, made short and readable.

    PxWeb v2 answers with a problem document (``{"type": "Parameter error", "title":
    "Non-existent value", "status": 400}``), PxWeb v1 with ``{"error": "..."}``, KLASS with
    ``{"error": ..., "message": ...}``; anything else is shown as the start of the body text.
    """
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        return _excerpt(text) or "(empty body)"
    if isinstance(document, dict):
        parts = [str(document[k]) for k in ("title", "detail", "error", "message") if document.get(k)]
        if document.get("type"):
            parts.append(f"type: {document['type']}")
        if parts:
            return "; ".join(parts)
    return _excerpt(text)


def request_json(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    retries: int = 4,
    backoff: float = 1.0,
    total_deadline: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    limiter: RateLimiter | None = None,
) -> tuple[Any, bytes, int]:
    """Send one HTTP request and return ``(parsed JSON, raw body bytes, HTTP status)``.

    ``body`` is sent as JSON unless it is already ``bytes``. The request is tried up to
    ``retries + 1`` times. Before retry *k* (0-based) it waits ``rng.uniform(0, backoff * 2**k)``
    seconds (exponential backoff with full jitter), or exactly the server's ``Retry-After`` on
    a 429/503 that sends one. Retried: 429, 500, 502, 503, 504, time-outs, refused, reset
    or dropped connections, bodies cut short and bodies that are not valid JSON — whatever the
    method, since SSB's POSTs are queries that change nothing.
    Not retried: any other status >= 300 (400 bad query, 403 too many cells, 404 unknown table
    or URL too long; a redirect is not followed, since the request it would send has no slot) —
    :class:`HttpError` at once, with the URL, the query and the server's text.

    Deadlines, in wall-clock time: an attempt — connecting, the headers and the whole body — gets
    ``timeout`` seconds, however slowly the answer trickles in (then it counts as a time-out and
    is retried). The whole request gets ``total_deadline`` seconds from its first attempt, waits
    for backoff and rate-limit slots included: a retry is started only if its waits and a full
    attempt still fit, else :class:`HttpError` says the deadline ran out. ``clock`` measures
    that budget and ``sleep`` does the backoff (both injectable for tests).

    Politeness: every attempt takes a slot of ``limiter`` (by default the process's limiter for
    the URL's server, :func:`pipelines.ssb.ratelimit.limiter_for`), and the whole request holds
    its ``turn``, so one request per server is in flight whichever client or thread sends it.
    ``raw`` is the decoded (un-gzipped) body.
    """
    full_url = build_url(url, params)
    method = method.upper()
    data, request_headers = _encode_body(body, headers)
    query_text = _describe_query(full_url, data)
    limiter = limiter if limiter is not None else limiter_for(full_url)
    attempt_seconds = min(timeout, total_deadline)
    retry = BackoffRetry(
        total=retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # retry POST too: a StatBank data query is safe to repeat
        backoff_factor=backoff,
        rng=rng,  # one random source for all the waits: a seeded rng gives a reproducible series
    )
    with limiter.turn:  # "Flere store spørringer bør uansett kjøres i sekvens" (SSB)
        started: float | None = None
        while True:
            with limiter.call():
                # The budget runs from the first attempt: waiting behind other requests for the
                # turn and the first slot is politeness, not the server failing.
                started = clock() if started is None else started
                status, raw, response, fault = _attempt(
                    method, full_url, data, request_headers, attempt_seconds
                )
            attempts = len(retry.history) + 1
            excerpt = _excerpt(raw.decode("utf-8", errors="replace"))
            if fault is None and status >= 300 and status not in RETRY_STATUSES:
                explanation = _status_text(status, raw, response)
                raise HttpError(
                    f"HTTP {status} for {method} {full_url}{query_text}: {explanation}",
                    status=status,
                    url=full_url,
                    body_excerpt=excerpt,
                    attempts=attempts,
                    transient=False,
                )
            if fault is None and status < 300:
                try:
                    return json.loads(raw), raw, status
                except ValueError as exc:  # also UnicodeDecodeError
                    fault = f"truncated or unparseable JSON body ({len(raw)} bytes: {exc})"
            cause = fault or f"HTTP {status}: {server_error_text(raw)}"
            # urllib3's Retry counts the attempt (a status, or a fault as an error) and raises
            # MaxRetryError once they are used up.
            try:
                if fault is None:
                    retry = retry.increment(method, full_url, response=response)
                else:
                    retry = retry.increment(method, full_url, error=BodyFault(fault))
            except MaxRetryError as exc:
                raise HttpError(
                    f"{method} {full_url}{query_text} failed after {_count(attempts)}; last cause: {cause}",
                    status=status,
                    url=full_url,
                    body_excerpt=excerpt,
                    attempts=attempts,
                    transient=True,
                ) from exc
            delay = retry.next_wait(response if fault is None else None)
            spent = clock() - started
            waits = delay + limiter.wait_needed(after=delay)
            if spent + waits + attempt_seconds > total_deadline:
                raise HttpError(
                    f"{method} {full_url}{query_text} gave up after {_count(attempts)} in {spent:.1f} s: "
                    f"another attempt (up to {attempt_seconds:g} s, after waiting {waits:.1f} s) would end "
                    f"after the request's total deadline of {total_deadline:g} s; last cause: {cause}",
                    status=status,
                    url=full_url,
                    body_excerpt=excerpt,
                    attempts=attempts,
                    transient=True,
                )
            log.warning(
                "%s %s: %s; retry %d of %d in %.1f s", method, full_url, cause, attempts, retries, delay
            )
            sleep(delay)


def _attempt(
    method: str, url: str, data: bytes | None, headers: dict[str, str], seconds: float
) -> tuple[int | None, bytes, BaseHTTPResponse | None, str | None]:
    """One HTTP exchange, over within ``seconds``: ``(status, body, urllib3 response, why it
    failed)``; status and response are None when no answer came, the failure is None when a
    whole body came.

    requests and urllib3 neither retry nor follow redirects here: every request that reaches the
    server is an attempt of :func:`request_json`, which took a rate-limit slot for it. A fresh
    session per attempt: SSB gets one request at a time, at most 30 a minute, so the connection
    reuse a long-lived session would give is worth nothing.
    """
    deadline = time.monotonic() + seconds
    with requests.Session() as session:
        adapter = HTTPAdapter(max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        try:
            # Timeout(total=...): connecting and waiting for the headers share the attempt's time.
            # stream=True: the body is read here, against the deadline.
            with session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=Timeout(total=seconds),
                stream=True,
                allow_redirects=False,
            ) as response:
                try:
                    return response.status_code, _read_body(response.raw, deadline), response.raw, None
                except (Urllib3Error, OSError) as exc:  # cut short, bad gzip, stalled, too slow
                    if time.monotonic() >= deadline:
                        fault = f"timeout: the answer was not complete within {seconds:g} s"
                    else:
                        fault = f"body cut short or damaged: {exc}"
                    return response.status_code, b"", response.raw, fault
        except (requests.ConnectionError, requests.Timeout) as exc:
            return None, b"", None, _transport_cause(exc, seconds)


def _read_body(response: BaseHTTPResponse, deadline: float) -> bytes:
    """The whole (decoded) body, by ``deadline`` (``time.monotonic``) or ``TimeoutError``.

    A socket timeout only bounds each wait for the next bytes, so a body sent a byte a second
    never times out. So what has arrived is read chunk by chunk (``read1``) with the deadline
    checked in between, and a watchdog shuts the socket for reading at the deadline, which ends
    a read still waiting for bytes (urllib3's ``HTTPResponse.shutdown``, made for this).
    """
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), _stop_reading, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    chunks = []
    try:
        while chunk := response.read1(BODY_CHUNK_BYTES, decode_content=True):
            chunks.append(chunk)
            if time.monotonic() >= deadline:
                break
    finally:
        watchdog.cancel()
    if time.monotonic() >= deadline:  # also when the watchdog's shutdown looked like the end
        raise TimeoutError("the attempt's deadline passed while the body was arriving")
    return b"".join(chunks)


def _stop_reading(response: BaseHTTPResponse) -> None:
    with contextlib.suppress(Exception):  # already read, closed or released: nothing to stop
        response.shutdown()


def _status_text(status: int, raw: bytes, response: BaseHTTPResponse | None) -> str:
    if 300 <= status < 400:
        location = response.headers.get("Location") if response is not None else None
        return f"redirected to {location or '(no Location)'}; not followed, so point the base URL there"
    return server_error_text(raw)


def _transport_cause(exc: Exception, timeout: float) -> str:
    """Why no response came back, from the urllib3 error behind requests' exception."""
    reason = _urllib3_reason(exc)
    if isinstance(reason, NewConnectionError):  # refused, unknown host, ... (a ConnectTimeoutError)
        return f"connection failed: {reason}"
    if isinstance(reason, ConnectTimeoutError):
        return f"timeout: could not connect within {timeout:g} s"
    if isinstance(reason, ReadTimeoutError):
        return f"timeout: no answer within {timeout:g} s"
    if isinstance(reason, ProtocolError):
        return f"connection dropped: {reason}"
    return f"connection failed: {reason}"


def _urllib3_reason(exc: BaseException) -> BaseException:
    """The urllib3 error that requests wrapped ``exc`` around (unwrapping ``MaxRetryError``)."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, MaxRetryError) and seen.reason is not None:
            return seen.reason
        if isinstance(seen, Urllib3Error):
            return seen
        wrapped = next((arg for arg in seen.args if isinstance(arg, BaseException)), None)
        seen = wrapped or seen.__cause__ or seen.__context__
    return exc


def _count(attempts: int) -> str:
    return f"{attempts} attempt{'s' if attempts != 1 else ''}"


def _encode_body(body: Any, headers: Mapping[str, str] | None) -> tuple[bytes | None, dict[str, str]]:
    merged = {**DEFAULT_HEADERS, **(headers or {})}
    if body is None:
        return None, merged
    if isinstance(body, bytes):
        return body, merged
    merged.setdefault("Content-Type", "application/json; charset=utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), merged


def _describe_query(full_url: str, data: bytes | None) -> str:
    """How the query is shown in messages: the URL already carries GET parameters; add a POST body."""
    if not data:
        return ""
    return f" with query {_excerpt(data.decode('utf-8', errors='replace'), _QUERY_CHARS)}"


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " …"
