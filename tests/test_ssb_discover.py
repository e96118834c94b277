"""Discovery: the StatBank client's search and table info, and the fake server's KOSTRA tables.

Everything runs against ``FakeSSB`` on 127.0.0.1; nothing touches the internet and nothing
sleeps (the clients here get a no-op sleep; the CLI's few requests stay far below the rate limit).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.catalogue.models import StatbankTable
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.http import HttpError
from pipelines.ssb.jsonstat import decode
from pipelines.ssb.statbank import StatbankClient
from tests.ssb_fake_server import (
    KOSTRA_CODELISTS,
    KOSTRA_PATHS,
    STATBANK_PREFIX,
    FakeSSB,
    json_response,
    jsonstat_07459,
    jsonstat_dataset,
    kostra_dataset,
)

YEARS = list(range(2014, 2025))
SEARCH_PATH = STATBANK_PREFIX + "/tables"

# Datasets ----------------------------------------------------------------------------------------

DWELLINGS_LABELS = {
    "KOSkommdispbolig0000": "Kommunalt disponerte boliger i alt",
    "KOSkommeidbolig0000": "Kommunalt eide boliger",
    "KOSkommeidbolig0001": "Kommunalt eide boliger, utleid",
    "KOSboligpkommuna0000": "Privat eide boliger med kommunal disposisjonsrett",
    "KOSboligSper10000000": "Kommunalt disponerte boliger per 1000 innbyggere",
}
TEMPORARY_LABELS = {
    "KOStotmidlbo0000": "Husstander i midlertidig botilbud",
    "KOSmidlbobarn0000": "Husstander med barn i midlertidig botilbud",
    "KOStotnatt0000": "Husstander i natthjem",
}


def kostra_values(contents: list[str], years=range(2015, 2025)) -> pd.DataFrame:
    """0301 all years, 1141 Finnøy until 2019 (merged into 1103), 1103 from 2020; one value of 2."""
    rows = []
    for c, code in enumerate(contents):
        for year in years:
            rows.append(
                {"region": "0301", "contents": code, "year": year, "value": 1000 + 10 * c + year % 100}
            )
            region = "1141" if year < 2020 else "1103"
            rows.append(
                {"region": region, "contents": code, "year": year, "value": 2 if year == 2016 else 50}
            )
    return pd.DataFrame(rows)


def dwellings_12008(**options: Any) -> dict[str, Any]:
    units = {"KOSboligSper10000000": {"base": "per 1000 innbyggere", "decimals": 1}}
    return kostra_dataset(
        kostra_values(list(DWELLINGS_LABELS)),
        table_id="12008",
        label="12008: Kommunalt disponerte boliger (K) 2015 - 2024",
        contents_labels=DWELLINGS_LABELS,
        units=units,
        **options,
    )


def temporary_13000() -> dict[str, Any]:
    return kostra_dataset(
        kostra_values(list(TEMPORARY_LABELS)),
        table_id="13000",
        label="13000: Midlertidig botilbud og natthjem (K) 2015 - 2024",
        contents_labels=TEMPORARY_LABELS,
        updated="2025-03-15T07:00:00Z",
    )


def accounts_12367() -> dict[str, Any]:
    rows = [
        {
            "KOKkommuneregion0000": region,
            "KOKregnskapsomfa0000": scope,
            "KOKfunksjon0000": function,
            "KOKart0000": "AGD2",
            "ContentsCode": "KOSbelop0000",
            "Tid": str(year),
            "value": 100.0,
        }
        for region in ("0301", "1103")
        for scope in ("A", "B")
        for function in ("265", "283", "315")
        for year in range(2015, 2025)
    ]
    return jsonstat_dataset(
        pd.DataFrame(rows),
        dimensions=[
            "KOKkommuneregion0000",
            "KOKregnskapsomfa0000",
            "KOKfunksjon0000",
            "KOKart0000",
            "ContentsCode",
            "Tid",
        ],
        table_id="12367",
        label="12367: Detaljerte regnskapstall driftsregnskapet, etter regnskapsomfang, funksjon og art (K)",
        updated="2025-06-15T06:00:00Z",
        role={"time": ["Tid"], "geo": ["KOKkommuneregion0000"], "metric": ["ContentsCode"]},
        category_labels={
            "KOKregnskapsomfa0000": {"A": "Kommunekonsern", "B": "Kommunekasse"},
            "KOKfunksjon0000": {
                "265": "Kommunalt disponerte boliger",
                "283": "Bistand til etablering og opprettholdelse av egen bolig",
                "315": "Boligbygging og fysiske bomiljøtiltak",
            },
            "KOKart0000": {"AGD2": "Netto driftsutgifter"},
            "ContentsCode": {"KOSbelop0000": "Beløp (1000 kr)"},
        },
        units={"KOSbelop0000": {"base": "1 000 kr", "decimals": 0}},
        codelists={"KOKkommuneregion0000": KOSTRA_CODELISTS},
    )


def population_07459() -> dict[str, Any]:
    frame = pd.DataFrame(
        [
            {"Region": region, "Tid": str(year), "value": 1000 + year}
            for region in ("0301", "K-3103")
            for year in range(2014, 2026)
        ]
    )
    return jsonstat_07459(frame)


# Definitions -------------------------------------------------------------------------------------


def kostra_definition(**fields: Any) -> StatbankTable:
    base: dict[str, Any] = {
        "id": "kostra_dwellings_12008",
        "table_id": "12008",
        "confidence": "likely",
        "evidence": "test",
        "title_nb": "12008: Kommunalt disponerte boliger (K)",
        "search": ["kommunalt disponerte boliger"],
        "feeds_source": "kostra_form13",
        "selection": {"KOKkommuneregion0000": ["*"], "Tid": ["*"]},
        "region_variable": "KOKkommuneregion0000",
        "codes_valid_in": "row_year",
        "first_year": 2015,
        "kostra": True,
        "contents": [
            {
                "code": "KOSboligpkommuna0000",
                "column": "municipal_dwellings_private_allocation",
                "confidence": "likely",
                "evidence": "test",
                "unit": "antall",
                "decimals": 0,
            },
        ],
    }
    base.update(fields)
    return StatbankTable.model_validate(base)


def accounts_definition(**fields: Any) -> StatbankTable:
    base: dict[str, Any] = {
        "id": "kostra_accounts_12367",
        "table_id": "12367",
        "confidence": "confirmed",
        "evidence": "test",
        "title_nb": "12367: Detaljerte regnskapstall driftsregnskapet (K)",
        "search": ["detaljerte regnskapstall driftsregnskapet"],
        "feeds_source": "kostra_accounts",
        "selection": {
            "KOKkommuneregion0000": ["*"],
            "KOKregnskapsomfa0000": ["A"],
            "KOKfunksjon0000": ["265", "283", "315"],
            "KOKart0000": ["AGD2"],
            "Tid": ["*"],
        },
        "sum_over": ["KOKfunksjon0000"],
        "region_variable": "KOKkommuneregion0000",
        "codes_valid_in": "row_year",
        "first_year": 2015,
        "contents": [
            {
                "code": "KOSbelop0000",
                "column": "net_expenditure_housing_nok",
                "confidence": "confirmed",
                "evidence": "test",
                "unit": "1000 kr",
                "factor": 1000,
            },
        ],
    }
    base.update(fields)
    return StatbankTable.model_validate(base)


def population_definition(**fields: Any) -> StatbankTable:
    base: dict[str, Any] = {
        "id": "population_07459",
        "table_id": "07459",
        "confidence": "confirmed",
        "evidence": "test",
        "title_nb": "07459: Befolkning",
        "feeds_source": "population",
        "selection": {"Region": ["*"], "Tid": ["from(2014)"]},
        "codelist": {"Region": "agg_KommSummer"},
        "output_values": {"Region": "aggregated"},
        "region_variable": "Region",
        "region_prefix": "K-",
        "codes_valid_in": 2024,
        "contents": [
            {
                "code": "Personer1",
                "column": "population",
                "confidence": "confirmed",
                "evidence": "test",
                "unit": "personer",
            },
        ],
    }
    base.update(fields)
    return StatbankTable.model_validate(base)


def unknown_definition(**fields: Any) -> StatbankTable:
    base: dict[str, Any] = {
        "id": "kostra_temporary_accommodation",
        "table_id": None,
        "confidence": "unknown",
        "evidence": "codes on KOMPIS",
        "enabled": False,
        "title_nb": "KOSTRA: midlertidig botilbud (tabellnummer ukjent)",
        "search": ["midlertidig botilbud", "KOStotnatt0000"],
        "feeds_source": "kostra_form13",
        "selection": {"KOKkommuneregion0000": ["*"], "Tid": ["*"]},
        "region_variable": "KOKkommuneregion0000",
        "codes_valid_in": "row_year",
        "first_year": 2015,
        "contents": [
            {
                "code": "KOStotmidlbo0000",
                "column": "temporary_accommodation_households",
                "confidence": "confirmed",
                "evidence": "KOMPIS",
            },
        ],
    }
    base.update(fields)
    return StatbankTable.model_validate(base)


def content(**fields: Any) -> dict[str, Any]:
    return {"confidence": "unknown", "evidence": "test", **fields}


# Fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def fake():
    with FakeSSB() as server:
        server.add_table(dwellings_12008(), info={"paths": KOSTRA_PATHS})
        server.add_table(temporary_13000(), info={"paths": KOSTRA_PATHS})
        server.add_table(accounts_12367(), info={"paths": KOSTRA_PATHS})
        server.add_table(population_07459())
        yield server


def make_client(fake: FakeSSB, tmp_path: Path, mode: str = "live", **options: Any) -> StatbankClient:
    options.setdefault("retries", 0)
    return StatbankClient(
        fake.statbank_url, ResponseCache(tmp_path / "cache"), mode, sleep=lambda _seconds: None, **options
    )


@pytest.fixture
def client(fake, tmp_path) -> StatbankClient:
    return make_client(fake, tmp_path)


# Client: search and table info -------------------------------------------------------------------


def test_search_sends_the_documented_parameters_and_returns_the_tables(fake, client):
    hits = client.search("midlertidig botilbud")
    assert [h["id"] for h in hits] == ["13000"]
    assert hits[0]["label"].startswith("13000: Midlertidig botilbud")
    assert hits[0]["firstPeriod"] == "2015" and hits[0]["lastPeriod"] == "2024"
    request = fake.requests_to(SEARCH_PATH)[0]
    assert request.params == {
        "query": "midlertidig botilbud",
        "lang": "no",
        "pageSize": "100",
        "includeDiscontinued": "true",
    }
    # found by a ContentsCode too, and every word must match (AND, as PxWebApi's search)
    assert [h["id"] for h in client.search("KOStotnatt0000")] == ["13000"]
    assert client.search("midlertidig regnskap") == []


def test_search_follows_pages_and_stops_at_the_cap(fake, tmp_path, caplog):
    client = make_client(fake, tmp_path)
    hits = client.search("K", page_size=1)  # the three KOSTRA tables have "(K)" in the label
    assert sorted(h["id"] for h in hits) == ["12008", "12367", "13000"]
    pages = [r.params.get("pageNumber") for r in fake.requests_to(SEARCH_PATH)]
    assert pages == [None, "2", "3"]

    capped = make_client(fake, tmp_path / "other")
    capped.SEARCH_MAX_PAGES = 2
    with caplog.at_level(logging.WARNING):
        assert len(capped.search("K", page_size=1)) == 2
    assert "only the first 2 were read" in caplog.text


def test_search_leaves_out_discontinued_tables_only_when_asked(fake, client):
    fake.add_table(
        kostra_dataset(
            kostra_values(["KOStotmidlbo0000"], range(2015, 2017)),
            table_id="11111",
            label="11111: Midlertidig botilbud (avslutta serie) (K) 2015 - 2016",
            contents_labels={"KOStotmidlbo0000": "Husstander i midlertidig botilbud"},
        ),
        info={"discontinued": True},
    )
    assert [h["id"] for h in client.search("midlertidig botilbud")] == ["13000", "11111"]
    assert [h["id"] for h in client.search("midlertidig botilbud", include_discontinued=False)] == ["13000"]


def test_table_info_and_404(fake, client):
    info = client.table_info("12008")
    assert info["id"] == "12008" and info["discontinued"] is False
    assert info["paths"] == KOSTRA_PATHS and info["updated"] == "2025-06-15T06:00:00Z"
    with pytest.raises(HttpError) as caught:
        client.table_info("99999")
    assert caught.value.status == 404


def test_answers_of_the_wrong_shape_are_errors_and_never_cached(fake, tmp_path):
    client = make_client(fake, tmp_path)
    fake.script("GET", SEARCH_PATH, json_response({"tabeller": []}))
    with pytest.raises(ValueError, match="no 'tables' list"):
        client.search("boliger")
    fake.script("GET", STATBANK_PREFIX + "/tables/12008", json_response({"id": ["Region"], "dimension": {}}))
    with pytest.raises(ValueError, match="no text 'id'"):
        client.table_info("12008")
    offline = make_client(fake, tmp_path, mode="cache")
    with pytest.raises(LookupError):
        offline.search("boliger")
    with pytest.raises(LookupError):
        offline.table_info("12008")


def test_cache_mode_replays_search_and_table_info_without_requests(fake, tmp_path):
    live = make_client(fake, tmp_path)
    hits, info = live.search("boliger"), live.table_info("12008")
    before = len(fake.requests)
    offline = make_client(fake, tmp_path, mode="cache")
    assert offline.search("boliger") == hits and offline.table_info("12008") == info
    assert len(fake.requests) == before


# Fake server: the KOSTRA builder and codelists -------------------------------------------------


def test_kostra_dataset_has_kostra_shape_and_symbols():
    dataset = dwellings_12008()
    frame, metadata = decode(dataset)
    assert dataset["id"] == ["KOKkommuneregion0000", "ContentsCode", "Tid"]
    regions = list(dataset["dimension"]["KOKkommuneregion0000"]["category"]["index"])
    assert regions == ["0301", "1103", "1141", "EAK", "EAKUO", "EKA03", "EKG13"]
    assert all(dataset["dimension"][d]["extension"]["elimination"] is False for d in dataset["id"])
    cell = frame.set_index(["KOKkommuneregion0000", "ContentsCode", "Tid"])
    assert cell.loc[("1141", "KOSkommdispbolig0000", "2020"), "status"] == "."  # merged away
    assert cell.loc[("1103", "KOSkommdispbolig0000", "2019"), "status"] == "."  # not yet created
    assert cell.loc[("1141", "KOSkommdispbolig0000", "2016"), "status"] == ":"  # 2 < 3
    assert cell.loc[("EAK", "KOSkommdispbolig0000", "2017"), "value"] == 1000 + 17 + 50
    assert cell.loc[("EKG13", "KOSkommdispbolig0000", "2017"), "status"] == ".."
    assert metadata["units"]["KOSkommdispbolig0000"] == {"base": "antall", "decimals": 0}
    codelists = dataset["dimension"]["KOKkommuneregion0000"]["extension"]["codelists"]
    assert {c["id"] for c in codelists} >= {"agg_KOGkommuneregion000005402", "vs_KOGkommuneregion0000"}
    assert all(set(c) == {"id", "label", "type", "links"} for c in codelists)
    assert "agg_KommSummer" not in {c["id"] for c in codelists}
    assert {c["type"] for c in codelists} == {"Aggregation", "Valueset"}


def test_page_past_the_last_is_404(fake):
    import requests

    answer = requests.get(
        fake.statbank_url + "/tables", params={"query": "K", "pageSize": 2, "pageNumber": 3}, timeout=5
    )
    assert answer.status_code == 404
    page = requests.get(
        fake.statbank_url + "/tables", params={"query": "K", "pageSize": 2}, timeout=5
    ).json()["page"]
    assert page == {
        "pageNumber": 1,
        "pageSize": 2,
        "totalElements": 3,
        "totalPages": 2,
        "links": page["links"],
    }
