"""JSON over HTTP with retries, exponential backoff with full jitter, and errors a person can act on.

Statistics Norway's APIs fail in a few known ways (see ``shared/docs/ssb_api.md`` §1): 429 when a
client passes 30 calls a minute, 503 during maintenance, dropped connections, and now and then a
body cut short. Those are transient: :func:`request_json` waits and tries again. 400/403/404 mean
the request itself is wrong (a misspelt code, too many cells, an unknown table): trying again
cannot help, so they raise at once with the server's own explanation.
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

log = logging.getLogger(__name__)

# Statuses worth another try: rate limiting, and server or gateway trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# PxWeb v2 wants literal brackets in `valueCodes[Region]` and reads `*`, `(`, `)` and `,` in
# expressions such as `from(2019)`; keeping them literal makes URLs look like SSB's examples.
URL_SAFE_CHARS = "[]*(),"
DEFAULT_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "User-Agent": "boligsosial-indikatorer (pipelines.ssb; Python urllib)",
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
    a 429/503 that sends one. Retried: 429, 500, 502, 503, 504, socket timeouts, refused, reset
    or dropped connections, bodies cut short and bodies that are not valid JSON.
    Not retried: any other status >= 400 (400 bad query, 403 too many cells, 404 unknown table
    or URL too long) — :class:`HttpError` at once, with the URL, the query and the server's text.
    ``before_attempt`` is called before every attempt (the StatBank client counts attempts
    against its rate limit there). ``raw`` is the decoded (un-gzipped) body.
    """
    rng = rng if rng is not None else random.Random()
    full_url = build_url(url, params)
    method = method.upper()
    data, request_headers = _encode_body(body, headers)
    query_text = _describe_query(full_url, data)
    attempts = retries + 1
    cause = ""
    last_status: int | None = None
    last_excerpt = ""
    for attempt in range(attempts):
        if before_attempt is not None:
            before_attempt()
        retry_after: float | None = None
        try:
            status, response_headers, raw = _send(method, full_url, data, request_headers, timeout)
        except TimeoutError:
            cause, last_status, last_excerpt = f"timeout: no answer within {timeout:g} s", None, ""
        except urllib.error.URLError as exc:  # connect failures arrive wrapped
            if isinstance(exc.reason, TimeoutError):
                cause = f"timeout: could not connect within {timeout:g} s"
            else:
                cause = f"connection failed: {exc.reason!r}"
            last_status, last_excerpt = None, ""
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            # RemoteDisconnected, ConnectionResetError, IncompleteRead, BadStatusLine, ...
            cause, last_status, last_excerpt = f"connection dropped: {exc!r}", None, ""
        except _BodyDecodeError as exc:
            cause, last_status, last_excerpt = str(exc), exc.status, ""
        else:
            last_status, last_excerpt = status, _excerpt(raw.decode("utf-8", errors="replace"))
            if status in RETRY_STATUSES:
                cause = f"HTTP {status}: {server_error_text(raw)}"
                if status in (429, 503):
                    retry_after = _retry_after_seconds(response_headers.get("Retry-After"))
            elif status >= 400:
                raise HttpError(
                    f"HTTP {status} for {method} {full_url}{query_text}: {server_error_text(raw)}",
                    status=status,
                    url=full_url,
                    body_excerpt=last_excerpt,
                    attempts=attempt + 1,
                    transient=False,
                )
            else:
                try:
                    return json.loads(raw), raw, status
                except ValueError as exc:  # also UnicodeDecodeError
                    cause = f"truncated or unparseable JSON body ({len(raw)} bytes: {exc})"
        if attempt + 1 < attempts:
            delay = retry_after if retry_after is not None else rng.uniform(0, backoff * 2**attempt)
            log.warning(
                "%s %s: %s; retry %d of %d in %.1f s", method, full_url, cause, attempt + 1, retries, delay
            )
            sleep(delay)
    raise HttpError(
        f"{method} {full_url}{query_text} failed after {attempts} attempt{'s' if attempts != 1 else ''}; "
        f"last cause: {cause}",
        status=last_status,
        url=full_url,
        body_excerpt=last_excerpt,
        attempts=attempts,
        transient=True,
    )


class _BodyDecodeError(Exception):
    """A compressed body that does not decompress: it was cut short on the way."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _send(
    method: str, url: str, data: bytes | None, headers: dict[str, str], timeout: float
) -> tuple[int, Mapping[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, response_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:  # a real HTTP answer with status >= 400
        status, response_headers = exc.code, exc.headers
        raw = exc.read() if exc.fp is not None else b""
    if (response_headers.get("Content-Encoding") or "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise _BodyDecodeError(
                f"gzip body cut short or damaged ({len(raw)} bytes: {exc})", status
            ) from exc
    return status, response_headers, raw


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


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " …"
