"""Municipality names to codes (pipelines.geography.names) on SSB's real names, 2014–2025.

Each guard shows the failure it guards against: the same name without the county is ambiguous,
a former name is not silently mapped, «Bo» is not «Bø».
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from pipelines.geography import match_municipalities, municipality_code
from pipelines.geography.names import fold_name, normalise_name
from pipelines.geography.reference import read_reference_csv


def one(name, year, county=None):
    return match_municipalities([name], year, None if county is None else [county]).iloc[0]


def test_columns_and_one_row_per_input_in_order():
    result = match_municipalities(["Oslo", "Herøy", "Narnia"], 2024)
    assert list(result.columns) == [
        "name",
        "county",
        "code",
        "matched_name",
        "status",
        "candidates",
        "reason",
    ]
    assert list(result["name"]) == ["Oslo", "Herøy", "Narnia"]
    assert list(result["status"]) == ["matched", "ambiguous", "unknown"]
    assert result["code"].iloc[1] is None and result["code"].iloc[0] == "0301"


@pytest.mark.parametrize("year", [2019, 2024])
def test_heroy_is_ambiguous_without_county(year):
    row = one("Herøy", year)
    assert row["status"] == "ambiguous" and row["code"] is None
    assert row["candidates"] == ["1515 Herøy (Møre og Romsdal)", "1818 Herøy (Nordland)"]
    assert "county" in row["reason"]
    with pytest.raises(ValueError, match="1515 Herøy.*1818 Herøy"):
        municipality_code("Herøy", year)


@pytest.mark.parametrize(
    ("county", "code"),
    [
        ("15", "1515"),
        ("Møre og Romsdal", "1515"),
        ("møre  og romsdal fylke", "1515"),
        ("18", "1818"),
        ("Nordland", "1818"),
        ("Nordland fylke", "1818"),
        ("Nordland - Nordlánnda", "1818"),
    ],
)
def test_heroy_with_county(county, code):
    assert municipality_code("Herøy", 2024, county=county) == code
    assert one("Herøy", 2024, county)["matched_name"].startswith("Herøy (")


def test_heroy_full_official_name_needs_no_county():
    assert municipality_code("Herøy (Nordland)", 2024) == "1818"
    assert municipality_code("herøy(møre og romsdal) kommune", 2024) == "1515"


@pytest.mark.parametrize(
    ("year", "county", "code"),
    [
        (2019, "Hedmark", "0426"),
        (2019, "Østfold", "0137"),
        (2019, "04", "0426"),
        (2022, "Innlandet", "3419"),
        (2022, "Viken", "3018"),
        (2024, "Østfold", "3114"),
        (2024, "34", "3419"),
    ],
)
def test_valer_by_year_and_county(year, county, code):
    assert one("Våler", year)["status"] == "ambiguous"
    assert municipality_code("Våler", year, county) == code


def test_a_former_county_places_the_municipality_that_lay_in_it():
    row = one("Våler", 2022, "Hedmark")  # Hedmark (04) became Innlandet (34) in 2020
    assert row["status"] == "matched" and row["code"] == "3419"
    assert "former county" in row["reason"] and "Hedmark" in row["reason"]
    assert municipality_code("Våler", 2022, "Østfold") == "3018"  # Østfold, in Viken 2020–2023
    assert municipality_code("Våler", 2024, "Viken") == "3114"  # Viken split again in 2024


def test_a_former_county_that_holds_none_of_the_candidates_is_unknown_with_candidates():
    row = one("Våler", 2022, "Hordaland")  # a former county, but neither Våler lay in it
    assert row["status"] == "unknown" and row["code"] is None
    assert "not a county in 2022" in row["reason"]
    assert row["candidates"] == ["3018 Våler (Viken)", "3419 Våler (Innlandet)"]
    row = one("Oslo", 2024, "Rogaland")  # exists, but not there
    assert row["status"] == "unknown" and "no municipality 'Oslo' in county 11 Rogaland" in row["reason"]
    assert row["candidates"] == ["0301 Oslo (Oslo)"]
    row = one("Oslo", 2024, "Narnia")
    assert row["status"] == "unknown" and "not recognised" in row["reason"]


@pytest.mark.parametrize(
    ("name", "year", "county", "code"),
    [
        ("Nes", 2019, "Akershus", "0236"),
        ("Nes", 2019, "Buskerud", "0616"),
        ("Nes", 2022, None, "3034"),
        ("Nes", 2024, None, "3228"),
        ("Sande", 2019, "Vestfold", "0713"),
        ("Sande", 2019, "15", "1514"),
        ("Sande", 2022, None, "1514"),
        ("Bø", 2019, "Telemark", "0821"),
        ("Bø", 2019, "Nordland", "1867"),
        ("Bø", 2022, None, "1867"),
        ("Os", 2019, "Hedmark", "0441"),
        ("Os", 2019, "Hordaland", "1243"),
        ("Os", 2022, None, "3430"),
    ],
)
def test_nes_sande_bo_os_by_year(name, year, county, code):
    if year == 2019:
        assert one(name, year)["status"] == "ambiguous"  # the county is needed in 2019
    assert municipality_code(name, year, county) == code


def test_a_former_homonym_is_noted_when_the_name_is_unique_that_year():
    row = one("Sande", 2022)
    assert row["code"] == "1514"
    assert "0713 Sande (Vestfold) (2014–2019)" in row["reason"]


@pytest.mark.parametrize(
    "name",
    [
        "Karasjok",
        "Kárášjohka",
        "Kárášjohka - Karasjok",
        "Karasjohka",
        "KARASJOK KOMMUNE",
        "Kárášjohka–Karasjok",
        "Kárášjohka — Karasjok",
        "Karasjok - Kárášjohka",
    ],
)
@pytest.mark.parametrize(("year", "code"), [(2019, "2021"), (2022, "5437"), (2024, "5610")])
def test_karasjok_forms(name, year, code):
    assert municipality_code(name, year) == code


@pytest.mark.parametrize(
    "name",
    [
        "Porsanger",
        "Porsángu",
        "Porsanki",
        "Porsangu",
        "Porsanger - Porsángu - Porsanki",
        "Porsanger-Porsángu-Porsanki",
        "porsanger – porsangu – porsanki kommune",
    ],
)
@pytest.mark.parametrize(("year", "code"), [(2019, "2020"), (2022, "5436"), (2024, "5622")])
def test_porsanger_forms(name, year, code):
    assert municipality_code(name, year) == code


def test_unjarga_folded_and_county_in_bilingual_form():
    assert municipality_code("Unjarga", 2022) == "5442"
    assert municipality_code("Unjárga", 2022, "Troms og Finnmark - Romsa ja Finnmárku") == "5442"
    assert municipality_code("Nesseby", 2024, "Finnmark") == "5636"
    assert municipality_code("Nesseby", 2019, "Finnmark") == "2027"
    # Finnmark was part of Troms og Finnmark in 2022: placed by where Nesseby lay
    assert municipality_code("Nesseby", 2022, "Finnmark") == "5442"


@pytest.mark.parametrize("name", ["Oslo", "Oslo kommune", "oslo kommune.", "  OSLO  ", "Oslo Kommune"])
def test_oslo_kommune(name):
    assert municipality_code(name, 2024) == "0301"


@pytest.mark.parametrize("name", ["Aurskog-Høland", "Aurskog - Høland", "Aurskog – Høland", "aurskog—høland"])
def test_hyphen_variants(name):
    assert municipality_code(name, 2022) == "3026"
    assert municipality_code(name, 2024) == "3226"


def test_unknown_name_gives_nearest_candidates():
    row = one("Trondhiem", 2024)
    assert row["status"] == "unknown" and row["code"] is None
    assert row["candidates"][0] == "5001 Trondheim - Tråante (Trøndelag)"
    assert "no municipality named 'Trondhiem'" in row["reason"]
    with pytest.raises(ValueError, match="Trondhiem.*5001 Trondheim"):
        municipality_code("Trondhiem", 2024)


def test_merged_away_name_is_not_silently_mapped():
    row = one("Finnøy", 2022)
    assert row["status"] == "unknown" and row["code"] is None
    assert row["reason"] == "'Finnøy' is not a municipality in 2022; was 1141 Finnøy until 2019"
    assert row["candidates"] == ["1103 Stavanger (Rogaland)"]
    assert municipality_code("Finnøy", 2019) == "1141"


def test_a_later_name_in_an_earlier_year_is_not_mapped_either():
    row = one("Nesbyen", 2019)
    assert row["status"] == "unknown" and "is 3040 Nesbyen from 2020" in row["reason"]
    assert row["candidates"] == ["0616 Nes (Buskerud)"]


def test_bo_is_not_bo_with_slash():
    """ø is a letter of its own: «Bo» must not match «Bø» (nor «Ha» «Hå»)."""
    assert municipality_code("Bø", 2022) == "1867"
    row = one("Bo", 2022)
    assert row["status"] == "unknown" and row["code"] is None
    assert all(not c.startswith("1867 ") for c in row["candidates"])
    assert one("Ha", 2024)["status"] == "unknown"
    assert municipality_code("Hå", 2024) == "1119"


def test_folding_rule():
    assert fold_name(normalise_name("Kárášjohka")) == "karasjohka"
    assert fold_name("unjárga čđŋŧž") == "unjarga cdntz"
    assert fold_name("bø hå bærum") == "bø hå bærum"  # æ, ø, å are kept
    assert normalise_name(" Aurskog –  Høland kommune. ") == "aurskog-høland"


@pytest.mark.parametrize("year", [2014, 2020, 2024])
def test_every_municipality_matches_itself_by_its_official_name(year):
    ref = read_reference_csv("municipalities_by_year.csv")
    ref = ref[ref["year"] == str(year)]
    result = match_municipalities(list(ref["name"]), year)
    wrong = result[(result["status"] != "matched") | (result["code"].to_numpy() != ref["code"].to_numpy())]
    assert wrong.empty, wrong[["name", "status", "code", "candidates"]].to_string()
    assert list(result["matched_name"]) == list(ref["name"])


def test_counties_must_be_one_per_name_and_year_must_exist():
    with pytest.raises(ValueError, match="counties has 1 values but names has 2"):
        match_municipalities(["Oslo", "Bergen"], 2024, ["03"])
    with pytest.raises(ValueError, match="year 2013"):
        match_municipalities(["Oslo"], 2013)


def test_missing_names_are_unknown():
    result = match_municipalities([None, "", float("nan")], 2024)
    assert list(result["status"]) == ["unknown"] * 3


def test_400_names_well_under_a_second():
    ref = read_reference_csv("municipalities_by_year.csv")
    names = list(ref.loc[ref["year"] == "2024", "name"]) + ["Herøy", "Finnøy", "Trondhiem"] * 15
    match_municipalities(["Oslo"], 2024)  # indexes built once per year
    start = time.perf_counter()
    result = match_municipalities(names, 2024)
    assert time.perf_counter() - start < 0.5
    assert len(result) == len(names) >= 400
    assert isinstance(result, pd.DataFrame)


def test_docstring_examples_run():
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("pipelines.geography.names"))
    assert result.attempted > 0 and result.failed == 0
