"""A source declared ``available_from`` (assets/sources.yaml) is missing, with its note, in every
earlier year: IMDi publishes settlement per municipality only from 2022, so 2014–2021 are `..`,
never 0 and never a synthetic stand-in."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.catalogue import Catalogue
from pipelines.geography.levels import comparison_groups
from pipelines.inbox.validate import validate_file
from pipelines.indicators.compute import build_indicator_values
from pipelines.sources.load import LoadedSource, load_reference_geography, load_source
from pipelines.staging.measures import measure_values, unavailable_years
from pipelines.warehouse import replace_table

NOTE = "IMDi publiserer bosetting per kommune først fra 2022; eldre år er ikke tilgjengelige i pipelinen."
HEADER = "kommunenr,year,refugees_settled,refugees_settled_within_6_months,data_origin\n"


def _staged(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, root: Path, rows: str
) -> tuple[LoadedSource, pd.DataFrame]:
    """Load an IMDi file holding ``rows`` the way the source asset does, and stage it."""
    path = root / catalogue.sources["refugee_settlement"].path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    load_reference_geography(con, catalogue)
    loaded = load_source(con, catalogue, "refugee_settlement", repo_root=root)
    raw = con.execute("SELECT * FROM raw_refugee_settlement").df()
    staged = unavailable_years(measure_values({"refugee_settlement": raw}, catalogue), catalogue)
    return loaded, staged


def _cell(staged: pd.DataFrame, measure: str, code: str, year: int) -> pd.Series:
    rows = staged[(staged.measure_id == measure) & (staged.geo_code == code) & (staged.year == year)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_earlier_years_are_missing_with_the_note_and_earlier_rows_are_counted(
    tmp_path: Path, con, catalogue: Catalogue
) -> None:
    rows = "0301,2019,1000,800,synthetic\n0301,2022,2900,2000,synthetic\n4601,2022,900,700,synthetic\n"
    loaded, staged = _staged(con, catalogue, tmp_path, rows)
    # the 2019 row is outside the scope: counted in the metadata, not loaded (nor silently dropped)
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_outside_scope) == (3, 2, 1)

    early = staged[staged.year < 2022]
    # every municipality of the pipeline's borders × 2014–2021 × both measures, none with a value
    assert len(early) == 357 * 8 * 2
    assert early["value"].isna().all()
    assert (early["source_status"] == "..").all() and (early["note"] == NOTE).all()
    assert set(early["source_id"]) == {"refugee_settlement"}
    oslo = _cell(staged, "refugees_settled", "0301", 2019)
    assert pd.isna(oslo.value) and oslo.note == NOTE  # the file's 1000 is not used
    assert _cell(staged, "refugees_settled", "0301", 2022).value == 2900
    assert pd.isna(_cell(staged, "refugees_settled", "0301", 2022).note)
    assert not staged.duplicated(["measure_id", "geo_code", "year"]).any()


def test_the_indicator_is_missing_before_2022_and_shown_from_it(tmp_path: Path, con, catalogue) -> None:
    rows = "0301,2022,2900,2000,synthetic\n4601,2022,900,700,synthetic\n"
    _, staged = _staged(con, catalogue, tmp_path, rows)
    dim = pd.DataFrame({"kommunenr": ["0301", "4601"], "kommune_name": ["Oslo", "Bergen"],
                        "county_code": ["03", "46"], "county_name": ["Oslo", "Vestland"]})  # fmt: skip
    replace_table(con, "dim_municipality", dim)
    replace_table(con, "dim_comparison_group", comparison_groups(2024).iloc[0:0])
    replace_table(con, "stg_measure_values", staged[staged.geo_code.isin(dim.kommunenr)])
    build_indicator_values(
        con, catalogue, years=[2019, 2022], indicator_ids=["flyktninger_bosatt_6mnd_andel"]
    )
    values = con.execute("SELECT geo_code, year, status, value, numerator FROM indicator_values").df()
    before = values[values.year == 2019]
    assert set(before["geo_code"]) == {"0301", "4601", "03", "46", "EAK"}
    assert (before["status"] == "missing").all() and before["value"].isna().all()
    assert before["numerator"].isna().all()  # never 0
    nation = values[(values.year == 2022) & (values.geo_code == "EAK")].iloc[0]
    assert nation.status == "shown" and nation.value == pytest.approx(2700 / 3800 * 100)


def test_an_inbox_file_with_earlier_years_has_them_quarantined_with_the_reason(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """A coded IMDi file (no names) with a 2019 row: the contract starts in 2022, like the source,
    so the row is quarantined saying why, not loaded and then hidden by staging."""
    path = tmp_path / "bosetting.csv"
    path.write_text("kommunenr;år;bosatte\n0301;2019;1000\n0301;2022;2900\n", encoding="utf-8")
    result = validate_file(path, catalogue.contracts["refugee_settlement"])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    reasons = result.quarantine["reason"].tolist()
    assert any("year 2019 is outside the contract's years 2022–2030" in r for r in reasons), reasons
    assert set(result.loaded["year"]) == {2022}
