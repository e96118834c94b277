"""The release for analysts: the Excel workbook and the CSV files read back against the Parquet."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.exports.spreadsheet import (
    BANNER_SYNTHETIC,
    COLUMNS,
    FRONT_SHEET,
    HEADER_ROW,
    WORKBOOK,
    number_format,
    release_time,
    sheet_names,
    workbook_bytes,
)

LATEST = Path("exports/public/latest")
SYMBOLS = {"shown": "", "missing": "..", "not_applicable": ".", "suppressed": ":"}
KEYS = ["geo_code", "year", "target_group"]


def test_sheet_names_are_excel_safe_and_unique() -> None:
    ids = ["KOSboligSper10000000", "a" * 40, "A" * 40, "x[1]:y*?/\\", "Om tallene"]
    names = sheet_names(ids)
    assert names["KOSboligSper10000000"] == "KOSboligSper10000000"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\'") for n in names.values())
    assert len({n.casefold() for n in names.values()} | {FRONT_SHEET.casefold()}) == len(ids) + 1


def test_number_format_and_release_time() -> None:
    assert [number_format(d) for d in range(4)] == ["0", "0.0", "0.00", "0.000"]
    assert release_time("2026-11-26").isoformat() == "2026-11-26T00:00:00"
    assert release_time("not-a-date").year == 1980  # never the clock


@pytest.fixture(scope="module")
def latest(pipeline_run: Path) -> Path:
    return pipeline_run / LATEST


@pytest.fixture(scope="module")
def values(latest: Path) -> pd.DataFrame:
    return pd.read_parquet(latest / "indicator_values.parquet")


@pytest.fixture(scope="module")
def workbook(latest: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(latest / WORKBOOK, read_only=True)


def test_front_sheet_says_demo_data_release_symbols_licence_and_links_every_indicator(
    workbook: openpyxl.Workbook, values: pd.DataFrame
) -> None:
    front = [[c for c in row if c is not None] for row in workbook[FRONT_SHEET].iter_rows(values_only=True)]
    text = "\n".join(" ".join(str(c) for c in row) for row in front)
    assert front[1] == [BANNER_SYNTHETIC]  # the second line, before anything else
    # invented figures are never credited to SSB: no «Kilde» line, the indicators' sources are
    # named as the source of the definition only
    assert "Kilde: Statistisk sentralbyrå" not in text
    assert not any(row and row[0] == "Kilde" for row in front)
    assert "CC BY 4.0" in text
    legend = {row[0]: row[1] for row in front if len(row) == 2}
    assert legend["Tom verdi og .."].startswith("mangler")
    assert legend["Tom verdi og ."].startswith("ikke aktuelt")
    assert legend["Tom verdi og :"].startswith("skjult av personvernhensyn")
    release = workbook.properties.subject.removeprefix("Release ")
    assert f"Publisering {release}" in text
    assert workbook.properties.created == release_time(release)
    header = front.index(["Ark", "Indikator", "Definisjon", "Enhet", "Desimaler", "Kilde og data",
                          "Engelsk navn", "Id", "Kildelenke"])  # fmt: skip
    listed = front[header + 1 :]
    assert [row[0] for row in listed] == workbook.sheetnames[1:]
    ids = [row[7] for row in listed]
    assert set(ids) == set(values.indicator_id)
    assert [row[0] for row in listed] == list(sheet_names(ids).values())  # the id, made Excel-safe
    assert all(row[5].startswith("Indikatordefinisjon: ") for row in listed)
    assert all("Data: Syntetiske demodata" in row[5] for row in listed)


def test_front_sheet_links_point_at_the_sheets(latest: Path, workbook: openpyxl.Workbook) -> None:
    # read-only mode does not load hyperlinks (and a full load takes a minute): read the sheet's XML
    with zipfile.ZipFile(latest / WORKBOOK) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    locations = re.findall(r'<hyperlink ref="A\d+" location="([^"]+)"', xml)
    assert locations == [f"'{name}'!A1" for name in workbook.sheetnames[1:]]


def test_one_sheet_per_indicator_with_norwegian_headers_banner_filter_and_frozen_header(
    workbook: openpyxl.Workbook, values: pd.DataFrame
) -> None:
    assert workbook.sheetnames[0] == FRONT_SHEET
    names = sheet_names(values.indicator_id.unique())
    assert set(workbook.sheetnames[1:]) == set(names.values())
    assert len(workbook.sheetnames) == 1 + 34
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    for name in workbook.sheetnames[1:]:
        rows = workbook[name].iter_rows(max_row=HEADER_ROW, values_only=True)
        title, origin, _, header = (list(r) for r in rows)
        assert origin[0].startswith(BANNER_SYNTHETIC)
        assert header == [label for label, _, _ in COLUMNS]
    expected = ["Indikator", "Nivå", "Kode", "Navn", "År", "Målgruppe", "Verdi", "Teller", "Nevner", "Status"]
    assert header[:10] == expected


def test_frozen_header_and_autofilter_cover_every_row(latest: Path, values: pd.DataFrame) -> None:
    # read-only mode does not load sheet views, so open one small sheet's XML the way Excel would
    with zipfile.ZipFile(latest / WORKBOOK) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml").decode()
    first = values.indicator_id.iloc[0]
    n = int((values.indicator_id == first).sum())
    assert f'topLeftCell="A{HEADER_ROW + 1}"' in xml and 'state="frozen"' in xml
    assert f'<autoFilter ref="A{HEADER_ROW}:O{HEADER_ROW + n}"' in xml


def test_each_sheet_holds_its_parquet_rows_exactly_with_symbols_and_empty_hidden_cells(
    workbook: openpyxl.Workbook, values: pd.DataFrame
) -> None:
    catalogue = load_catalogue()
    suppressed = values[values.status == "suppressed"].indicator_id.value_counts()
    others = [i for i in values.indicator_id.unique() if i != suppressed.index[0]]
    checked = [suppressed.index[0], *others[:2]]
    groups = {g.id: g.name_nb for g in catalogue.target_groups.values()}
    names = sheet_names(values.indicator_id.unique())
    for indicator_id in checked:
        sheet = workbook[names[indicator_id]]
        rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
        got = pd.DataFrame(rows, columns=[column for _, column, _ in COLUMNS])
        expected = values[values.indicator_id == indicator_id].copy()
        expected["target_group_nb"] = expected.target_group.map(groups)
        merged = expected.merge(got, on=["geo_code", "year", "target_group_nb"], suffixes=("", "_xlsx"))
        assert len(merged) == len(expected) == len(got)
        assert (merged.status.map(SYMBOLS).replace("", None).fillna("") == merged.ssb_symbol.fillna("")).all()
        shown = merged.status == "shown"
        # unrounded numbers: openpyxl writes 16 significant digits (Excel shows 15)
        assert np.allclose(merged.value[shown], merged.value_xlsx[shown].astype(float), rtol=1e-15, atol=0)
        assert merged.value_xlsx[~shown].isna().all()  # a hidden or missing cell is empty, never 0
        assert merged.numerator_xlsx.isna().equals(merged.numerator.isna())
    rows = workbook[names[checked[0]]].iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    status, value = (
        next(i for i, c in enumerate(COLUMNS) if c[1] == name) for name in ("ssb_symbol", "value")
    )
    hidden = [row for row in rows if row[status] == ":"]
    assert hidden and all(row[value] is None for row in hidden)  # the sheet with most hidden cells has some


def test_value_cells_carry_the_indicators_decimals_as_number_format(
    workbook: openpyxl.Workbook, values: pd.DataFrame
) -> None:
    catalogue = load_catalogue()
    decimals = set()
    ids = {name: indicator_id for indicator_id, name in sheet_names(values.indicator_id.unique()).items()}
    for name in workbook.sheetnames[1:]:
        cells = next(workbook[name].iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 1))
        value = cells[6]
        expected = catalogue.indicators[ids[name]].decimals
        decimals.add(expected)
        assert value.number_format == number_format(expected), name
        assert value.data_type == "n"  # a number, not text
    assert len(decimals) > 1  # the check sees more than one format


def test_workbook_bytes_do_not_depend_on_the_clock(latest: Path, values: pd.DataFrame) -> None:
    """Publishing the same data again must give the same bytes (the release hash is over bytes);
    openpyxl stamps the time of saving into docProps/core.xml and every zip entry."""
    catalogue = load_catalogue()
    small = values[values.indicator_id == values.indicator_id.iloc[0]]
    geography = pd.read_parquet(latest / "dim_geography.parquet")
    first = workbook_bytes(small, geography, catalogue, "2026-11-26")
    time.sleep(2.1)  # zip entries keep time in 2-second steps
    assert workbook_bytes(small, geography, catalogue, "2026-11-26") == first


def test_real_figures_get_source_credits_and_no_demo_banner(latest: Path, values: pd.DataFrame) -> None:
    catalogue = load_catalogue()
    first = values.indicator_id.iloc[0]
    real = values[values.indicator_id == first].assign(data_origin="ssb")
    geography = pd.read_parquet(latest / "dim_geography.parquet")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(real, geography, catalogue, "2026-11-26")))
    text = "\n".join(str(c) for row in book[FRONT_SHEET].iter_rows(values_only=True) for c in row if c)
    assert BANNER_SYNTHETIC not in text and "Syntetiske" not in text
    assert "Kilde\nStatistisk sentralbyrå; kilden for hver indikator" in text
    assert f"Kilde: {catalogue.indicators[first].source_nb}" in text
    origin = book[sheet_names([first])[first]]["A2"].value
    assert origin.startswith("Kilde: ") and "Data: Statistisk sentralbyrå" in origin


def test_csv_reads_back_to_the_parquet_exactly(latest: Path, values: pd.DataFrame) -> None:
    path = latest / "indicator_values.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8 (æøå, Sámi names)
    header = raw[3:].split(b"\r\n", 1)[0].decode()
    assert header.split(";") == [*values.columns[: values.columns.get_loc("status") + 1], "ssb_symbol",
                                 *values.columns[values.columns.get_loc("status") + 1 :]]  # fmt: skip
    csv = pd.read_csv(
        path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"geo_code": str, "ssb_symbol": str},
        keep_default_na=False, na_values=[""],
    )  # fmt: skip
    assert len(csv) == len(values)
    assert (csv.ssb_symbol.fillna("") == values.status.map(SYMBOLS)).all()
    pd.testing.assert_frame_equal(csv.drop(columns="ssb_symbol"), values, check_dtype=False, check_exact=True)
    # years plain (found by name: a name with a comma, «Statsforvalteren i Østfold, Buskerud, …»,
    # sits just before it)
    year = header.split(";").index("year")
    assert not any(b"," in line.split(b";")[year] for line in raw.splitlines()[1:50])


def test_every_parquet_table_has_a_csv_twin(latest: Path) -> None:
    for parquet in latest.glob("*.parquet"):
        table = pd.read_parquet(parquet)
        csv = pd.read_csv(parquet.with_suffix(".csv"), sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
        assert [c for c in csv.columns if c != "ssb_symbol"] == list(table.columns), parquet.name
        assert len(csv) == len(table), parquet.name
