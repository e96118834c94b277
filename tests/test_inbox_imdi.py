"""IMDi's settlement figures, keyed by municipality *name* and county (issue 20, point 3).

The fixtures in ``tests/fixtures/inbox/imdi/`` are a saved «Nøkkeltall bosetting 2023» page (one
table per county, the county as the heading above it, Herøy in two counties, a Sámi/Norwegian
name, ``:`` and free text in number cells) and CSV exports with a county column. Every test checks
that each row read is loaded or quarantined, and that quarantine names the file, row and column.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.catalogue.contracts import Contract
from pipelines.inbox.read import read_grid
from pipelines.inbox.validate import validate_file
from tests.test_inbox_files import contracts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "inbox" / "imdi"
PAGE = FIXTURES / "nokkeltall-bosetting-2023.html"


def contract() -> Contract:
    return contracts()["refugee_settlement"]


def _accounted(result) -> None:
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert result.quarantine["row"].nunique() == result.rows_quarantined
    assert result.quarantine["reason"].str.len().gt(0).all()


def _values(result) -> dict[str, tuple[float, object]]:
    loaded = result.loaded
    return {
        code: (value, status)
        for code, value, status in zip(
            loaded["geo_code"], loaded["refugees_settled"], loaded["refugees_settled__status"], strict=True
        )
    }


def test_saved_page_tables_are_read_with_the_county_heading_before_each() -> None:
    grid = read_grid(PAGE)
    assert grid.attrs["format"] == "html" and grid.attrs["year"] == 2023
    assert list(grid["fylke"].unique()) == ["Møre og Romsdal", "Nordland", "Troms og Finnmark"]
    assert list(grid["Kommune"]) == [
        "Ålesund", "Herøy", "Molde", "Bodø", "Herøy", "Vefsn", "Tromsø", "Kárášjohka - Karasjok", "Storfjell",
    ]  # fmt: skip
    assert (
        grid.loc[grid["Kommune"] == "Bodø", "Bosatte"].item() == "1 204"
    )  # a no-break space, as on the page, reads as a space
    assert grid["_row"].tolist()[:3] == [20, 21, 22]  # the <tr>'s line in the saved file


def test_names_and_county_headings_become_codes_for_the_page_year() -> None:
    result = validate_file(PAGE, contract())
    _accounted(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 7, 2)
    assert set(result.loaded["year"]) == {2023}
    values = _values(result)
    assert values["1515"] == (38.0, None)  # Herøy under the «Møre og Romsdal» heading
    assert math.isnan(values["1818"][0])  # Herøy under «Nordland»
    assert values["1507"][0] == 262.0 and values["1804"][0] == 1204.0 and values["5437"][0] == 14.0
    # «Bosatte» fills refugees_settled; the other columns are not measures of this source
    assert {"Anmodet", "Vedtatt", "Bosatte med kollektiv beskyttelse"} <= set(result.ignored_columns)
    unknown = result.quarantine[result.quarantine["row"] == 44].iloc[0]
    assert (unknown["file"], unknown["column"], unknown["raw_value"]) == (PAGE.name, "Kommune", "Storfjell")
    assert "Troms og Finnmark" in unknown["reason"] and "5425 Storfjord" in unknown["reason"]


def test_colon_is_stored_as_suppressed_and_free_text_is_quarantined_with_the_text() -> None:
    result = validate_file(PAGE, contract())
    value, status = _values(result)["1818"]
    assert math.isnan(value) and status == ":"  # «:» = fewer than 5, suppressed — never 0
    text = result.quarantine[result.quarantine["row"] == 22].iloc[0]
    assert (text["file"], text["column"], text["raw_value"]) == (PAGE.name, "Bosatte", "avventer vedtak")
    assert "'avventer vedtak'" in text["reason"]
    assert "1506" not in set(result.loaded["geo_code"])  # Molde's row is not loaded


def test_csv_with_a_county_column_and_an_ambiguous_name_without_county() -> None:
    path = FIXTURES / "bosetting_2023_fylke.csv"
    result = validate_file(path, contract())
    _accounted(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    values = _values(result)
    assert values["1515"][0] == 38.0 and values["3419"][0] == 21.0 and values["3018"][0] == 24.0
    assert values["1818"][1] == ":"
    entry = result.quarantine.iloc[0]
    assert (entry["file"], entry["row"], entry["column"], entry["raw_value"]) == (
        path.name,
        5,
        "kommune",
        "Herøy",
    )
    assert "ambiguous" in entry["reason"]
    assert "1515 Herøy (Møre og Romsdal)" in entry["reason"] and "1818 Herøy (Nordland)" in entry["reason"]


def test_by_name_files_before_2022_are_refused_row_by_row_with_the_reason() -> None:
    assert contract().name_first_year == 2022
    path = FIXTURES / "bosetting_2019_fylke.csv"
    result = validate_file(path, contract())
    _accounted(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 0, 6)
    assert result.loaded.empty  # nothing stored: not a 0, not a value
    assert set(result.quarantine["row"]) == {3, 4, 5, 6, 7, 8}
    assert set(result.quarantine["column"]) == {"år"}
    assert all("only from 2022" in r and "2019" in r for r in result.quarantine["reason"])


def test_page_year_from_the_file_name_when_the_title_has_none(tmp_path: Path) -> None:
    text = PAGE.read_text(encoding="utf-8")
    text = text.replace("Nøkkeltall bosetting 2023", "Bosetting").replace("i kommunene i 2023", "i kommunene")
    path = tmp_path / "nokkeltall-bosetting-2019.htm"
    path.write_text(text, encoding="utf-8")
    result = validate_file(path, contract())
    _accounted(result)
    assert result.rows_loaded == 0 and result.rows_quarantined == 9
    early = result.quarantine[result.quarantine["reason"].str.contains("only from 2022")]
    assert len(early) == 9 and "(from the title or file name)" in early["reason"].iloc[0]


def test_code_files_are_unchanged_by_the_name_matching() -> None:
    path = Path(__file__).resolve().parent / "fixtures" / "inbox" / "refugees_layout_not_allowed.csv"
    from pipelines.inbox.by_name import names_not_codes
    from pipelines.inbox.read import UnreadableFileError

    grid = read_grid(path, header_hints=["kommunenr", *contract().geo_aliases])
    assert names_not_codes(grid, contract()) is None
    with pytest.raises(UnreadableFileError):
        validate_file(path, contract())


def test_a_dropped_page_is_ingested_into_the_inbox_tables(tmp_path: Path) -> None:
    from pipelines.inbox.ingest import ingest_contract
    from pipelines.resources import catalogue

    folder = tmp_path / "refugee_settlement"
    folder.mkdir()
    shutil.copy(PAGE, folder / PAGE.name)
    con = duckdb.connect()
    report = ingest_contract(con, catalogue(), contract(), folder)
    (file,) = report.files
    assert (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("loaded", 9, 7, 2)


def test_xlsx_export_with_a_county_column_and_the_year_in_the_file_name(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Bosetting"
    sheet.append(["Oversikt over bosettingen i kommunene i 2024"])
    sheet.append(["Fylke", "Kommune", "Anmodet", "Vedtatt", "Bosatte"])
    sheet.append(["Møre og Romsdal", "Herøy", 35, 35, 33])
    sheet.append(["Nordland", "Herøy", 8, 8, ":"])
    sheet.append(["Finnmark", "Kárášjohka - Karasjok", 12, 12, "avventer vedtak"])
    sheet.append(["Østfold", "Våler", 20, 20, 19])
    path = tmp_path / "nokkeltall-bosetting-2024.xlsx"
    workbook.save(path)
    result = validate_file(path, contract())
    _accounted(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    values = _values(result)
    assert values["1515"][0] == 33.0 and values["1818"][1] == ":" and values["3114"][0] == 19.0
    entry = result.quarantine.iloc[0]
    assert (entry["file"], entry["row"], entry["column"], entry["raw_value"]) == (
        path.name,
        5,
        "Bosatte",
        "avventer vedtak",
    )


def test_a_workbook_sheet_named_after_a_county_gives_the_county(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Nordland"
    sheet.append(["Kommune", "År", "Bosatte"])
    sheet.append(["Herøy", 2023, ":"])
    sheet.append(["Bodø", 2023, 204])
    sheet.append(["Ålesund", 2023, 262])  # not in Nordland
    path = tmp_path / "bosetting_nordland.xlsx"
    workbook.save(path)
    result = validate_file(path, contract())
    _accounted(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert _values(result)["1818"][1] == ":" and _values(result)["1804"][0] == 204.0
    entry = result.quarantine.iloc[0]
    assert (entry["file"], entry["row"], entry["column"], entry["raw_value"]) == (
        path.name,
        4,
        "Kommune",
        "Ålesund",
    )
    assert "county 'Nordland'" in entry["reason"] and "1507 Ålesund" in entry["reason"]
