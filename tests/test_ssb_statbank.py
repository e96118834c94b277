"""StatBank client, HTTP retries, response cache and JSON-stat2 decoding — all against a local fake server.

Nothing here touches the internet: every request goes to ``FakeSSB`` on 127.0.0.1. Backoff and
rate-limit waits go through a fake clock, so nothing sleeps for real (except the timeout test,
which waits for a 0.3 s socket timeout twice).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.ssb.cache import CacheCorruptedError, ResponseCache
from pipelines.ssb.http import HttpError, build_url, request_json, server_error_text
from pipelines.ssb.jsonstat import decode
from pipelines.ssb.ratelimit import RateLimiter
from pipelines.ssb.statbank import StatbankClient, StatbankQuery, resolve_selection
from tests.ssb_fake_server import FakeResponse, FakeSSB, json_response, jsonstat_07459, subset_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "ssb"
DATA_PATH = FakeSSB.statbank_path("07459", "data")
METADATA_PATH = FakeSSB.statbank_path("07459", "metadata")


class FakeTime:
    """A clock that only moves when something sleeps (or the test moves it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def population(
    regions=("0301", "1103", "K-3103"), years=range(2020, 2026), contents=("Personer1",)
) -> pd.DataFrame:
    """A small long frame for ``jsonstat_07459``: deterministic values, one '..' cell."""
    rows = []
    for r, region in enumerate(regions):
        for c, content in enumerate(contents):
            for year in years:
                rows.append(
                    {
                        "Region": region,
                        "ContentsCode": content,
                        "Tid": str(year),
                        "value": 1000 * r + 10 * c + year,
                    }
                )
    frame = pd.DataFrame(rows)
    frame.loc[1, "value"] = np.nan  # second year of the first region: not yet available
    frame.loc[1, "status"] = ".."
    return frame


@pytest.fixture
def fake():
    with FakeSSB() as server:
        yield server


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_client(fake: FakeSSB, tmp_path: Path, fake_time: FakeTime, **options) -> StatbankClient:
    options.setdefault("retries", 3)
    # A limiter of the test's own, on the fake clock: waits for a slot cost no real time.
    options.setdefault("limiter", RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep))
    return StatbankClient(
        fake.statbank_url,
        ResponseCache(tmp_path / "cache"),
        options.pop("mode", "live"),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **options,
    )


QUERY = StatbankQuery(
    "07459", {"Region": ["0301", "K-3103"], "ContentsCode": ["Personer1"], "Tid": ["from(2024)"]}
)


# JSON-stat2 decoding ---------------------------------------------------------------------------


def test_decode_05300_recorded_response():
    document = json.loads((FIXTURES / "jsonstat2_05300.json").read_text(encoding="utf-8"))
    frame, metadata = decode(document)

    assert list(frame.columns) == ["Avstand1", "Kulturtilbud", "ContentsCode", "Tid", "value", "status"]
    assert len(frame) == 6 * 8 * 1 * 9
    first = frame.iloc[0]
    assert (first.Avstand1, first.Kulturtilbud, first.ContentsCode, first.Tid, first.value) == (
        "01",
        "01",
        "Avstand",
        "1991",
        16.0,
    )
    assert first.status is None
    # Row-major: Tid is fastest, then ContentsCode, Kulturtilbud, Avstand1.
    assert frame.iloc[1].Tid == "1994" and frame.iloc[9].Kulturtilbud == "02"
    cell_71 = frame.iloc[71]
    assert (cell_71.Avstand1, cell_71.Kulturtilbud, cell_71.Tid) == ("01", "08", "2021")
    assert np.isnan(cell_71.value) and cell_71.status == "."
    cell_360 = frame.iloc[360]
    assert (cell_360.Avstand1, cell_360.Kulturtilbud, cell_360.Tid) == ("06", "01", "1991")
    assert np.isnan(cell_360.value) and cell_360.status == ".."
    assert frame["status"].notna().sum() == len(document["status"])
    assert frame["value"].isna().sum() == len(document["status"])
    assert frame["Avstand1"].map(type).eq(str).all()

    assert metadata["table_id"] == "05300"
    assert metadata["updated"] == "2022-05-24T06:00:00Z"
    assert metadata["source"] == "Statistisk sentralbyrå"
    assert metadata["label"].startswith("05300: Avstand")
    assert metadata["units"] == {"Avstand": {"base": "prosent", "decimals": 0}}
    assert metadata["dimensions"]["Kulturtilbud"]["categories"]["08"] == "Bokhandel"


def small_document(values, status, *, index_as_list: bool = False) -> dict:
    index = ["0301", "1103"] if index_as_list else {"0301": 0, "1103": 1}
    return {
        "class": "dataset",
        "label": "Test",
        "updated": "2025-01-01T00:00:00Z",
        "id": ["Region", "Tid"],
        "size": [2, 2],
        "dimension": {
            "Region": {"label": "region", "category": {"index": index}},
            "Tid": {"label": "år", "category": {"index": ["2024", "2025"]}},
        },
        "value": values,
        "status": status,
    }


def test_decode_zero_and_preliminary_symbols_and_list_forms():
    document = small_document([None, 5, 7, None], ["-", "*", None, ":"], index_as_list=True)
    frame, metadata = decode(document)
    assert frame["Region"].tolist() == ["0301", "0301", "1103", "1103"]
    assert frame["Tid"].tolist() == ["2024", "2025", "2024", "2025"]
    assert frame["value"].iloc[0] == 0.0 and frame["status"].iloc[0] == "-"
    assert frame["value"].iloc[1] == 5.0 and frame["status"].iloc[1] == "*"
    assert frame["value"].iloc[2] == 7.0 and frame["status"].iloc[2] is None
    assert np.isnan(frame["value"].iloc[3]) and frame["status"].iloc[3] == ":"
    assert metadata["table_id"] is None


def test_decode_every_missing_symbol_is_null_with_its_status():
    document = small_document([None, None, None, None], {"0": ".", "1": "..", "2": "...", "3": ":"})
    frame, _ = decode(document)
    assert frame["value"].isna().all()
    assert frame["status"].tolist() == [".", "..", "...", ":"]
    # A suppressed symbol wins even if a number came with it: never publish a ':' cell.
    frame, _ = decode(small_document([1, 2, 3, 4], {"3": ":"}))
    assert frame["value"].iloc[:3].tolist() == [1.0, 2.0, 3.0] and np.isnan(frame["value"].iloc[3])


def test_decode_rejects_inconsistent_documents():
    with pytest.raises(ValueError, match=r"'value' has 3 entries but the product of 'size' is 4"):
        decode(small_document([1, 2, 3], None))
    bad = small_document([1, 2, 3, 4], None)
    bad["size"] = [2, 2, 1]
    with pytest.raises(ValueError, match=r"'id' has 2 dimensions but 'size' has 3"):
        decode(bad)
    bad = small_document([1, 2, 3, 4], None)
    bad["size"] = [2, 3]
    with pytest.raises(ValueError, match=r"dimension 'Tid' has size 3 but 2 categories"):
        decode(bad)


# HTTP: retries, errors, URLs -------------------------------------------------------------------


def test_build_url_keeps_pxweb_brackets_and_expressions():
    url = build_url(
        "https://data.ssb.no/api/pxwebapi/v2/tables/07459/data",
        {
            "lang": "no",
            "valueCodes[Region]": "0301,1103",
            "valueCodes[Tid]": "from(2019)",
            "codelist[Region]": "vs_Kommun",
        },
    )
    assert url == (
        "https://data.ssb.no/api/pxwebapi/v2/tables/07459/data?lang=no&valueCodes[Region]=0301,1103"
        "&valueCodes[Tid]=from(2019)&codelist[Region]=vs_Kommun"
    )
    assert build_url("http://x/a?lang=no", {"valueCodes[Tid]": ["2024", "2025"]}) == (
        "http://x/a?lang=no&valueCodes[Tid]=2024,2025"
    )


def test_server_error_text_reads_v2_and_v1_bodies():
    assert server_error_text((FIXTURES / "pxweb_v2_error_400_nonexistent_value.json").read_bytes()) == (
        "Non-existent value; type: Parameter error"
    )
    assert server_error_text((FIXTURES / "pxweb_v1_error_403_too_many_values.json").read_bytes()) == (
        "Too many values selected"
    )
    assert server_error_text(b"<html>Bad gateway</html>") == "<html>Bad gateway</html>"


def test_429_then_success_honours_retry_after(fake, fake_time):
    path = "/echo"
    fake.script(
        "GET",
        path,
        FakeResponse(status=429, body={"title": "Too many requests"}, headers={"Retry-After": "7"}),
    )
    fake.set_default("GET", path, json_response({"ok": True}))
    document, raw, status = request_json("GET", fake.base_url + path, sleep=fake_time.sleep)
    assert (document, status) == ({"ok": True}, 200)
    assert json.loads(raw) == {"ok": True}
    assert fake_time.sleeps == [7.0]
    assert len(fake.requests_to(path)) == 2


def test_503_three_times_then_success_backs_off_with_full_jitter(fake, fake_time):
    path = "/flaky"
    fake.script("GET", path, *[FakeResponse(status=503, body=b"Service Unavailable")] * 3)
    fake.set_default("GET", path, json_response({"ok": True}))
    document, _, _ = request_json(
        "GET", fake.base_url + path, retries=4, backoff=1.0, sleep=fake_time.sleep, rng=random.Random(1)
    )
    assert document == {"ok": True}
    assert len(fake.requests_to(path)) == 4
    expected = random.Random(1)
    assert fake_time.sleeps == [expected.uniform(0, 1.0 * 2**k) for k in range(3)]
    assert all(0 <= delay <= 2**k for k, delay in enumerate(fake_time.sleeps))


def test_gzip_encoded_answer_is_decoded(fake, fake_time):
    fake.set_default("GET", "/gz", json_response({"navn": "Tromsø"}, gzip=True))
    document, raw, _ = request_json("GET", fake.base_url + "/gz", sleep=fake_time.sleep)
    assert (
        document == {"navn": "Tromsø"} and raw == json.dumps({"navn": "Tromsø"}, ensure_ascii=False).encode()
    )


def test_400_raises_at_once_naming_table_query_status_and_server_text(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    body = (FIXTURES / "pxweb_v2_error_400_nonexistent_value.json").read_bytes()
    fake.script("POST", DATA_PATH, FakeResponse(status=400, body=body))
    client = make_client(fake, tmp_path, fake_time)
    with pytest.raises(HttpError) as caught:
        client.fetch(QUERY)
    error = caught.value
    message = str(error)
    assert error.status == 400 and not error.transient
    assert "07459" in message and "HTTP 400" in message
    assert '"variableCode":"Region"' in message and "K-3103" in message and "from(2024)" in message
    assert "Non-existent value" in message
    assert len(fake.requests_to(DATA_PATH)) == 1 and fake_time.sleeps == []


def test_404_for_unknown_table_is_not_retried(fake, tmp_path, fake_time):
    client = make_client(fake, tmp_path, fake_time)
    with pytest.raises(HttpError, match=r"HTTP 404.*Non-existent table") as caught:
        client.fetch(StatbankQuery("99999", {"Tid": ["2024"]}))
    assert caught.value.status == 404
    assert "/tables/99999/metadata" in caught.value.url
    assert len(fake.requests) == 1 and fake_time.sleeps == []


def test_403_too_many_cells_from_server_is_not_retried(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    fake.max_cells = 2  # the server is stricter than the client thinks
    client = make_client(fake, tmp_path, fake_time)
    with pytest.raises(HttpError, match=r"HTTP 403.*Too many cells selected") as caught:
        client.fetch(QUERY)
    assert caught.value.status == 403
    assert len(fake.requests_to(DATA_PATH)) == 1


def test_truncated_json_body_is_retried_then_succeeds(fake, tmp_path, fake_time):
    dataset = jsonstat_07459(population())
    fake.add_table(dataset)
    full = subset_dataset(dataset, QUERY.selection, max_cells=10**6).payload()
    fake.script(
        "POST",
        DATA_PATH,
        FakeResponse(body=full[: len(full) // 2]),  # well-formed HTTP, JSON cut in half
        FakeResponse(body=full[:100], content_length=len(full)),  # connection closes early
        FakeResponse(drop=True),  # no answer at all
    )
    client = make_client(fake, tmp_path, fake_time)
    result = client.fetch(QUERY)
    assert len(fake.requests_to(DATA_PATH)) == 4
    assert len(fake_time.sleeps) == 3
    assert result.frame["value"].notna().sum() == 4


def test_always_truncated_body_fails_clearly(fake, fake_time):
    fake.set_default("GET", "/always-cut", FakeResponse(body=b'{"class": "dataset", "value": [1, 2'))
    with pytest.raises(HttpError) as caught:
        request_json("GET", fake.base_url + "/always-cut", retries=2, sleep=fake_time.sleep)
    message = str(caught.value)
    assert "failed after 3 attempts" in message and "unparseable JSON" in message
    assert caught.value.transient and caught.value.attempts == 3
    assert len(fake.requests_to("/always-cut")) == 3


def test_slow_server_times_out_is_retried_and_reported(fake, tmp_path, fake_time):
    fake.set_default("GET", METADATA_PATH, FakeResponse(body={"id": []}, delay=1.5))
    client = make_client(fake, tmp_path, fake_time, timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(HttpError) as caught:
        client.metadata("07459")
    elapsed = time.monotonic() - started
    assert caught.value.status is None and caught.value.transient
    assert "timeout" in str(caught.value) and "2 attempts" in str(caught.value)
    assert len(fake.requests_to(METADATA_PATH)) == 2
    assert elapsed < 1.4  # two 0.3 s timeouts, not the server's 1.5 s delay


def test_refused_connection_is_retried_then_reported(fake_time):
    with FakeSSB() as gone:
        url = gone.base_url + "/anything"
    with pytest.raises(HttpError, match=r"failed after 2 attempts; last cause: connection failed") as caught:
        request_json("GET", url, retries=1, sleep=fake_time.sleep)
    assert caught.value.status is None and caught.value.transient and len(fake_time.sleeps) == 1


def test_retry_after_as_an_http_date_is_honoured(fake, fake_time):
    path = "/dated"
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.script("GET", path, FakeResponse(status=503, headers={"Retry-After": when}))
    fake.set_default("GET", path, json_response({"ok": True}))
    document, _, _ = request_json("GET", fake.base_url + path, sleep=fake_time.sleep)
    assert document == {"ok": True}
    assert len(fake_time.sleeps) == 1 and 25 <= fake_time.sleeps[0] <= 30


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(503, "soon"), (500, "7")],  # unreadable; or on a status where SSB's Retry-After means nothing
)
def test_retry_after_falls_back_to_backoff(fake, fake_time, status, retry_after):
    path = "/after"
    fake.script("GET", path, FakeResponse(status=status, headers={"Retry-After": retry_after}))
    fake.set_default("GET", path, json_response({"ok": True}))
    request_json("GET", fake.base_url + path, backoff=0.5, sleep=fake_time.sleep, rng=random.Random(3))
    assert fake_time.sleeps == [random.Random(3).uniform(0, 0.5)]
    assert len(fake.requests_to(path)) == 2


def test_413_with_retry_after_is_a_query_error_not_a_wait(fake, fake_time):
    path = "/too-long"
    fake.set_default(
        "GET", path, FakeResponse(status=413, body=b"URI too long", headers={"Retry-After": "5"})
    )
    with pytest.raises(HttpError, match="HTTP 413") as caught:
        request_json("GET", fake.base_url + path, sleep=fake_time.sleep)
    assert not caught.value.transient and caught.value.attempts == 1
    assert len(fake.requests_to(path)) == 1 and fake_time.sleeps == []


def test_damaged_gzip_body_is_retried(fake, fake_time):
    path = "/bad-gzip"
    fake.script("GET", path, FakeResponse(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    fake.set_default("GET", path, json_response({"ok": True}, gzip=True))
    document, _, _ = request_json("GET", fake.base_url + path, sleep=fake_time.sleep)
    assert document == {"ok": True} and len(fake.requests_to(path)) == 2 and len(fake_time.sleeps) == 1


def test_every_kind_of_retry_shares_one_budget_and_passes_the_rate_limit(fake, fake_time, caplog):
    """Status retries (urllib3's loop) and bad bodies (seen after it) draw on the same retries."""
    path = "/mixed"
    full = json.dumps({"ok": True}).encode()
    fake.script(
        "POST",
        path,
        FakeResponse(status=503),
        FakeResponse(body=full[:5]),  # not JSON
        FakeResponse(drop=True),
        FakeResponse(body=full[:3], content_length=len(full)),  # cut short
        FakeResponse(status=502),
    )
    fake.set_default("POST", path, json_response({"ok": True}))
    limiter = CountingLimiter(fake_time)
    slots = limiter.slots

    with pytest.raises(HttpError) as caught, caplog.at_level("WARNING", logger="pipelines.ssb.http"):
        request_json(
            "POST",
            fake.base_url + path,
            body={"q": 1},
            retries=4,
            sleep=fake_time.sleep,
            limiter=limiter,
        )
    assert caught.value.attempts == 5 and caught.value.status == 502 and caught.value.transient
    assert "failed after 5 attempts; last cause: HTTP 502" in str(caught.value)
    assert len(fake.requests_to(path)) == 5 and len(slots) == 5 and len(fake_time.sleeps) == 4
    assert sum("retry" in record.getMessage() for record in caplog.records) == 4

    fake.script("POST", path, FakeResponse(status=503), FakeResponse(body=full[:5]))
    slots.clear()
    document, _, _ = request_json(
        "POST",
        fake.base_url + path,
        body={"q": 1},
        retries=2,
        sleep=fake_time.sleep,
        limiter=limiter,
    )
    assert document == {"ok": True} and len(slots) == 3


class CountingLimiter(RateLimiter):
    """A limiter on the fake clock that notes the time of every slot it hands out."""

    def __init__(self, fake_time: FakeTime, max_calls: int = 100, window_seconds: float = 60) -> None:
        super().__init__(max_calls, window_seconds, clock=fake_time.clock, sleep=fake_time.sleep)
        self.slots: list[float] = []

    @contextlib.contextmanager
    def call(self):
        with super().call():
            self.slots.append(self.clock())
            yield


def test_client_error_after_a_retry_counts_both_attempts(fake, fake_time):
    path = "/then-404"
    fake.script("GET", path, FakeResponse(status=503), FakeResponse(status=404, body={"title": "Gone"}))
    with pytest.raises(HttpError, match=r"HTTP 404 for GET .*/then-404: Gone") as caught:
        request_json("GET", fake.base_url + path, sleep=fake_time.sleep)
    assert caught.value.attempts == 2 and not caught.value.transient


# Cell counting and splitting -------------------------------------------------------------------


def test_resolve_selection_expressions():
    years = [str(y) for y in range(2015, 2026)]
    assert resolve_selection(["top(2)"], years, is_time=True) == ["2025", "2024"]
    assert resolve_selection(["top(2,1)"], years, is_time=True) == ["2024", "2023"]
    assert resolve_selection(["bottom(1)"], years, is_time=True) == ["2015"]
    assert resolve_selection(["from(2023)"], years) == ["2023", "2024", "2025"]
    assert resolve_selection(["to(2016)"], years) == ["2015", "2016"]
    assert resolve_selection(["range(2019,2021)", "2020"], years) == ["2019", "2020", "2021"]
    assert resolve_selection(["202*"], years) == [str(y) for y in range(2020, 2026)]
    assert resolve_selection(["*"], years) == years
    assert resolve_selection(["K-?1*"], ["K-3101", "K-3103", "K-4201", "0301"]) == ["K-3101", "K-3103"]
    with pytest.raises(ValueError, match="'2030' does not exist"):
        resolve_selection(["2030"], years)


def test_cell_count_uses_metadata_and_trusts_codelists(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population(years=range(2000, 2026))))
    client = make_client(fake, tmp_path, fake_time)
    assert (
        client.cell_count(StatbankQuery("07459", {"Region": ["*"], "ContentsCode": ["*"], "Tid": ["202*"]}))
        == 18
    )
    assert client.cell_count(StatbankQuery("07459", {"ContentsCode": ["Personer1"], "Tid": ["top(5)"]})) == 5
    with_codelist = StatbankQuery(
        "07459",
        {"Region": ["K-3103", "K-3105", "K-9999"], "ContentsCode": ["Personer1"], "Tid": ["2025"]},
        codelist={"Region": "agg_KommSummer"},
        output_values={"Region": "aggregated"},
    )
    assert client.cell_count(with_codelist) == 3  # codes outside the metadata counted literally
    wildcard = StatbankQuery("07459", {"Region": ["*"], "Tid": ["2025"]}, codelist={"Region": "vs_Kommun"})
    assert client.cell_count(wildcard) == 3  # the metadata size of Region
    with pytest.raises(ValueError, match="07459 has no variable 'Kjonn'"):
        client.cell_count(StatbankQuery("07459", {"Kjonn": ["1"]}))
    assert len(fake.requests) == 1  # metadata fetched once, then kept


def test_post_body_has_the_v2_shape(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    client = make_client(fake, tmp_path, fake_time)
    query = StatbankQuery(
        "07459",
        {"Region": ["K-3103"], "ContentsCode": ["Personer1"], "Tid": ["2025"]},
        codelist={"Region": "agg_KommSummer"},
        output_values={"Region": "aggregated"},
    )
    client.fetch(query)
    request = fake.requests_to(DATA_PATH, "POST")[0]
    assert request.params == {"lang": "no", "outputFormat": "json-stat2"}
    assert request.json() == {
        "selection": [
            {
                "variableCode": "Region",
                "valueCodes": ["K-3103"],
                "codelist": "agg_KommSummer",
                "outputValues": "aggregated",
            },
            {"variableCode": "ContentsCode", "valueCodes": ["Personer1"]},
            {"variableCode": "Tid", "valueCodes": ["2025"]},
        ]
    }
    assert "application/json" in request.headers["Content-Type"]
    with pytest.raises(TypeError, match="must be a list"):
        StatbankQuery("07459", {"Tid": "2025"})
    with pytest.raises(ValueError, match="not in the selection"):
        StatbankQuery("07459", {"Tid": ["2025"]}, codelist={"Region": "vs_Kommun"})


def test_too_large_query_is_split_along_time_and_joined(fake, tmp_path, fake_time):
    years = range(1626, 2026)  # 400 years
    frame = population(regions=("0301", "1103", "5001"), years=years, contents=("Personer1", "Personer2"))
    dataset = jsonstat_07459(frame)
    fake.add_table(dataset)
    fake.max_cells = 1000  # the fake refuses anything bigger, like SSB above 800,000

    # Let each chunk report a different vintage, to check the result keeps the newest.
    def vintage(first_year: str) -> str:
        return f"20{int(first_year) % 100:02d}-01-01T07:00:00Z"

    def data_with_vintage(request):
        response = subset_dataset(dataset, _selection_of(request), max_cells=fake.max_cells)
        if response.status == 200:
            response.body["updated"] = vintage(_selection_of(request)["Tid"][0])
        return response

    fake.route("POST", DATA_PATH, data_with_vintage)
    query = StatbankQuery("07459", {"Region": ["*"], "ContentsCode": ["*"], "Tid": ["*"]})
    client = make_client(fake, tmp_path, fake_time, max_cells=1000)
    assert client.cell_count(query) == 2400
    plan = client.plan(query)
    assert len(plan) == 3  # 6 cells per year → 166 years per request → ceil(400 / 166)

    result = client.fetch(query)
    data_requests = fake.requests_to(DATA_PATH, "POST")
    assert len(data_requests) == 3 and len(result.requests) == 3
    for request in data_requests:
        selection = _selection_of(request)
        assert selection["Region"] == ["*"] and selection["ContentsCode"] == ["*"]
        assert 6 * len(selection["Tid"]) <= 1000
    sent_years = [year for request in data_requests for year in _selection_of(request)["Tid"]]
    assert sent_years == [str(y) for y in years]

    fake.max_cells = 10**6
    fake.route(
        "POST", DATA_PATH, lambda request: subset_dataset(dataset, _selection_of(request), max_cells=10**6)
    )
    unsplit = make_client(fake, tmp_path / "other", fake_time, max_cells=10**6).fetch(query)
    assert len(unsplit.requests) == 1
    pd.testing.assert_frame_equal(result.frame, unsplit.frame)
    assert len(result.frame) == 2400 and result.frame["status"].eq("..").sum() == 1
    vintages = [vintage(_selection_of(request)["Tid"][0]) for request in data_requests]
    assert len(set(vintages)) == 3 and result.updated == max(vintages)


def test_recorded_05300_metadata_drives_the_split(fake, tmp_path, fake_time):
    """The recorded v2 metadata (``"value": []``) and data of 05300: split by year, joined, equal."""
    recorded = json.loads((FIXTURES / "jsonstat2_05300.json").read_text(encoding="utf-8"))
    metadata = (FIXTURES / "metadata_05300_v2.json").read_bytes()
    fake.add_table(recorded)
    fake.route("GET", FakeSSB.statbank_path("05300", "metadata"), lambda request: FakeResponse(body=metadata))
    query = StatbankQuery(
        "05300", {"Avstand1": ["*"], "Kulturtilbud": ["*"], "ContentsCode": ["Avstand"], "Tid": ["*"]}
    )
    client = make_client(fake, tmp_path, fake_time, max_cells=100)
    assert client.cell_count(query) == 432
    result = client.fetch(query)
    assert len(result.requests) == 5  # 48 cells per year → 2 years per request → 9 years in 5 requests
    expected, _ = decode(recorded)
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.updated == "2022-05-24T06:00:00Z" and result.table_id == "05300"
    assert result.metadata["units"] == {"Avstand": {"base": "prosent", "decimals": 0}}


def test_one_time_value_too_big_raises_naming_table_and_cells(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population(contents=("Personer1", "Personer2"))))
    client = make_client(fake, tmp_path, fake_time, max_cells=5)
    with pytest.raises(ValueError, match=r"table 07459: one Tid value alone selects 6 cells.*limit of 5"):
        client.fetch(
            StatbankQuery("07459", {"Region": ["*"], "ContentsCode": ["*"], "Tid": ["2024", "2025"]})
        )
    assert fake.requests_to(DATA_PATH) == []


def _selection_of(request) -> dict[str, list[str]]:
    return {item["variableCode"]: item["valueCodes"] for item in request.json()["selection"]}


# Politeness ------------------------------------------------------------------------------------


def limiter_30_per_60(fake_time: FakeTime) -> RateLimiter:
    return RateLimiter(30, 60, clock=fake_time.clock, sleep=fake_time.sleep)


def test_31st_request_in_a_window_waits_for_the_oldest_to_expire(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    client = make_client(fake, tmp_path, fake_time, limiter=limiter_30_per_60(fake_time))
    client.metadata("07459")  # request 1 at t=1000
    for _ in range(29):
        client.fetch(QUERY)  # requests 2..30, all at t=1000
    assert fake_time.sleeps == []
    client.fetch(QUERY)  # request 31 must wait until t=1060
    assert fake_time.sleeps == [60.0]
    assert len(fake.requests) == 31


def test_rate_limit_sleeps_only_as_long_as_needed(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    client = make_client(fake, tmp_path, fake_time, limiter=limiter_30_per_60(fake_time))
    client.metadata("07459")
    for _ in range(29):
        fake_time.now += 1.0  # requests at t = 1000, 1001, ..., 1029
        client.fetch(QUERY)
    fake_time.now += 1.0  # t = 1030: the oldest (t=1000) frees its slot at t=1060
    client.fetch(QUERY)
    assert fake_time.sleeps == [pytest.approx(30.0)]


def test_retries_count_against_the_rate_limit(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    fake.script("POST", DATA_PATH, FakeResponse(status=503), FakeResponse(status=503))
    limiter = RateLimiter(2, 60, clock=fake_time.clock, sleep=fake_time.sleep)
    client = make_client(fake, tmp_path, fake_time, limiter=limiter, backoff=0.001)
    client.fetch(QUERY)  # metadata + 3 attempts at the data = 4 requests with 2 slots per minute
    waits = [s for s in fake_time.sleeps if s > 1]
    assert len(waits) == 1 and waits[0] == pytest.approx(60.0, abs=0.01)


def test_module_lock_keeps_one_request_in_flight(fake, tmp_path):
    dataset = jsonstat_07459(population())
    fake.add_table(dataset)

    def slow_data(request):
        response = subset_dataset(dataset, _selection_of(request), max_cells=10**6)
        response.delay = 0.05
        return response

    fake.route("POST", DATA_PATH, slow_data)
    # Separate clients in separate threads share the server's limiter, and with it its turn.
    clients = [StatbankClient(fake.statbank_url, ResponseCache(tmp_path / str(i)), "live") for i in range(4)]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def work(client):
        try:
            barrier.wait()
            for _ in range(2):
                client.fetch(QUERY)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors
    spans = sorted((r.started, r.finished) for r in fake.requests)
    assert len(spans) == 4 + 8
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def test_overlap_check_would_notice_parallel_requests(fake):
    """Control for the test above: with a limiter (and so a turn) per thread, the same check sees
    overlaps."""
    fake.set_default("GET", "/slow", json_response({"ok": True}, delay=0.2))
    barrier = threading.Barrier(3)

    def work():
        barrier.wait()
        request_json("GET", fake.base_url + "/slow", retries=0, limiter=RateLimiter())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    spans = sorted((r.started, r.finished) for r in fake.requests)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


# Cache modes -------------------------------------------------------------------------------------


def test_cache_mode_replays_offline_byte_for_byte(tmp_path, fake_time):
    dataset = jsonstat_07459(population())
    with FakeSSB() as fake:
        fake.add_table(dataset)
        live = make_client(fake, tmp_path, fake_time)
        live_result = live.fetch(QUERY)
        base_url = fake.statbank_url
    # The server is gone now: anything that tried the network would fail.
    cache = ResponseCache(tmp_path / "cache")
    offline = StatbankClient(base_url, cache, "cache", sleep=fake_time.sleep, clock=fake_time.clock)
    replay = offline.fetch(QUERY)
    pd.testing.assert_frame_equal(replay.frame, live_result.frame)
    assert replay.requests == live_result.requests and not replay.stale
    assert replay.updated == "2025-02-25T07:00:00Z"
    served = subset_dataset(dataset, QUERY.selection, max_cells=10**6).payload()
    assert cache.load(live_result.requests[0]).raw == served

    unknown = StatbankQuery("07459", {"Region": ["1103"], "ContentsCode": ["Personer1"], "Tid": ["2025"]})
    with pytest.raises(LookupError, match=r"table 07459.*1103.*live mode"):
        offline.fetch(unknown)
    assert fake_time.sleeps == []


def test_cache_files_are_gzip_with_checksummed_meta(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))
    client = make_client(fake, tmp_path, fake_time)
    result = client.fetch(QUERY)
    key = result.requests[0]
    cache = client.cache
    body_path, meta_path = cache.body_path(key), cache.meta_path(key)
    assert body_path == tmp_path / "cache" / key[:2] / f"{key}.json.gz"
    compressed = body_path.read_bytes()
    assert compressed[:2] == b"\x1f\x8b"
    raw = gzip.decompress(compressed)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["size"] == len(raw) and meta["status"] == 200
    assert meta["fetched_at"].endswith("Z")
    assert meta["request"]["method"] == "POST"
    assert meta["request"]["url"] == fake.statbank_url + "/tables/07459/data"
    assert meta["request"]["params"] == {"lang": "no", "outputFormat": "json-stat2"}
    assert meta["request"]["body"] == QUERY.body()
    assert key == ResponseCache.key("POST", meta["request"]["url"], meta["request"]["params"], QUERY.body())
    assert not list((tmp_path / "cache").rglob("*.tmp"))

    body_path.write_bytes(gzip.compress(raw.replace(b"Personer", b"personer")))
    with pytest.raises(CacheCorruptedError, match=rf"{key}\.json\.gz is corrupted: sha256"):
        cache.load(key)
    body_path.write_bytes(b"not gzip")
    with pytest.raises(CacheCorruptedError, match=rf"{key}\.json\.gz is not valid gzip"):
        cache.load(key)


def test_live_failure_falls_back_to_cache_only_when_allowed(fake, tmp_path, fake_time, caplog):
    fake.add_table(jsonstat_07459(population()))
    first = make_client(fake, tmp_path, fake_time).fetch(QUERY)
    fake.route("POST", DATA_PATH, lambda request: FakeResponse(status=503, body=b"down for maintenance"))

    strict = make_client(fake, tmp_path, fake_time, retries=1)
    with pytest.raises(HttpError, match=r"failed after 2 attempts.*allow_stale=True") as caught:
        strict.fetch(QUERY)
    assert caught.value.status == 503 and "07459" in str(caught.value)

    lenient = make_client(fake, tmp_path, fake_time, retries=1, allow_stale=True)
    with caplog.at_level("WARNING", logger="pipelines.ssb.statbank"):
        stale = lenient.fetch(QUERY)
    assert stale.stale and not first.stale
    pd.testing.assert_frame_equal(stale.frame, first.frame)
    assert any("using the cached response" in record.getMessage() for record in caplog.records)

    # A query that was never cached cannot fall back (every kind of failure is in
    # tests/test_ssb_politeness.py).
    other = StatbankQuery("07459", {"Region": ["1103"], "ContentsCode": ["Personer1"], "Tid": ["2025"]})
    with pytest.raises(HttpError, match="No cached copy"):
        lenient.fetch(other)


@pytest.mark.parametrize(
    "bad_body",
    [{"error": "busy, try later"}, [1, 2, 3], {"class": "dataset", "id": ["Region"], "dimension": {}}],
    ids=["json-not-jsonstat", "json-list", "dimension-not-described"],
)
def test_an_invalid_200_answer_is_never_cached_and_never_replaces_a_good_copy(
    fake, tmp_path, fake_time, caplog, bad_body
):
    fake.add_table(jsonstat_07459(population()))
    first = make_client(fake, tmp_path, fake_time).fetch(QUERY)
    cache = ResponseCache(tmp_path / "cache")
    good_copy = [cache.body_path(first.requests[0]), cache.meta_path(first.requests[0])]
    before = {path: path.read_bytes() for path in good_copy}
    files_before = sorted((tmp_path / "cache").rglob("*"))
    fake.route("POST", DATA_PATH, lambda request: FakeResponse(status=200, body=bad_body))

    strict = make_client(fake, tmp_path, fake_time, retries=1)
    with pytest.raises(ValueError, match=r"07459.*not valid JSON-stat2.*not cached.*A cached response"):
        strict.fetch(QUERY)
    # The good copy is untouched and nothing new was written. (The new client stores the
    # metadata answer again, a valid one, whose fetched_at may have moved on by a second.)
    assert {path: path.read_bytes() for path in good_copy} == before
    assert sorted((tmp_path / "cache").rglob("*")) == files_before

    lenient = make_client(fake, tmp_path, fake_time, retries=1, allow_stale=True)
    with caplog.at_level("WARNING", logger="pipelines.ssb.statbank"):
        stale = lenient.fetch(QUERY)
    assert stale.stale
    pd.testing.assert_frame_equal(stale.frame, first.frame)
    assert any("not valid JSON-stat2" in record.getMessage() for record in caplog.records)
    # and cache mode still replays the good copy
    replay = make_client(fake, tmp_path, fake_time, mode="cache").fetch(QUERY)
    pd.testing.assert_frame_equal(replay.frame, first.frame)


def test_an_invalid_first_answer_fails_clearly_and_leaves_no_cache(fake, tmp_path, fake_time):
    fake.add_table(jsonstat_07459(population()))  # the metadata answer is fine, the data answer is not
    fake.route("POST", DATA_PATH, lambda request: FakeResponse(status=200, body={"note": "maintenance"}))
    with pytest.raises(ValueError, match=r"not valid JSON-stat2.*It was not cached\. No cached copy"):
        make_client(fake, tmp_path, fake_time, allow_stale=True).fetch(QUERY)
    cached = list((tmp_path / "cache").rglob("*.json.gz"))
    assert len(cached) == 1  # the valid metadata answer only, not the invalid data answer
    with pytest.raises(LookupError, match="No cached StatBank response"):
        make_client(fake, tmp_path, fake_time, mode="cache").fetch(QUERY)


def test_an_answer_without_updated_warns_that_the_vintage_is_unknown(fake, tmp_path, fake_time, caplog):
    dataset = jsonstat_07459(population())
    fake.add_table(dataset)

    def without_updated(request):
        response = subset_dataset(dataset, _selection_of(request), max_cells=fake.max_cells)
        response.body.pop("updated", None)
        return response

    fake.route("POST", DATA_PATH, without_updated)
    with caplog.at_level("WARNING", logger="pipelines.ssb.statbank"):
        result = make_client(fake, tmp_path, fake_time).fetch(QUERY)
    assert result.updated is None
    assert any("no 'updated' date" in record.getMessage() for record in caplog.records)
    caplog.clear()
    fake.route(
        "POST", DATA_PATH, lambda request: subset_dataset(dataset, _selection_of(request), max_cells=10**6)
    )
    with caplog.at_level("WARNING", logger="pipelines.ssb.statbank"):
        assert make_client(fake, tmp_path, fake_time).fetch(QUERY).updated is not None
    assert not any("no 'updated' date" in record.getMessage() for record in caplog.records)
