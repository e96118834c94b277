"""One rate limiter per server and process, which every call to Statistics Norway passes through.

SSB allows **30 queries per 60 s per IP address** and asks that queries run one after the other
(``shared/docs/ssb_api.md`` §1). :func:`limiter_for` hands out one :class:`RateLimiter` per server
(host and port) for the whole process; :func:`pipelines.ssb.http.request_json` takes a slot of
it for every attempt, retries included, so every client instance and every kind of call
(metadata, data, table search, KLASS code lists: all on ``data.ssb.no``) shares one budget and no
call path can go around it.

The default is **27 calls per 60 s** (:data:`DEFAULT_MAX_CALLS`, :data:`DEFAULT_WINDOW_SECONDS`):
SSB counts per IP, so three calls are left for what this process cannot see (a notebook, a second
process, a colleague behind the same address), and for how SSB counts at the edge of its window,
which it does not publish.

Counting is exact at the window's edge. A call holds its slot from when it is sent until
``window_seconds`` after its answer came back (or it failed), and a new call goes only when the
oldest of the last ``max_calls`` finished at least ``window_seconds`` earlier, compared on the
same clock readings that are stored. The server sees each call at some moment between those two,
so however slow the network, no window of ``window_seconds`` at the server holds more than
``max_calls`` of them. (Counting from when a call is *sent* let 31 calls reach the server within
59.997 s: a call counted at once can arrive later than the next one's window expects.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SSB_MAX_CALLS = 30  # SSB's published limit: 30 queries ...
SSB_WINDOW_SECONDS = 60.0  # ... per 60 s, per IP address
DEFAULT_MAX_CALLS = 27
DEFAULT_WINDOW_SECONDS = 60.0
# A wait computed in floating point can come out a hair short; sleep at least this, then check again.
MIN_SLEEP_SECONDS = 0.001


@dataclass
class _Call:
    sent: float
    done: float | None = None  # None while the call is in flight


class RateLimiter:
    """At most ``max_calls`` calls in any ``window_seconds``, for every thread that uses it.

    ``with limiter.call(): <send one HTTP attempt>`` waits for a slot and holds it (see the module
    docstring). ``with limiter.turn: <one request, all its attempts>`` keeps one request in flight
    per server, as SSB asks. ``clock`` and ``sleep`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check_limit(max_calls, window_seconds)
        self.clock = clock
        self.sleep = sleep
        self.turn = threading.RLock()
        self.max_calls = max_calls
        self.window_seconds = float(window_seconds)
        self._lock = threading.Lock()  # guards the record of calls; never held while sleeping
        # Only the last max_calls calls can decide whether the next one may go.
        self._calls: deque[_Call] = deque(maxlen=max_calls)

    def configure(self, max_calls: int, window_seconds: float) -> None:
        """Change the limit; the calls already made count against the new one."""
        _check_limit(max_calls, window_seconds)
        with self._lock:
            if (max_calls, float(window_seconds)) == (self.max_calls, self.window_seconds):
                return
            self.max_calls = max_calls
            self.window_seconds = float(window_seconds)
            self._calls = deque(self._calls, maxlen=max_calls)
        log.info("rate limit set to %d calls per %g s", max_calls, window_seconds)

    @contextmanager
    def call(self) -> Iterator[None]:
        """Wait for a slot and hold it for one call (the block); it stays taken until
        ``window_seconds`` after the block ends."""
        record = self._take()
        try:
            yield
        finally:
            with self._lock:
                record.done = self.clock()

    def wait_needed(self, after: float = 0.0) -> float:
        """How long a call made ``after`` seconds from now would wait for its slot (0: none),
        if nobody else takes one meanwhile."""
        with self._lock:
            return self._wait(self.clock() + after)

    def _take(self) -> _Call:
        while True:
            with self._lock:
                now = self.clock()
                wait = self._wait(now)
                if wait <= 0:
                    record = _Call(now)
                    self._calls.append(record)
                    return record
            log.info(
                "rate limit: %d calls within %g s; waiting %.1f s", self.max_calls, self.window_seconds, wait
            )
            self.sleep(max(wait, MIN_SLEEP_SECONDS))

    def _wait(self, now: float) -> float:
        if len(self._calls) < self.max_calls:
            return 0.0
        # A call still in flight finishes no earlier than now.
        oldest_done = min(now if c.done is None else c.done for c in self._calls)
        # Compare the stored readings themselves: ``oldest_done + window - now`` can round to 0
        # a hair too early.
        if now - oldest_done >= self.window_seconds:
            return 0.0
        return max(oldest_done + self.window_seconds - now, MIN_SLEEP_SECONDS)


def _check_limit(max_calls: int, window_seconds: float) -> None:
    if max_calls < 1 or not window_seconds > 0:
        raise ValueError(
            f"rate limit: max_calls must be at least 1 and window_seconds above 0, "
            f"not {max_calls!r} and {window_seconds!r}"
        )


_LIMITERS: dict[tuple[str, int | None], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(url: str) -> RateLimiter:
    """The process's :class:`RateLimiter` for the server ``url`` points at (created with the
    defaults on first use). StatBank and KLASS are both ``data.ssb.no``, so they share one."""
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    key = ((parts.hostname or "").lower(), parts.port or default_port)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter()
        return _LIMITERS[key]
