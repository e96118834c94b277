"""A polite, robust StatBank client (issue 19, point 6): one rate limiter per server for the whole
process, exact at the window's edge. Against the local fake server, with SSB's 60 s window
scaled down to a second, or on a fake clock."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

from pipelines.resources import KLASS_URL, STATBANK_URL
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.klass import KlassClient
from pipelines.ssb.ratelimit import RateLimiter, limiter_for
from pipelines.ssb.statbank import StatbankClient, StatbankQuery
from tests.ssb_fake_server import FakeSSB, jsonstat_07459
from tests.test_ssb_statbank import QUERY, FakeTime, population

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
