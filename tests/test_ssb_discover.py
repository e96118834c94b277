"""Discovery and the statbank.yaml check: client search/table info, verify.check_table, the CLI.

Everything runs against ``FakeSSB`` on 127.0.0.1; nothing touches the internet and nothing
sleeps (the clients here get a no-op sleep; the CLI's few requests stay far below the rate limit).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from pipelines.catalogue.models import StatbankTable
from pipelines.paths import ASSETS_DIR, default_release_id
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.discover import main, search_report
from pipelines.ssb.http import HttpError
from pipelines.ssb.jsonstat import decode
from pipelines.ssb.ratelimit import RateLimiter
from pipelines.ssb.statbank import StatbankClient
from pipelines.ssb.verify import Problem, check_table
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


def kinds(problems: list[Problem]) -> list[str]:
    return [p.kind for p in problems]


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


def test_search_and_table_info_take_slots_of_the_shared_rate_limit(fake, tmp_path):
    """Discovery's calls count against the same budget as data and metadata calls."""
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2, 60, clock=lambda: now[0], sleep=sleep)
    client = make_client(fake, tmp_path, limiter=limiter)
    client.search("midlertidig botilbud")
    client.table_info("13000")
    assert waits == []  # two calls fit the window of two
    client.metadata("13000")
    assert waits and sum(waits) >= 60  # the third waited for the window, whatever kind it was


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


# check_table: one test per kind of problem -------------------------------------------------------


def test_a_correct_definition_is_ok_with_info(client):
    check = check_table(client, kostra_definition(), YEARS)
    assert check.ok and check.problems == []
    assert check.codes == {"municipal_dwellings_private_allocation": "KOSboligpkommuna0000"}
    assert check.info["label"].startswith("12008: Kommunalt disponerte boliger")
    assert (check.info["firstPeriod"], check.info["lastPeriod"]) == ("2015", "2024")
    assert check.info["updated"] == "2025-06-15T06:00:00Z" and check.info["discontinued"] is False
    assert check.notes == []  # updated 15 June: final figures
    temporary = unknown_definition(table_id="13000", confidence="likely", kostra=True)
    assert check_table(client, temporary, YEARS).notes == [
        "KOSTRA: the figures for 2024 are preliminary (updated 2025-03-15, before 15 June 2025)"
    ]
    # "1000 kr" in the YAML is SSB's "1 000 kr"; codes under 07459's agg_KommSummer are not checked
    assert check_table(client, accounts_definition(), YEARS).ok
    population = population_definition(selection={"Region": ["K-3103", "K-9999"], "Tid": ["from(2014)"]})
    assert check_table(client, population, YEARS).ok


def test_unknown_table_number_lists_search_hits(client):
    check = check_table(client, unknown_definition(), YEARS)
    assert not check.ok and kinds(check.problems) == ["table_unknown"]
    problem = check.problems[0]
    assert problem.candidates == [
        "13000 «13000: Midlertidig botilbud og natthjem (K) 2015 - 2024» (2015–2024); "
        "has 1 of 1 declared codes: KOStotmidlbo0000"
    ]
    assert "table number unknown" in str(problem) and "«midlertidig botilbud»" in str(problem)
    nothing = check_table(client, unknown_definition(search=["venteliste"]), YEARS).problems[0]
    assert nothing.candidates == [] and "searched StatBank for «venteliste»: no other table found" in str(
        nothing
    )
    without_client = check_table(None, unknown_definition(), YEARS)
    assert kinds(without_client.problems) == ["table_unknown"] and without_client.problems[0].candidates == []


def test_missing_table_is_reported_with_search_candidates(client):
    check = check_table(client, kostra_definition(table_id="12942"), YEARS)
    assert kinds(check.problems) == ["table_missing"]
    problem = check.problems[0]
    assert problem.candidates[0].startswith("12008 «12008: Kommunalt disponerte boliger")
    text = str(problem)
    assert text.startswith("Table 12942: StatBank has no table 12942 (404")
    assert "candidates: 12008" in text and text.endswith(".")


def test_discontinued_table(fake, client):
    fake.add_table(dwellings_12008(), info={"discontinued": True})
    assert kinds(check_table(client, kostra_definition(), YEARS).problems) == ["discontinued"]
    closed = check_table(client, kostra_definition(last_year=2024), YEARS)
    assert closed.ok and any("discontinued" in note for note in closed.notes)


def test_periods_that_do_not_cover_the_years(client):
    check = check_table(client, kostra_definition(first_year=2014), YEARS)
    assert kinds(check.problems) == ["periods"]
    assert "do not cover 2014" in check.problems[0].message and check.problems[0].variable == "Tid"
    narrowed = check_table(
        client, kostra_definition(selection={"KOKkommuneregion0000": ["*"], "Tid": ["from(2020)"]}), YEARS
    )
    assert kinds(narrowed.problems) == ["periods"]
    assert "leaves out 2015–2019" in narrowed.problems[0].message
    # year_shift: 07459's 1 January 2015 is the figure for 2014, so 2015–2025 covers 2014–2024
    shifted = population_definition(year_shift=-1, selection={"Region": ["*"], "Tid": ["from(2015)"]})
    assert check_table(client, shifted, YEARS).ok
    assert kinds(check_table(client, shifted, [*YEARS, 2025]).problems) == ["periods"]


def test_missing_variable_is_reported_with_the_table_variables(client):
    check = check_table(
        client, kostra_definition(region_variable="Region", selection={"Region": ["*"], "Tid": ["*"]}), YEARS
    )
    assert "variable_missing" in kinds(check.problems)
    problem = next(p for p in check.problems if p.kind == "variable_missing")
    assert problem.variable == "Region" and problem.candidates[0].startswith("KOKkommuneregion0000")
    # ... and the region variable the table does have is then mandatory and not selected
    assert "variable_not_selected" in kinds(check.problems)


def test_mandatory_variable_left_out(client):
    selection = {k: v for k, v in accounts_definition().selection.items() if k != "KOKart0000"}
    check = check_table(client, accounts_definition(selection=selection), YEARS)
    assert kinds(check.problems) == ["variable_not_selected"]
    assert check.problems[0].variable == "KOKart0000" and check.problems[0].candidates == [
        "AGD2 («Netto driftsutgifter»)"
    ]


def test_missing_value_code_lists_nearest_labels(client):
    selection = {**accounts_definition().selection, "KOKregnskapsomfa0000": ["konsern"]}
    check = check_table(client, accounts_definition(selection=selection), YEARS)
    assert kinds(check.problems) == ["value_missing"]
    problem = check.problems[0]
    assert (problem.variable, problem.code) == ("KOKregnskapsomfa0000", "konsern")
    assert problem.candidates[0] == "A («Kommunekonsern»)"
    assert str(problem).startswith("Table 12367, variable KOKregnskapsomfa0000, code konsern: ")
    # the code inside an expression, and an expression that selects nothing
    selection = {**accounts_definition().selection, "Tid": ["from(2013)"], "KOKfunksjon0000": ["9*"]}
    check = check_table(client, accounts_definition(selection=selection), YEARS)
    assert sorted((p.variable, p.code) for p in check.problems) == [
        ("KOKfunksjon0000", "9*"),
        ("Tid", "2013"),
    ]
    assert next(p for p in check.problems if p.code == "2013").candidates[0].startswith("2015")


def test_codelist_the_variable_does_not_offer(client):
    definition = kostra_definition(codelist={"KOKkommuneregion0000": "agg_KommSummer"})
    check = check_table(client, definition, YEARS)
    assert kinds(check.problems) == ["codelist_missing"]
    problem = check.problems[0]
    assert (problem.variable, problem.code) == ("KOKkommuneregion0000", "agg_KommSummer")
    assert len(problem.candidates) == 5 and all(
        c.startswith(("agg_KOG", "vs_KOG")) for c in problem.candidates
    )
    assert "«Uttrekk for Alle kommuner»" in " ".join(problem.candidates)


def test_missing_contents_code_lists_nearest(client):
    definition = kostra_definition(
        contents=[
            content(
                code="KOSboligpkommuna0001",
                column="municipal_dwellings_private_allocation",
                confidence="likely",
            )
        ]
    )
    check = check_table(client, definition, YEARS)
    assert kinds(check.problems) == ["content_missing"]
    assert check.problems[0].candidates[0] == (
        "KOSboligpkommuna0000 («Privat eide boliger med kommunal disposisjonsrett», antall, 0 decimals)"
    )


def test_unknown_code_is_resolved_by_label_words(client):
    definition = kostra_definition(
        contents=[content(column="municipal_dwellings", label_words=["Kommunalt  disponerte", "I ALT"])]
    )
    check = check_table(client, definition, YEARS)
    assert check.ok
    assert check.codes == {"municipal_dwellings": "KOSkommdispbolig0000"}
    assert check.found_by_label == {"municipal_dwellings": "Kommunalt disponerte boliger i alt"}
    assert "found by label" in check.notes[0] and "antall, 0 decimals" in check.notes[0]


def test_unknown_code_with_no_or_several_label_matches(client):
    definition = kostra_definition(
        contents=[
            content(column="municipal_dwellings_owned", label_words=["kommunalt eide boliger"]),
            content(column="municipal_dwellings_leased", label_words=["innleide boliger"]),
        ]
    )
    check = check_table(client, definition, YEARS)
    assert kinds(check.problems) == ["label_ambiguous", "label_none"]
    ambiguous, none = check.problems
    assert ambiguous.candidates == [
        "KOSkommeidbolig0000 («Kommunalt eide boliger», antall, 0 decimals)",
        "KOSkommeidbolig0001 («Kommunalt eide boliger, utleid», antall, 0 decimals)",
    ]
    assert len(none.candidates) == 5
    assert check.codes == {}


def test_unit_and_decimals_mismatch(client):
    wrong_unit = accounts_definition(
        contents=[
            content(
                code="KOSbelop0000", column="net_expenditure_housing_nok", confidence="confirmed", unit="kr"
            )
        ]
    )
    check = check_table(client, wrong_unit, YEARS)
    assert kinds(check.problems) == ["unit"]
    assert "«1 000 kr»" in check.problems[0].message and "«kr»" in check.problems[0].message
    wrong_decimals = kostra_definition(
        contents=[
            content(
                code="KOSboligSper10000000",
                column="municipal_dwellings",
                confidence="likely",
                unit="Per 1000 innbyggere",
                decimals=0,
            )
        ]
    )
    check = check_table(client, wrong_decimals, YEARS)
    assert kinds(check.problems) == ["decimals"] and "with 1 decimal," in check.problems[0].message


def test_where_value_missing_or_not_selected(client):
    definition = accounts_definition(
        contents=[
            content(
                code="KOSbelop0000",
                column="net_expenditure_housing_nok",
                confidence="confirmed",
                where={"KOKregnskapsomfa0000": "C"},
            ),
        ]
    )
    assert kinds(check_table(client, definition, YEARS).problems) == ["where_value"]
    definition = accounts_definition(
        contents=[
            content(
                code="KOSbelop0000",
                column="net_expenditure_housing_nok",
                confidence="confirmed",
                where={"KOKregnskapsomfa0000": "B"},
            ),
        ]
    )
    problems = check_table(client, definition, YEARS).problems
    assert kinds(problems) == ["where_value"] and "leaves it out" in problems[0].message


def test_metadata_that_cannot_be_read(fake, tmp_path, client):
    offline = make_client(fake, tmp_path / "empty", mode="cache")
    assert kinds(check_table(offline, kostra_definition(), YEARS).problems) == ["not_cached"]
    fake.script(
        "GET", STATBANK_PREFIX + "/tables/12008", json_response({"type": "x", "title": "Bad"}, status=400)
    )
    assert kinds(check_table(client, kostra_definition(), YEARS).problems) == ["request_failed"]
    assert kinds(check_table(None, kostra_definition(), YEARS).problems) == ["not_checked"]
    fresh = make_client(fake, tmp_path / "fresh")
    fake.script("GET", STATBANK_PREFIX + "/tables/12008", json_response({"id": "12008"}))  # no label
    problems = check_table(fresh, kostra_definition(), YEARS).problems
    assert kinds(problems) == ["invalid_answer"] and "no 'label'" in problems[0].message


def test_network_failure_is_raised_not_reported(fake, tmp_path):
    client = make_client(fake, tmp_path)
    fake.stop()
    with pytest.raises(HttpError) as caught:
        check_table(client, kostra_definition(), YEARS)
    assert caught.value.transient or caught.value.status is None


# The command line ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("BOLIG_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "0")
    monkeypatch.delenv("BOLIG_STATBANK_URL", raising=False)
    monkeypatch.delenv("BOLIG_CACHE_DIR", raising=False)
    return tmp_path


def test_search_prints_candidates_with_periods_and_matching_contents(fake, cli_env, capsys):
    assert main(["midlertidig", "botilbud", "--url", fake.statbank_url]) == 0
    out = capsys.readouterr().out
    assert "13000  13000: Midlertidig botilbud og natthjem (K) 2015 - 2024" in out
    assert "perioder / periods 2015–2024" in out and "avsluttet / discontinued: nei / no" in out
    assert "matching statistics (2 av 3)" in out
    assert re.search(r"KOStotmidlbo0000\s+Husstander i midlertidig botilbud\s+\[antall, 0 des\.\]", out)
    assert "KOStotnatt0000" not in out  # no query word in its code or label
    assert "agg_KOGkommuneregion000005402" in out  # the region variable's codelists
    assert (cli_env / "output" / "cache" / "ssb").is_dir()  # the pipeline's cache folder


def test_search_by_code_and_all_contents_when_none_match(fake, client):
    text = search_report(client, "KOStotnatt0000")
    assert "matching statistics (1 av 3)" in text and "Husstander i natthjem" in text
    text = search_report(client, "regnskapsomfang")  # a word of 12367's title, not of its statistics
    assert "alle statistikkvariabler / all statistics (1)" in text and "KOSbelop0000" in text
    text = search_report(client, "K", max_tables=1)
    assert "showing the first 1 of 3" in text and text.count("perioder / periods") == 1
    assert "Ingen treff" in search_report(client, "finnesikke")


CHECK_YAML = {
    "tables": [
        population_definition().model_dump(exclude_defaults=True),
        kostra_definition(
            contents=[
                content(column="municipal_dwellings", label_words=["disponerte boliger i alt"]),
                content(column="municipal_dwellings_owned", label_words=["kommunalt eide boliger"]),
                content(
                    code="KOSboligpkommuna0000",
                    column="municipal_dwellings_private_allocation",
                    confidence="likely",
                    unit="personer",
                ),
            ]
        ).model_dump(exclude_defaults=True),
        unknown_definition().model_dump(exclude_defaults=True),
        kostra_definition(
            id="kostra_waiting_list",
            table_id="12942",
            enabled=False,
            search=["natthjem"],
            contents=[
                content(code="KOSventelistetil0000", column="waiting_list_adapted", confidence="confirmed")
            ],
        ).model_dump(exclude_defaults=True),
        accounts_definition(
            first_year=2014,
            selection={**accounts_definition().selection, "KOKfunksjon0000": ["265", "283", "316"]},
        ).model_dump(exclude_defaults=True),
    ]
}


@pytest.fixture
def assets(tmp_path) -> Path:
    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    (folder / "statbank.yaml").write_text(yaml.safe_dump(CHECK_YAML, allow_unicode=True), encoding="utf-8")
    return folder


def run_check_cli(fake: FakeSSB, assets: Path, *extra: str) -> int:
    return main(["--check", "--assets", str(assets), "--url", fake.statbank_url, *extra])


def test_check_writes_the_dated_report_and_fails_on_enabled_problems(fake, assets, cli_env, capsys):
    assert run_check_cli(fake, assets) == 1
    out = capsys.readouterr().out
    date = default_release_id()
    report = cli_env / "output" / "reports" / f"statbank-check-{date}.md"
    assert f"Rapport / report: {report}" in out
    assert "5 definisjoner / definitions: 1 OK, 4 med problemer / with problems (2 aktive / enabled)" in out
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# Kontroll av StatBank-tabeller / StatBank table check {date}")
    assert "| population_07459 | 07459 | ja | confirmed | OK |" in text
    assert "| kostra_dwellings_12008 | 12008 | ja | likely | **problem** (2) |" in text
    # found by label, ambiguous, unit mismatch
    assert "- municipal_dwellings: `KOSkommdispbolig0000` «Kommunalt disponerte boliger i alt»" in text
    assert (
        "[label_ambiguous]" in text and "   - KOSkommeidbolig0001 («Kommunalt eide boliger, utleid»" in text
    )
    assert (
        "[unit] StatBank's unit for «Privat eide boliger med kommunal disposisjonsrett» is «antall»" in text
    )
    # unknown table with search hits; missing table with candidates; missing value with nearest labels
    assert "## kostra_temporary_accommodation: tabellnummer ukjent / table number unknown" in text
    assert "   - 13000 «13000: Midlertidig botilbud og natthjem (K) 2015 - 2024» (2015–2024)" in text
    assert "[table_missing] StatBank has no table 12942" in text
    assert "[value_missing] the variable has no such value (variabel / variable `KOKfunksjon0000`" in text
    assert "`KOKfunksjon0000` · kode / code `316`)" in text
    assert "   - 315 («Boligbygging og fysiske bomiljøtiltak»)" in text
    assert "[periods] the table's periods 2015–2024 do not cover 2014 (years asked for: 2014–2024)" in text
    # yaml confidence/evidence, live title, periods and updated
    assert "- Belegg / evidence: codes on KOMPIS" in text
    assert (
        "- Tittel i StatBank / title in StatBank: 12008: Kommunalt disponerte boliger (K) 2015 - 2024" in text
    )
    assert "- Perioder / periods: 2015–2024 · oppdatert / updated: 2025-06-15T06:00:00Z" in text

    data = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["date"] == date and data["years"] == YEARS and data["mode"] == "live"
    assert data["summary"] == {"definitions": 5, "ok": 1, "with_problems": 4, "enabled_with_problems": 2}
    entries = {e["definition_id"]: e for e in data["definitions"]}
    assert entries["population_07459"]["status"] == "ok"
    dwellings = entries["kostra_dwellings_12008"]
    assert dwellings["codes"]["municipal_dwellings"] == "KOSkommdispbolig0000"
    assert {p["kind"] for p in dwellings["problems"]} == {"label_ambiguous", "unit"}
    assert dwellings["confidence"] == "likely" and dwellings["enabled"] is True
    assert entries["kostra_waiting_list"]["problems"][0]["candidates"][0].startswith("13000 ")


def test_check_passes_when_only_disabled_definitions_have_problems(fake, assets, cli_env, tmp_path, capsys):
    tables = [
        t for t in CHECK_YAML["tables"] if t["id"] in ("population_07459", "kostra_temporary_accommodation")
    ]
    (assets / "statbank.yaml").write_text(
        yaml.safe_dump({"tables": tables}, allow_unicode=True), encoding="utf-8"
    )
    assert run_check_cli(fake, assets, "--out", str(tmp_path / "rapporter")) == 0
    assert (tmp_path / "rapporter" / f"statbank-check-{default_release_id()}.json").exists()
    assert "(0 aktive / enabled)" in capsys.readouterr().out


def test_check_in_cache_mode_replays_without_requests(fake, assets, cli_env, tmp_path):
    assert run_check_cli(fake, assets, "--out", str(tmp_path / "live")) == 1
    before = len(fake.requests)
    fake.stop()
    assert run_check_cli(fake, assets, "--out", str(tmp_path / "cached"), "--mode", "cache") == 1
    assert len(fake.requests) == before
    name = f"statbank-check-{default_release_id()}.json"
    live = json.loads((tmp_path / "live" / name).read_text(encoding="utf-8"))
    cached = json.loads((tmp_path / "cached" / name).read_text(encoding="utf-8"))
    assert live["definitions"] == cached["definitions"] and cached["mode"] == "cache"


def test_network_failure_is_one_clear_line(fake, assets, cli_env, capsys):
    fake.stop()
    assert run_check_cli(fake, assets) == 2
    err = capsys.readouterr().err
    assert err.startswith("discover: StatBank ") and err.count("\n") == 1 and "Traceback" not in err
    assert main(["boliger", "--url", fake.statbank_url]) == 2


def test_command_line_needs_words_or_check(capsys):
    with pytest.raises(SystemExit):
        main([])
    with pytest.raises(SystemExit):
        main(["boliger", "--check"])
    assert "give either search words or --check" in capsys.readouterr().err
