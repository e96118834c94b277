"""Municipal borders are mapped in one stage: the inbox stores dropped values as reported
(``inbox_values``), staging harmonises them to ``geography_vintage`` and lets them replace the
base values for the keys they cover (``stg_measure_values``)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.geography.levels import comparison_groups
from pipelines.inbox.ingest import inbox_overrides, ingest_contract, ingest_records
from pipelines.indicators.compute import build_indicator_values
from pipelines.records.generate import STARTLAN_SCHEMA
from pipelines.staging.measures import STAGED_COLUMNS, apply_inbox
from pipelines.warehouse import replace_table

ROOT = Path(__file__).resolve().parents[1]
HEADER = "kommunenr;år;antall_startlan;startlan_kr;barnefamilier;unge\n"
# 2019 rows of the three municipalities merged into 3025 Asker in 2020 (3203 Asker from 2024)
ASKER_2019 = "0220;2019;40;80000000;10;9\n0627;2019;11;20000000;3;2\n0628;2019;7;9000000;1;1\n"


def _drop(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _base(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    """A staged table holding only the given base values (as if from the bundled demo file)."""
    frame = pd.DataFrame(rows, columns=["geo_code", "year", "measure_id", "value"])
    return frame.assign(
        geo_level="kommune", data_origin="synthetic", source_id="husbanken_startlan", is_estimate=False,
        note=pd.NA, source_ref="file:data/demo/husbanken_startlan.csv", vintage="sha256:demo", stale=False,
        source_status=pd.NA, preliminary=False,
    )[STAGED_COLUMNS].astype({"year": "int32", "note": "string", "source_status": "string"})  # fmt: skip


def _staged(staged: pd.DataFrame, measure: str, code: str, year: int) -> pd.Series:
    rows = staged[(staged.measure_id == measure) & (staged.geo_code == code) & (staged.year == year)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _stored(con: duckdb.DuckDBPyConnection, column: str) -> dict[tuple[str, int], float]:
    rows = con.execute(
        "SELECT geo_code, year, value FROM inbox_values WHERE column_name = ? ORDER BY ALL", [column]
    ).fetchall()
    return {(code, year): value for code, year, value in rows}


def test_a_file_is_stored_as_reported_and_harmonised_in_staging(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "startlan_2019.csv", HEADER + ASKER_2019 + "0219;2019;77;150000000;30;20\n"
          "0301;2019;1200;..;300;250\n")  # fmt: skip
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    assert _stored(con, "start_loans") == {
        ("0219", 2019): 77.0, ("0220", 2019): 40.0, ("0301", 2019): 1200.0, ("0627", 2019): 11.0,
        ("0628", 2019): 7.0,
    }  # fmt: skip

    base = _base([("3203", 2019, "start_loans", 999.0), ("3201", 2019, "start_loans", 999.0),
                  ("3203", 2018, "start_loans", 999.0)])  # fmt: skip
    staged = apply_inbox(base, inbox_overrides(con), catalogue)
    asker = _staged(staged, "start_loans", "3203", 2019)
    assert asker.value == 40 + 11 + 7 and not asker.is_estimate
    assert asker.source_ref == "file:inbox/husbanken_startlan/startlan_2019.csv"
    assert asker.data_origin == "file" and asker.vintage.startswith("sha256:")
    assert _staged(staged, "start_loans_nok", "3203", 2019).value == 109_000_000
    assert _staged(staged, "start_loans", "3201", 2019).value == 77.0  # Bærum renumbered
    assert _staged(staged, "start_loans", "3203", 2018).value == 999.0  # a key the file does not cover
    assert not set(staged.geo_code) & {"0219", "0220", "0627", "0628"}
    # SSB's symbols stay with the municipality they were sent for
    oslo = _staged(staged, "start_loans_nok", "0301", 2019)
    assert pd.isna(oslo.value) and oslo.source_status == ".."


def test_record_aggregates_are_stored_as_reported_and_harmonised_in_staging(tmp_path, con, catalogue) -> None:
    rows = [
        (1, "0220", "2019-03-01", 2_000_000, "true", "under_25"),
        (2, "0220", "2019-07-15", 1_500_000, "false", "25_34"),
        (3, "0627", "2019-05-05", 1_200_000, "true", "50_66"),
        (4, "3201", "2019-05-05", 1_000_000, "true", "50_66"),  # not a code in 2019: quarantined
    ]
    folder = tmp_path / "husbanken_startlan_records"
    lines = [",".join(STARTLAN_SCHEMA.names), *(",".join(map(str, r)) for r in rows)]
    _drop(folder, "loans.csv", "\n".join(lines) + "\n")
    ingest_records(con, catalogue, catalogue.records["husbanken_startlan_records"], folder)
    assert _stored(con, "start_loans") == {("0220", 2019): 2.0, ("0627", 2019): 1.0}
    (raw, reason), *others = con.execute("SELECT raw_value, reason FROM quarantine").fetchall()
    assert raw == "3201" and "did not exist on 1 January 2019" in reason and others == []

    staged = apply_inbox(_base([("3203", 2019, "start_loans", 999.0)]), inbox_overrides(con), catalogue)
    asker = _staged(staged, "start_loans", "3203", 2019)
    assert asker.value == 3.0
    assert asker.source_ref == "file:inbox/husbanken_startlan/husbanken_startlan_records/loans.csv"


def test_parts_of_a_merger_from_different_files_are_summed_and_a_corrected_file_replaces_its_own_values(
    tmp_path, con, catalogue
) -> None:
    folder = tmp_path / "husbanken_startlan"
    contract = catalogue.contracts["husbanken_startlan"]
    _drop(folder, "a.csv", HEADER + "0220;2019;40;80000000;10;9\n0627;2019;11;20000000;3;2\n")
    _drop(folder, "b.csv", HEADER + "0628;2019;7;9000000;1;1\n")
    ingest_contract(con, catalogue, contract, folder)
    staged = apply_inbox(_base([]), inbox_overrides(con), catalogue)
    asker = _staged(staged, "start_loans", "3203", 2019)
    assert asker.value == 58.0
    assert asker.source_ref == "file:inbox/husbanken_startlan/a.csv + file:inbox/husbanken_startlan/b.csv"
    assert asker.vintage.count("sha256:") == 2

    stored = con.execute("SELECT * FROM inbox_values ORDER BY ALL").fetchall()
    ingest_contract(con, catalogue, contract, folder)  # the same files again: nothing changes
    assert con.execute("SELECT * FROM inbox_values ORDER BY ALL").fetchall() == stored

    # b.csv corrected: Hurum (0628) replaced by Røyken (0627), which a.csv also gives
    _drop(folder, "b.csv", HEADER + "0627;2019;11;20000000;3;2\n")
    ingest_contract(con, catalogue, contract, folder)
    values = con.execute(
        "SELECT geo_code, file FROM inbox_values WHERE column_name = 'start_loans' ORDER BY ALL"
    ).fetchall()
    # b's earlier 0628 is gone; 0627 is held by both files, equal, so no conflict
    assert values == [("0220", "a.csv"), ("0627", "a.csv"), ("0627", "b.csv")]
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    staged = apply_inbox(_base([("3203", 2019, "start_loans", 999.0)]), inbox_overrides(con), catalogue)
    asker = _staged(staged, "start_loans", "3203", 2019)
    assert pd.isna(asker.value) and "0628 Hurum" in asker.note  # Hurum absent: no partial sum of 51


def test_split_units_are_apportioned_and_flagged_as_estimates(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "alesund.csv", HEADER + "1507;2021;100;200000000;30;20\n")  # split in 2024
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    assert _stored(con, "start_loans") == {("1507", 2021): 100.0}
    staged = apply_inbox(_base([]), inbox_overrides(con), catalogue)
    parts = staged[(staged.measure_id == "start_loans") & (staged.year == 2021)]
    assert set(parts.geo_code) == {"1508", "1580"} and parts.is_estimate.all()
    assert parts.value.sum() == pytest.approx(100.0)


def test_a_measure_that_is_not_additive_is_never_summed(tmp_path, con, catalogue) -> None:
    measures = dict(catalogue.measures)
    measures["start_loans"] = measures["start_loans"].model_copy(update={"additive": False})
    variant = dataclasses.replace(catalogue, measures=measures)
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "f.csv", HEADER + ASKER_2019 + "0219;2019;77;150000000;30;20\n")
    ingest_contract(con, variant, variant.contracts["husbanken_startlan"], folder)
    staged = apply_inbox(_base([]), inbox_overrides(con), variant)
    assert pd.isna(_staged(staged, "start_loans", "3203", 2019).value)  # a merger: no value
    assert _staged(staged, "start_loans", "3201", 2019).value == 77.0  # a renumbering keeps it
    assert _staged(staged, "start_loans_young", "3203", 2019).value == 12.0  # still additive


def test_county_files_pass_through_unharmonised(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "evictions"
    _drop(folder, "fylker.csv", "fylke;år;begjæringer;utkastelser\n03;2023;4100;900\n46;2023;2100;400\n")
    ingest_contract(con, catalogue, catalogue.contracts["evictions"], folder)
    staged = apply_inbox(_base([]), inbox_overrides(con), catalogue)
    counties = staged[staged.geo_level == "fylke"]
    assert set(counties.geo_code) == {"03", "46"} and not counties.is_estimate.any()
    assert len(counties) == 4  # two counties × two measures


def test_a_stored_code_that_was_not_valid_in_its_year_stops_staging_naming_the_file(con, catalogue) -> None:
    """A warehouse whose inbox stored harmonised codes (3203 for 2019) must not be harmonised twice."""
    stored = pd.DataFrame(
        {"source_id": ["husbanken_startlan"], "geo_level": ["kommune"], "geo_code": ["3203"], "year": [2019],
         "column_name": ["start_loans"], "value": [58.0], "status": [None], "file": ["old.csv"],
         "fingerprint": ["sha256:x"], "is_estimate": [False]}
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"old\.csv .*3203.*did not exist on 1 January 2019"):
        apply_inbox(_base([]), stored, catalogue)


# ------------------------------------------------------------------- one stage harmonises


def harmonise_imports(source: str) -> list[str]:
    """Where ``source`` reaches the ``harmonise`` function: importing the name (from the package or
    its module), importing its module whole, or an attribute ``….harmonise``. Importing
    ``code_problems`` from the module is allowed: it checks a code's validity and maps nothing."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name == "harmonise"]  # fmt: skip
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[-1] == "harmonise"]  # fmt: skip
        elif isinstance(node, ast.Attribute) and node.attr == "harmonise":
            found.append(f"line {node.lineno}: .harmonise")
    return found


def test_the_inbox_and_the_records_never_harmonise() -> None:
    files = sorted([*(ROOT / "pipelines/inbox").glob("*.py"), *(ROOT / "pipelines/records").glob("*.py")])
    assert len(files) >= 6
    found = {str(p.relative_to(ROOT)): harmonise_imports(p.read_text(encoding="utf-8")) for p in files}
    assert {p: f for p, f in found.items() if f} == {}


def test_the_import_check_sees_every_way_to_reach_harmonise() -> None:
    assert harmonise_imports("from pipelines.geography import harmonise") != []
    assert harmonise_imports("from pipelines.geography.harmonise import harmonise as h") != []
    assert harmonise_imports("import pipelines.geography.harmonise") != []
    assert harmonise_imports("import pipelines.geography as g\ng.harmonise(frame)") != []
    assert harmonise_imports("from pipelines.geography.harmonise import code_problems") == []


def test_a_partial_set_of_merged_municipalities_is_never_published_as_complete(
    tmp_path, con, catalogue
) -> None:
    """Stavanger 1103 (2020 borders) is 2019's 1103 Stavanger + 1141 Finnøy + 1142 Rennesøy. A file
    with Stavanger's row loaded and Finnøy's quarantined (Rennesøy absent) must not publish 1103's
    value as Stavanger 2019: the cell is missing, with a note naming the absent parts."""
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "stavanger_2019.csv", HEADER + "1103;2019;405;800000000;100;90\n"
          "1141;2019;-66;1000000;1;1\n")  # fmt: skip
    report = ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    (file,) = report.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (2, 1, 1)
    quarantined = con.execute('SELECT file, "row", "column", reason FROM quarantine').fetchall()
    assert [(f, r, c) for f, r, c, _ in quarantined] == [("stavanger_2019.csv", 3, "antall_startlan")]
    assert _stored(con, "start_loans") == {("1103", 2019): 405.0}

    base = _base([("1103", 2019, "start_loans", 471.0), ("1103", 2020, "start_loans", 480.0)])
    staged = apply_inbox(base, inbox_overrides(con), catalogue)
    stavanger = _staged(staged, "start_loans", "1103", 2019)
    assert pd.isna(stavanger.value)  # never 405 shown as Stavanger's whole
    assert "1141 Finnøy" in stavanger.note and "1142 Rennesøy" in stavanger.note
    assert "start_loans" in stavanger.note and "no partial sum" in stavanger.note
    assert stavanger.source_ref == "file:inbox/husbanken_startlan/stavanger_2019.csv"
    assert _staged(staged, "start_loans", "1103", 2020).value == 480.0  # a year the file does not cover

    # the missing parts arrive in another file: the sum is complete, the note gone
    _drop(folder, "finnoy_rennesoy_2019.csv", HEADER + "1141;2019;40;1000000;1;1\n1142;2019;26;1000000;1;1\n")
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    stavanger = _staged(apply_inbox(base, inbox_overrides(con), catalogue), "start_loans", "1103", 2019)
    assert stavanger.value == 471.0 and pd.isna(stavanger.note)


# Rogaland with two municipalities: enough to see Stavanger's cell and the county built on it
ROGALAND = pd.DataFrame(
    {
        "kommunenr": ["1103", "1108"],
        "kommune_name": ["Stavanger", "Sandnes"],
        "county_code": ["11", "11"],
        "county_name": ["Rogaland", "Rogaland"],
    }
)


def _startlan_per_1000(con: duckdb.DuckDBPyConnection, staged: pd.DataFrame, catalogue) -> pd.DataFrame:
    """``indicator_values`` of 2019 (all of its people), computed from ``staged`` by the real query
    (assets/sql/indicator_values.sql) over the two Rogaland municipalities."""
    replace_table(con, "dim_municipality", ROGALAND)
    replace_table(con, "dim_comparison_group", comparison_groups(2024).iloc[0:0])
    replace_table(con, "stg_measure_values", staged)
    build_indicator_values(con, catalogue, years=[2019], indicator_ids=["startlan_per_1000"])
    return con.execute(
        "SELECT geo_code, status, value, numerator, denominator, units_reported, units_total, source "
        "FROM indicator_values WHERE target_group = 'alle' ORDER BY geo_code"
    ).df().set_index("geo_code")  # fmt: skip


def test_a_partial_set_of_merged_municipalities_is_missing_in_indicator_values(
    tmp_path, con, catalogue
) -> None:
    """The same partial Stavanger 2019 file (1103 loaded, 1141 Finnøy quarantined, 1142 Rennesøy
    absent), one stage further: the indicator for Stavanger 2019 is `missing`, never 405 as if it
    were the whole of today's Stavanger, and Rogaland and the nation count Sandnes alone, saying so
    (1 of 2 units). When the absent parts arrive the cell is shown, from the whole sum."""
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "stavanger_2019.csv", HEADER + "1103;2019;405;800000000;100;90\n"
          "1141;2019;-66;1000000;1;1\n")  # fmt: skip
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    base = _base([("1103", 2019, "start_loans", 471.0), ("1108", 2019, "start_loans", 300.0)])
    inhabitants = _base(
        [
            ("1103", 2019, "inhabitants_end_of_year", 144_000.0),
            ("1108", 2019, "inhabitants_end_of_year", 80_000.0),
        ]
    ).assign(source_id="population")
    staged = apply_inbox(pd.concat([base, inhabitants], ignore_index=True), inbox_overrides(con), catalogue)

    values = _startlan_per_1000(con, staged, catalogue)
    stavanger = values.loc["1103"]
    assert stavanger.status == "missing"
    assert pd.isna(stavanger.value) and pd.isna(stavanger.numerator)
    assert (stavanger.units_reported, stavanger.units_total) == (0, 1)
    for aggregate in ("11", "EAK"):  # Sandnes only, and the count says the sum is partial
        row = values.loc[aggregate]
        assert row.status == "shown" and row.numerator == 300 and row.denominator == 80_000
        assert (row.units_reported, row.units_total) == (1, 2)
    assert values["numerator"].ne(405).all() and values["numerator"].ne(705).all()

    # the absent parts arrive: Stavanger 2019 is the whole sum, shown and counted
    _drop(folder, "finnoy_rennesoy_2019.csv", HEADER + "1141;2019;40;1000000;1;1\n1142;2019;26;1000000;1;1\n")
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    staged = apply_inbox(pd.concat([base, inhabitants], ignore_index=True), inbox_overrides(con), catalogue)
    values = _startlan_per_1000(con, staged, catalogue)
    stavanger = values.loc["1103"]
    assert stavanger.status == "shown" and stavanger.numerator == 405 + 40 + 26
    assert stavanger.value == pytest.approx(471 / 144_000 * 1000)
    assert "finnoy_rennesoy_2019.csv" in stavanger.source and "stavanger_2019.csv" in stavanger.source
    assert (values.loc["11"].units_reported, values.loc["11"].units_total) == (2, 2)


def _files(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    rows = con.execute("SELECT file, rows_read, rows_loaded, rows_quarantined FROM inbox_files").fetchall()
    return {file: (read, loaded, quarantined) for file, read, loaded, quarantined in rows}


def test_two_files_with_different_values_for_a_key_quarantine_the_cell_in_both(
    tmp_path, con, catalogue
) -> None:
    """Neither file wins (formerly the alphabetically later one did): the cell is quarantined in both
    files, naming both, the base value stays; equal values elsewhere are loaded once, both named."""
    folder = tmp_path / "husbanken_startlan"
    contract = catalogue.contracts["husbanken_startlan"]
    _drop(folder, "a.csv", HEADER + "0301;2023;1234;2500000000;600;500\n4601;2023;800;1;1;1\n")
    _drop(folder, "b.csv", HEADER + "5001;2023;700;1;1;1\n0301;2023;1300;2500000000;600;500\n")
    report = ingest_contract(con, catalogue, contract, folder)
    counts = {f.file: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files}
    assert counts == {"a.csv": (2, 1, 1), "b.csv": (2, 1, 1)}  # read = loaded + quarantined
    assert _files(con) == counts
    entries = con.execute(
        'SELECT file, "row", "column", raw_value, reason FROM quarantine ORDER BY file'
    ).fetchall()
    assert [(f, r, c, v) for f, r, c, v, _ in entries] == [
        ("a.csv", 2, "start_loans", "1234.0"),
        ("b.csv", 3, "start_loans", "1300.0"),
    ]
    for _, _, _, _, reason in entries:
        assert (
            reason.startswith("conflicting files") and "a.csv (row 2)" in reason and "b.csv (row 3)" in reason
        )
        assert "0301" in reason and "2023" in reason

    base = _base([("0301", 2023, "start_loans", 999.0)])
    staged = apply_inbox(base, inbox_overrides(con), catalogue)
    oslo = _staged(staged, "start_loans", "0301", 2023)
    assert oslo.value == 999.0 and oslo.source_ref == "file:data/demo/husbanken_startlan.csv"
    # the other columns of the row agree: loaded once, both files named
    nok = _staged(staged, "start_loans_nok", "0301", 2023)
    assert nok.value == 2_500_000_000
    assert nok.source_ref == "file:inbox/husbanken_startlan/a.csv + file:inbox/husbanken_startlan/b.csv"

    # the same files again change nothing; correcting b.csv ends the conflict in both files
    ingest_contract(con, catalogue, contract, folder)
    assert len(con.execute("SELECT * FROM quarantine").fetchall()) == 2
    _drop(folder, "b.csv", HEADER + "5001;2023;700;1;1;1\n0301;2023;1234;2500000000;600;500\n")
    report = ingest_contract(con, catalogue, contract, folder)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert _files(con) == {"a.csv": (2, 2, 0), "b.csv": (2, 2, 0)}
    oslo = _staged(apply_inbox(base, inbox_overrides(con), catalogue), "start_loans", "0301", 2023)
    assert oslo.value == 1234.0
    assert oslo.source_ref == "file:inbox/husbanken_startlan/a.csv + file:inbox/husbanken_startlan/b.csv"


def test_a_blank_optional_cell_never_erases_a_value(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "husbanken_startlan"
    contract = catalogue.contracts["husbanken_startlan"]
    _drop(folder, "a.csv", HEADER + "0301;2023;1234;2500000000;600;500\n")
    _drop(folder, "b.csv", HEADER + "0301;2023;1234;;600;500\n4601;2023;800;;1;1\n")  # startlan_kr blank
    report = ingest_contract(con, catalogue, contract, folder)
    assert {f.file: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files} == {
        "a.csv": (1, 1, 0), "b.csv": (2, 2, 0)
    }  # fmt: skip
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert _stored(con, "start_loans_nok") == {("0301", 2023): 2_500_000_000}  # no blank stored
    base = _base([("0301", 2023, "start_loans_nok", 1.0), ("4601", 2023, "start_loans_nok", 777.0)])
    staged = apply_inbox(base, inbox_overrides(con), catalogue)
    oslo = _staged(staged, "start_loans_nok", "0301", 2023)
    assert oslo.value == 2_500_000_000 and oslo.source_ref == "file:inbox/husbanken_startlan/a.csv"
    bergen_base = _staged(staged, "start_loans_nok", "4601", 2023)  # the base source's value stays
    assert bergen_base.value == 777.0 and bergen_base.source_ref == "file:data/demo/husbanken_startlan.csv"
    assert _staged(staged, "start_loans", "4601", 2023).value == 800.0


def test_ssb_symbols_of_a_renumbered_or_merged_code_keep_their_status(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "husbanken_startlan"
    # 0219 Bærum (3201 from 2024): a renumbering; Asker's 2019 parts (3203): a merger, one part suppressed
    _drop(folder, "symbols_2019.csv", HEADER + "0219;2019;77;..;30;:\n"
          "0220;2019;40;80000000;10;:\n0627;2019;11;20000000;3;2\n0628;2019;7;9000000;1;1\n")  # fmt: skip
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    staged = apply_inbox(_base([]), inbox_overrides(con), catalogue)
    young = _staged(staged, "start_loans_young", "3201", 2019)
    assert pd.isna(young.value) and young.source_status == ":"  # suppressed stays suppressed
    nok = _staged(staged, "start_loans_nok", "3201", 2019)
    assert pd.isna(nok.value) and nok.source_status == ".."
    assert _staged(staged, "start_loans", "3201", 2019).value == 77.0
    asker = _staged(staged, "start_loans_young", "3203", 2019)
    assert pd.isna(asker.value) and asker.source_status == ":"  # a suppressed part: never a partial sum
    assert pd.isna(_staged(staged, "start_loans_nok", "3203", 2019).source_status)  # all parts reported


def test_a_corrected_file_replaces_exactly_its_own_values_and_removes_the_rest(
    tmp_path, con, catalogue
) -> None:
    folder = tmp_path / "husbanken_startlan"
    contract = catalogue.contracts["husbanken_startlan"]
    _drop(folder, "a.csv", HEADER + "0301;2023;1200;3400000000;400;300\n1103;2023;400;900000000;150;99\n"
          "1108;2023;260;-5;50;40\n")  # fmt: skip
    _drop(folder, "other.csv", HEADER + "4601;2023;600;1600000000;220;175\n")
    ingest_contract(con, catalogue, contract, folder)
    assert _stored(con, "start_loans") == {("0301", 2023): 1200, ("1103", 2023): 400, ("4601", 2023): 600}
    assert con.execute('SELECT file, "row" FROM quarantine').fetchall() == [("a.csv", 4)]
    # corrected a.csv: Oslo's figure changes, Stavanger (1103) is gone, Tromsø (5401) is new
    _drop(folder, "a.csv", HEADER + "0301;2023;1250;3500000000;410;310\n5401;2023;130;300000000;40;30\n")
    report = ingest_contract(con, catalogue, contract, folder)
    assert _stored(con, "start_loans") == {("0301", 2023): 1250, ("4601", 2023): 600, ("5401", 2023): 130}
    assert _stored(con, "start_loans_young") == {("0301", 2023): 310, ("4601", 2023): 175, ("5401", 2023): 30}
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0  # its old quarantine too
    files = {f.file: (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files}
    assert files == {"a.csv": ("loaded", 2, 2, 0), "other.csv": ("unchanged", 0, 0, 0)}
    assert con.execute("SELECT file, rows_read, rows_loaded FROM inbox_files ORDER BY file").fetchall() == [
        ("a.csv", 2, 2),
        ("other.csv", 1, 1),
    ]


def test_a_figure_a_file_marks_preliminary_is_staged_as_preliminary(tmp_path, con, catalogue) -> None:
    folder = tmp_path / "husbanken_startlan"
    _drop(folder, "wide.csv", "kommunenr;2023;2024 (foreløpig)\n0301;1200;1250\n1103;400;410*\n")
    ingest_contract(con, catalogue, catalogue.contracts["husbanken_startlan"], folder)
    staged = apply_inbox(_base([]), inbox_overrides(con), catalogue)
    for code in ["0301", "1103"]:
        final, preliminary = (
            _staged(staged, "start_loans", code, 2023),
            _staged(staged, "start_loans", code, 2024),
        )
        assert not final.preliminary and pd.isna(final.source_status)
        assert preliminary.preliminary and preliminary.source_status == "*"
    assert _staged(staged, "start_loans", "1103", 2024).value == 410


def test_record_aggregates_of_a_year_after_the_pipelines_last_year_are_quarantined(
    tmp_path, con, catalogue
) -> None:
    rows = [
        (1, "0301", "2024-03-01", 2_000_000, "true", "under_25"),
        (2, "0301", "2025-02-01", 1_500_000, "false", "25_34"),  # after last_year 2024
    ]
    folder = tmp_path / "husbanken_startlan_records"
    lines = [",".join(STARTLAN_SCHEMA.names), *(",".join(map(str, r)) for r in rows)]
    _drop(folder, "loans.csv", "\n".join(lines) + "\n")
    ingest_records(con, catalogue, catalogue.records["husbanken_startlan_records"], folder)
    assert _stored(con, "start_loans") == {("0301", 2024): 1.0}
    (raw, reason), *others = con.execute("SELECT raw_value, reason FROM quarantine").fetchall()
    assert raw == "0301" and others == []
    assert "year 2025 is outside the pipeline's years 2014–2024" in reason and "never published" in reason
