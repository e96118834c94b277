"""Indicator arithmetic on hand-computed cases: sums of parts, zero and missing denominators."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.geography.levels import comparison_groups
from pipelines.indicators.compute import build_indicator_values
from pipelines.warehouse import replace_table

DIM = pd.DataFrame(
    {
        "kommunenr": ["0301", "3201", "3203", "4601"],
        "kommune_name": ["Oslo", "Bærum", "Asker", "Bergen"],
        "county_code": ["03", "32", "32", "46"],
        "county_name": ["Oslo", "Akershus", "Akershus", "Vestland"],
    }
)


def _staged(rows: list[tuple[str, int, str, float | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["geo_code", "year", "measure_id", "value"])
    frame.insert(0, "geo_level", "kommune")
    frame["data_origin"] = "synthetic"
    frame["source_id"] = "test"
    frame["is_estimate"] = False
    frame["note"] = None
    frame["source_ref"] = "file:test.csv"
    frame["vintage"] = "sha256:test"
    frame["stale"] = False
    frame["source_status"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["preliminary"] = False
    return frame


@pytest.fixture()
def values() -> pd.DataFrame:
    cat = load_catalogue()
    con = duckdb.connect()
    replace_table(con, "dim_municipality", DIM)
    # no comparison groups in this hand-made geography: kommune, fylke and land only
    replace_table(con, "dim_comparison_group", comparison_groups(2024).iloc[0:0])
    rows = [
        # KOSandbarn3m0000: children households > 3 months / children households × 100
        ("0301", 2020, "temporary_accommodation_with_children", 40),
        ("0301", 2020, "temporary_accommodation_with_children_over_3_months", 10),
        ("3201", 2020, "temporary_accommodation_with_children", 6),
        ("3201", 2020, "temporary_accommodation_with_children_over_3_months", 3),
        ("3203", 2020, "temporary_accommodation_with_children", 0),  # zero denominator
        ("3203", 2020, "temporary_accommodation_with_children_over_3_months", 0),
        # 4601 has no data at all in 2020 -> missing
        # KOSboligSper10000000 in 2020: dwellings / inhabitants × 1000
        ("0301", 2020, "municipal_dwellings", 12000),
        ("0301", 2020, "inhabitants_end_of_year", 700000),
        ("3201", 2020, "municipal_dwellings", 2000),
        ("3201", 2020, "inhabitants_end_of_year", 128000),
        ("3203", 2020, "municipal_dwellings", 1000),
        ("3203", 2020, "inhabitants_end_of_year", 95000),
        ("4601", 2020, "municipal_dwellings", None),  # reported as missing
        ("4601", 2020, "inhabitants_end_of_year", 286000),
    ]
    replace_table(con, "stg_measure_values", _staged(rows))
    build_indicator_values(con, cat)
    return con.execute("SELECT * FROM indicator_values WHERE year = 2020").df()


def _cell(values: pd.DataFrame, indicator: str, code: str) -> pd.Series:
    match = values[(values.indicator_id == indicator) & (values.geo_code == code)]
    assert len(match) == 1, match
    return match.iloc[0]


def test_county_is_sum_of_numerators_over_sum_of_denominators(values: pd.DataFrame) -> None:
    akershus = _cell(values, "KOSandbarn3m0000", "32")
    assert akershus.numerator == 3 and akershus.denominator == 6
    assert akershus.value == pytest.approx(50.0)  # not the mean of 50 % and "no value"
    nation = _cell(values, "KOSandbarn3m0000", "EAK")
    assert nation.value == pytest.approx(13 / 46 * 100)


def test_zero_denominator_is_not_applicable_not_infinite(values: pd.DataFrame) -> None:
    asker = _cell(values, "KOSandbarn3m0000", "3203")
    assert pd.isna(asker.value)
    assert asker.status == "not_applicable"


def test_no_data_is_missing_with_a_row(values: pd.DataFrame) -> None:
    bergen = _cell(values, "KOSandbarn3m0000", "4601")
    assert pd.isna(bergen.value) and pd.isna(bergen.numerator)
    assert bergen.status == "missing"
    vestland = _cell(values, "KOSandbarn3m0000", "46")
    assert vestland.status == "missing"


def test_per_1000_uses_only_municipalities_with_both_parts(values: pd.DataFrame) -> None:
    nation = _cell(values, "KOSboligSper10000000", "EAK")
    # Bergen's dwellings are missing, so its inhabitants must not dilute the national rate.
    assert nation.numerator == 15000 and nation.denominator == 923000
    assert nation.value == pytest.approx(15000 / 923000 * 1000)
    assert nation.units_reported == 3 and nation.units_total == 4
    oslo = _cell(values, "KOSboligSper10000000", "0301")
    assert oslo.value == pytest.approx(12000 / 700000 * 1000)


def test_every_cell_exists_for_every_level(values: pd.DataFrame) -> None:
    per_indicator = values.groupby(["indicator_id", "target_group"]).size()
    # 4 municipalities + 3 counties + the nation
    assert (per_indicator == 8).all()
    assert values.loc[values.indicator_id == "KOSandbarn3m0000", "target_group"].eq("barnefamilier").all()
