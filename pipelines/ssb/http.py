"""JSON over HTTP with retries, exponential backoff with full jitter, and errors a person can act on.

Statistics Norway's APIs fail in a few known ways (see ``shared/docs/ssb_api.md`` §1): 429 when a
client passes 30 calls a minute, 503 during maintenance, dropped connections, and now and then a
body cut short. Those are transient: :func:`request_json` waits and tries again. 400/403/404 mean
the request itself is wrong (a misspelt code, too many cells, an unknown table): trying again
cannot help, so they raise at once with the server's own explanation.

The retrying is urllib3's :class:`~urllib3.util.Retry`, mounted on a :class:`requests.Session`
through :class:`requests.adapters.HTTPAdapter`: urllib3 decides what is worth another try and
counts the attempts. :class:`BackoffRetry` only chooses how long to wait between them.
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from urllib3.util import Retry

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
_EXCERPT_CHARS = 500
_QUERY_CHARS = 1000


class HttpError(Exception):
    """A request that failed for good.

    Attributes: ``status`` (HTTP status, or None when no response came back, e.g. a timeout),
    ``url`` (the full request URL), ``body_excerpt`` (the start of the response body, if any),
    ``attempts`` (how many times the request was sent) and ``transient`` (True when the failure
    was of a kind that is normally temporary — timeouts, 429, 5xx, cut-off bodies — and retries
    ran out; False for 400/403/404 and other client errors).
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
    """A response whose body cannot be used: cut short, badly compressed, or not JSON."""


@dataclass(frozen=True)
class Waits:
    """How :class:`BackoffRetry` waits: the sleep function, the jitter's random source, and a
    callback run just before every retry (the StatBank client's rate limiter)."""

    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    before_retry: Callable[[], None] | None = None


class BackoffRetry(Retry):
    """urllib3's ``Retry`` with our waits between attempts.

    Before retry *k* (0-based) it waits ``rng.uniform(0, backoff_factor * 2**k)`` seconds —
    exponential backoff with full jitter, so clients that failed together do not come back
    together (urllib3's own formula waits nothing before the first retry and adds jitter on
    top) — or exactly what the server's ``Retry-After`` asks for on a 429 or 503. The sleep
    goes through ``waits.sleep`` so tests run without waiting, and ``waits.before_retry`` runs
    after it, so every attempt passes the caller's rate limit.
    """

    # urllib3 also honours Retry-After on 413; for SSB a 413 is a query error, not a wait.
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def __init__(self, *args: Any, waits: Waits | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waits = waits or Waits()

    def new(self, **kw: Any) -> BackoffRetry:
        # urllib3 makes a new Retry after every attempt; the waits must come along.
        return super().new(waits=self.waits, **kw)

    def get_backoff_time(self) -> float:
        """Full jitter: uniform between 0 and ``backoff_factor * 2**k`` before retry *k* (0-based)."""
        retry_index = max(len(self.history) - 1, 0)
        return self.waits.rng.uniform(0, self.backoff_factor * 2**retry_index)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait before the next attempt (see the class docstring), then run ``before_retry``."""
        delay = self.server_delay(response)
        if delay is None:
            delay = self.get_backoff_time()
        if self.history:
            last = self.history[-1]
            cause = f"HTTP {last.status}" if last.status else str(last.error)
            done = len(self.history)
            log.warning(
                "%s %s: %s; retry %d of %d in %.1f s",
                last.method,
                last.url,
                cause,
                done,
                done + (self.total or 0),
                delay,
            )
        self.waits.sleep(delay)
        if self.waits.before_retry is not None:
            self.waits.before_retry()

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
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    before_attempt: Callable[[], None] | None = None,
) -> tuple[Any, bytes, int]:
    """Send one HTTP request and return ``(parsed JSON, raw body bytes, HTTP status)``.

    ``body`` is sent as JSON unless it is already ``bytes``. The request is tried up to
    ``retries + 1`` times. Before retry *k* (0-based) it waits ``rng.uniform(0, backoff * 2**k)``
    seconds (exponential backoff with full jitter), or exactly the server's ``Retry-After`` on
    a 429/503 that sends one. Retried: 429, 500, 502, 503, 504, time-outs, refused, reset
    or dropped connections, bodies cut short and bodies that are not valid JSON — whatever the
    method, since SSB's POSTs are queries that change nothing.
    Not retried: any other status >= 400 (400 bad query, 403 too many cells, 404 unknown table
    or URL too long) — :class:`HttpError` at once, with the URL, the query and the server's text.
    ``before_attempt`` is called before every attempt (the StatBank client counts attempts
    against its rate limit there). ``raw`` is the decoded (un-gzipped) body.
    """
    full_url = build_url(url, params)
    method = method.upper()
    data, request_headers = _encode_body(body, headers)
    query_text = _describe_query(full_url, data)
    retry = BackoffRetry(
        total=retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # retry POST too: a StatBank data query is safe to repeat
        backoff_factor=backoff,
        raise_on_status=False,  # give back the last 429/5xx, so the error can quote the server
        # One random source for all the waits, so a seeded rng gives a reproducible series.
        waits=Waits(sleep, rng if rng is not None else random.Random(), before_attempt),
    )
    if before_attempt is not None:
        before_attempt()
    while True:
        try:
            status, raw, retry, fault = _send(method, full_url, data, request_headers, timeout, retry)
        except (requests.ConnectionError, requests.Timeout) as exc:  # urllib3 ran out of retries
            attempts = retries + 1
            raise HttpError(
                f"{method} {full_url}{query_text} failed after {_count(attempts)}; "
                f"last cause: {_transport_cause(exc, timeout)}",
                status=None,
                url=full_url,
                attempts=attempts,
                transient=True,
            ) from exc
        attempts = len(retry.history) + 1
        excerpt = _excerpt(raw.decode("utf-8", errors="replace"))
        if fault is None and status >= 400:
            if status not in RETRY_STATUSES:
                raise HttpError(
                    f"HTTP {status} for {method} {full_url}{query_text}: {server_error_text(raw)}",
                    status=status,
                    url=full_url,
                    body_excerpt=excerpt,
                    attempts=attempts,
                    transient=False,
                )
            raise HttpError(  # urllib3 retried this status until the retries ran out
                f"{method} {full_url}{query_text} failed after {_count(attempts)}; "
                f"last cause: HTTP {status}: {server_error_text(raw)}",
                status=status,
                url=full_url,
                body_excerpt=excerpt,
                attempts=attempts,
                transient=True,
            )
        if fault is None:
            try:
                return json.loads(raw), raw, status
            except ValueError as exc:  # also UnicodeDecodeError
                fault = f"truncated or unparseable JSON body ({len(raw)} bytes: {exc})"
        # requests reads the body after urllib3's retry loop has returned, so urllib3 never sees
        # a bad body. Count it as one more attempt on the same Retry, as urllib3 would, and wait.
        try:
            retry = retry.increment(method, full_url, error=BodyFault(fault))
        except MaxRetryError as exc:
            raise HttpError(
                f"{method} {full_url}{query_text} failed after {_count(attempts)}; last cause: {fault}",
                status=status,
                url=full_url,
                attempts=attempts,
                transient=True,
            ) from exc
        retry.sleep()


def _send(
    method: str, url: str, data: bytes | None, headers: dict[str, str], timeout: float, retry: Retry
) -> tuple[int, bytes, Retry, str | None]:
    """One round of urllib3 attempts: ``(status, body, retry state after the round, body fault)``.

    A fresh session per round carries the retries still left. SSB gets one request at a time, at
    most 30 a minute, so the connection reuse a long-lived session would give is worth nothing.
    """
    with requests.Session() as session:
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # stream=True: read the body here, where a broken one can be told apart from no answer.
        with session.request(
            method, url, data=data, headers=headers, timeout=timeout, stream=True
        ) as response:
            spent = response.raw.retries or retry
            try:
                return response.status_code, response.content, spent, None
            except requests.RequestException as exc:  # cut short, bad gzip, stalled mid-body
                return response.status_code, b"", spent, f"body cut short or damaged: {exc}"


def _transport_cause(exc: Exception, timeout: float) -> str:
    """Why no response came back, from the last error urllib3 saw."""
    reason = _last_retry_reason(exc)
    if isinstance(reason, NewConnectionError):  # refused, unknown host, ... (a ConnectTimeoutError)
        return f"connection failed: {reason}"
    if isinstance(reason, ConnectTimeoutError):
        return f"timeout: could not connect within {timeout:g} s"
    if isinstance(reason, ReadTimeoutError):
        return f"timeout: no answer within {timeout:g} s"
    if isinstance(reason, ProtocolError):
        return f"connection dropped: {reason}"
    return f"connection failed: {reason}"


def _last_retry_reason(exc: BaseException) -> BaseException:
    """The error behind urllib3's ``MaxRetryError`` that requests wrapped ``exc`` around."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, MaxRetryError) and seen.reason is not None:
            return seen.reason
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
