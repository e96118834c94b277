"""A polite, robust StatBank client (issue 19, point 6): one rate limiter per server for the whole
process, exact at the window's edge; a deadline per attempt that a body trickling in cannot
escape, and one for the whole request. Against the local fake server, with SSB's 60 s window
scaled down to a second, or on a fake clock."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from pipelines.resources import KLASS_URL, STATBANK_URL
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.http import HttpError, request_json
from pipelines.ssb.klass import KlassClient
from pipelines.ssb.ratelimit import RateLimiter, limiter_for
from pipelines.ssb.statbank import StatbankClient, StatbankQuery
from tests.ssb_fake_server import FakeResponse, FakeSSB, json_response, jsonstat_07459
from tests.test_ssb_statbank import QUERY, FakeTime, population


@pytest.fixture
def fake():
    with FakeSSB() as server:
        yield server


WINDOW = 1.0  # SSB's 60 s, scaled down so the test takes seconds
SSB_LIMIT = 30  # calls per window, enforced by the fake server with 429 as SSB does
MARGIN_LIMIT = 27  # what the client allows itself (pipelines.ssb.ratelimit.DEFAULT_MAX_CALLS)


def most_in_any_window(times: list[float], window: float) -> int:
    """The most of ``times`` that fall in one closed window ``[t, t + window]``."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u <= t + window) for i, t in enumerate(times))


def forty_queries_from_two_clients(fake: FakeSSB, tmp_path: Path, limiters: list[RateLimiter | None]):
    """Two clients in two threads, 20 queries each (each also asks for the table's metadata)."""
    fake.add_table(jsonstat_07459(population()))
    clients = [
        StatbankClient(
            fake.statbank_url, ResponseCache(tmp_path / f"c{i}"), "live", retries=0, limiter=limiter
        )
        for i, limiter in enumerate(limiters)
    ]
    queries = [
        StatbankQuery("07459", {"Region": [region], "ContentsCode": ["Personer1"], "Tid": [str(year)]})
        for region in ("0301", "1103")
        for year in range(2020, 2025)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients))

    def work(client: StatbankClient) -> None:
        barrier.wait()
        for query in queries * 2:
            try:
                client.fetch(query)
            except Exception as exc:  # counted below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_clients_share_one_limiter_and_never_meet_a_429(tmp_path):
    with FakeSSB() as fake:
        fake.rate_limit = (SSB_LIMIT, WINDOW)
        limiter_for(fake.statbank_url).configure(MARGIN_LIMIT, WINDOW)
        errors = forty_queries_from_two_clients(fake, tmp_path, [None, None])  # both: the process's
    statuses = [r.status for r in fake.requests]
    assert errors == [] and statuses.count(429) == 0
    assert statuses.count(200) == 2 + 40  # the metadata calls count too
    assert most_in_any_window([r.started for r in fake.requests], WINDOW) <= MARGIN_LIMIT


def test_control_a_limiter_per_client_meets_429s(tmp_path):
    """Control for the test above: each client with a limiter of its own (what the client did
    before) lets twice the limit through, and the same checks see the 429s."""
    with FakeSSB() as fake:
        fake.rate_limit = (SSB_LIMIT, WINDOW)
        errors = forty_queries_from_two_clients(
            fake, tmp_path, [RateLimiter(MARGIN_LIMIT, WINDOW), RateLimiter(MARGIN_LIMIT, WINDOW)]
        )
    assert [r.status for r in fake.requests].count(429) > 0 and errors


def test_statbank_and_klass_share_the_limiter_of_their_server(tmp_path):
    assert limiter_for(STATBANK_URL) is limiter_for(KLASS_URL)  # both data.ssb.no
    assert limiter_for("https://data.ssb.no:443/api") is limiter_for(STATBANK_URL)
    with FakeSSB() as fake:
        fake.add_table(jsonstat_07459(population()))
        fake.add_klass_codes(131, "2024-01-01", [("0301", "Oslo")])
        shared = limiter_for(fake.base_url)
        shared.configure(2, 0.5)
        statbank = StatbankClient(fake.statbank_url, ResponseCache(tmp_path / "s"), "live")
        assert statbank.limiter is shared
        statbank.fetch(QUERY)  # metadata and data: the window's two calls
        KlassClient(fake.klass_url, ResponseCache(tmp_path / "k"), "live").codes_at(131, "2024-01-01")
    first, _data, klass = fake.requests
    assert klass.path.endswith("/codesAt")
    assert klass.started - first.finished >= 0.5  # the KLASS call waited for StatBank's window


# Exactness at the edge of the window, on a fake clock ---------------------------------------------


def test_a_slot_is_held_until_a_window_after_the_call_ended():
    """SSB sees a call somewhere between sending and answer; counting from the send lets the
    fourth call reach the server less than a window after the first."""
    fake_time = FakeTime(start=0.0)
    limiter = RateLimiter(3, 10, clock=fake_time.clock, sleep=fake_time.sleep)
    sent, done = [], []
    for _ in range(4):
        with limiter.call():
            sent.append(fake_time.now)
            fake_time.now += 2.0  # the call takes 2 s on the network
        done.append(fake_time.now)
    assert sent[:3] == [0.0, 2.0, 4.0]
    assert sent[3] == done[0] + 10 == 12.0  # not sent[0] + 10


@pytest.mark.parametrize("seed", range(20))
def test_no_window_ever_holds_one_call_too_many(seed):
    """Odd clock readings and windows: every call is at least a full window after the call
    ``max_calls`` before it ended, compared on the very readings stored (no float rounding lets
    one more in)."""
    rng = random.Random(seed)
    fake_time = FakeTime(start=rng.uniform(0, 1e6))
    max_calls, window = rng.randint(1, 30), rng.uniform(0.01, 100)
    limiter = RateLimiter(max_calls, window, clock=fake_time.clock, sleep=fake_time.sleep)
    sent, done = [], []
    for _ in range(3 * max_calls + 5):
        fake_time.now += rng.choice([0.0, rng.uniform(0, window / 10)])
        with limiter.call():
            sent.append(fake_time.now)
            fake_time.now += rng.choice([0.0, rng.uniform(0, window / 50)])
        done.append(fake_time.now)
    assert all(sent[k + max_calls] - done[k] >= window for k in range(len(sent) - max_calls))


# Deadlines ---------------------------------------------------------------------------------------


def timed_failure(call) -> tuple[HttpError, float]:
    started = time.monotonic()
    with pytest.raises(HttpError) as caught:
        call()
    return caught.value, time.monotonic() - started


def test_a_body_that_trickles_in_cannot_outlast_the_attempt_deadline(fake):
    body = json.dumps({"ok": True, "padding": "x" * 80}).encode()  # ~100 bytes: 5 s at 0.05 s a byte
    fake.set_default("GET", "/trickle", FakeResponse(body=body, trickle=0.05))
    error, elapsed = timed_failure(
        lambda: request_json("GET", fake.base_url + "/trickle", timeout=1.0, retries=1, backoff=0.01)
    )
    assert "not complete within 1 s" in str(error) and error.transient and error.attempts == 2
    assert elapsed < 2 * 1.0 + 0.6  # two attempts of 1 s each, not two of 5 s


def test_no_wait_for_the_next_byte_outlasts_the_attempt_deadline(fake):
    """A byte every 0.9 s: checking only between chunks would end the attempt at 1.8 s."""
    fake.set_default("GET", "/slow-bytes", FakeResponse(body=b'{"ok": true}', trickle=0.9))
    error, elapsed = timed_failure(
        lambda: request_json("GET", fake.base_url + "/slow-bytes", timeout=1.0, retries=0)
    )
    assert "not complete within 1 s" in str(error)
    assert elapsed < 1.5


def test_a_hung_server_costs_no_more_than_the_total_deadline(fake):
    fake.set_default("GET", "/hung", json_response({"ok": True}, delay=60))  # never answers in time
    error, elapsed = timed_failure(
        lambda: request_json(
            "GET", fake.base_url + "/hung", timeout=0.5, retries=10, backoff=0.05, total_deadline=2.0
        )
    )
    message = str(error)
    assert "total deadline of 2 s" in message and "timeout: no answer within 0.5 s" in message
    assert error.transient and error.status is None and 2 <= error.attempts <= 4
    assert elapsed <= 2.0 + 0.3  # not 11 attempts of 0.5 s


def test_waits_count_against_the_total_deadline(fake):
    """Backoff and a long Retry-After are part of the budget: the client gives up rather than
    sleep past it."""
    fake_time = FakeTime()
    limiter = RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep)
    fake.set_default("GET", "/busy", FakeResponse(status=503))
    options = dict(retries=20, timeout=5, total_deadline=60, sleep=fake_time.sleep, clock=fake_time.clock)
    with pytest.raises(HttpError, match="total deadline of 60 s") as caught:
        request_json(
            "GET", fake.base_url + "/busy", backoff=4, rng=random.Random(1), limiter=limiter, **options
        )
    assert sum(fake_time.sleeps) + 5 <= 60 and 1 < caught.value.attempts < 21

    fake_time.sleeps.clear()
    fake.set_default("GET", "/later", FakeResponse(status=429, headers={"Retry-After": "300"}))
    with pytest.raises(HttpError, match=r"gave up after 1 attempt .*waiting 300\.0 s.*HTTP 429"):
        request_json("GET", fake.base_url + "/later", limiter=limiter, **options)
    assert fake_time.sleeps == []


def test_a_client_passes_its_deadlines_on(fake, tmp_path):
    fake.set_default("GET", FakeSSB.statbank_path("07459", "metadata"), json_response({}, delay=60))
    client = StatbankClient(
        fake.statbank_url,
        ResponseCache(tmp_path),
        "live",
        timeout=0.3,
        retries=5,
        backoff=0.01,
        total_deadline=1,
    )
    error, elapsed = timed_failure(lambda: client.metadata("07459"))
    assert "total deadline of 1 s" in str(error) and elapsed < 1.3


# allow_stale: every kind of failure falls back on the cached copy -------------------------------

DATA = FakeSSB.statbank_path("07459", "data")
GOOD_BODY = b'{"class": "dataset", "version": "2.0"}' + b" " * 100  # padding: trickles for 7 s
FAILURES = {  # kind: (what the fake server does to the data request, what the warning names)
    "timeout": (FakeResponse(body=GOOD_BODY, delay=5), "timeout: no answer within 0.3 s"),
    "trickling body": (FakeResponse(body=GOOD_BODY, trickle=0.05), "not complete within 0.3 s"),
    "HTTP 400": (FakeResponse(status=400, body={"title": "Non-existent value"}), "HTTP 400"),
    "HTTP 403": (FakeResponse(status=403, body={"title": "Too many cells selected"}), "HTTP 403"),
    "HTTP 404": (FakeResponse(status=404, body={"title": "Non-existent table"}), "HTTP 404"),
    "HTTP 429": (FakeResponse(status=429), "HTTP 429"),
    "HTTP 500": (FakeResponse(status=500, body=b"Internal Server Error"), "HTTP 500"),
    "HTTP 503": (FakeResponse(status=503, body=b"down for maintenance"), "HTTP 503"),
    "redirect": (FakeResponse(status=301, headers={"Location": "https://elsewhere/"}), "redirected"),
    "dropped connection": (FakeResponse(drop=True), "connection dropped"),
    "connection refused": (None, "connection failed"),  # the server is gone
    "invalid JSON": (FakeResponse(body=b'{"class": "dataset", "value": [1, 2'), "unparseable JSON"),
    "invalid JSON-stat": (FakeResponse(body={"error": "busy, try later"}), "not valid JSON-stat2"),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_allow_stale_falls_back_on_every_kind_of_failure(fake, tmp_path, caplog, kind):
    fake.add_table(jsonstat_07459(population()))

    def client(cache: Path, **options) -> StatbankClient:
        options = {"timeout": 0.3, "retries": 0, "limiter": RateLimiter(), **options}
        return StatbankClient(fake.statbank_url, ResponseCache(cache), "live", **options)

    good = client(tmp_path / "cache").fetch(QUERY)
    response, named = FAILURES[kind]
    if response is None:
        fake.stop()
    else:
        fake.route("POST", DATA, lambda request: response)

    with caplog.at_level("WARNING", logger="pipelines.ssb.statbank"):
        stale = client(tmp_path / "cache", allow_stale=True).fetch(QUERY)
    assert stale.stale and not good.stale
    pd.testing.assert_frame_equal(stale.frame, good.frame)
    warnings = [r.getMessage() for r in caplog.records if "using the cached response" in r.getMessage()]
    assert warnings and named in warnings[-1] and "07459" in warnings[-1]

    with pytest.raises((HttpError, ValueError), match=rf"(?s){named}.*allow_stale=True"):
        client(tmp_path / "cache").fetch(QUERY)  # without allow_stale: the failure, and a hint
    with pytest.raises((HttpError, ValueError), match=rf"(?s){named}.*No cached copy .*to fall back on"):
        client(tmp_path / "empty", allow_stale=True).fetch(QUERY)  # nothing to fall back on
