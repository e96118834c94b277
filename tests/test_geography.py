"""Harmonisation across the municipal reforms, on real cases from 2014–2024."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.geography import GeographyError, crosswalk, harmonise
from pipelines.geography.codes import normalise_code
from pipelines.geography.history import load_history
from pipelines.geography.levels import (
    LEVELS,
    REGION_FILE,
    RegionFileError,
    comparison_groups,
    dim_geography,
    statsforvalter_regions,
)
from pipelines.paths import REFERENCE_DIR


def _one(frame: pd.DataFrame, code: str, year: int) -> pd.Series:
    rows = frame[(frame.kommunenr == code) & (frame.year == year)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _data(rows: list[tuple[object, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kommunenr", "year", "households"])


def test_baerum_across_three_codes_is_one_series() -> None:
    out = harmonise(_data([("0219", 2019, 10), ("3024", 2020, 11), ("3024", 2023, 12), ("3201", 2024, 13)]))
    assert set(out.kommunenr) == {"3201"}
    assert out.sort_values("year").households.tolist() == [10, 11, 12, 13]
    assert not out.is_estimate.any()


def test_stavanger_finnoy_rennesoy_merge_is_summed() -> None:
    """2020: 1103 Stavanger + 1141 Finnøy + 1142 Rennesøy → 1103 Stavanger. KLASS records
    1129 Forsand as merged wholly into 1108 Sandnes; the small part of Forsand that went
    elsewhere was a border adjustment KLASS does not carry as a code change, so it is not
    apportioned (see data/reference/SOURCES.md)."""
    out = harmonise(_data([("1103", 2019, 100), ("1141", 2019, 7), ("1142", 2019, 5), ("1129", 2019, 3)]))
    assert _one(out, "1103", 2019).households == 112
    assert _one(out, "1108", 2019).households == 3
    assert out.households.sum() == 115


def test_trondheim_klaebu_and_the_2018_trondelag_renumbering() -> None:
    out = harmonise(_data([("1601", 2017, 50), ("1662", 2017, 2), ("5001", 2019, 60), ("5030", 2019, 3)]))
    # 1601 Trondheim → 5001 (2018); 1662 Klæbu → 5030 (2018) → 5001 Trondheim (2020)
    assert _one(out, "5001", 2017).households == 52
    assert _one(out, "5001", 2019).households == 63
    assert set(out.kommunenr) == {"5001"}


def test_every_trondelag_code_of_2017_lands_in_county_50() -> None:
    history = load_history()
    trondelag_2017 = sorted(c for c in history.valid_codes[2017] if c[:2] in {"16", "17"})
    mapping = crosswalk(2024)
    targets = mapping[(mapping.year == 2017) & mapping.code.isin(trondelag_2017)]
    # 17xx codes include Bindal (1811 was Nordland) - only Trøndelag's counties 16 and 17
    assert targets.code_target.str[:2].eq("50").all()
    assert targets.groupby("code").weight.sum().round(12).eq(1).all()


def test_rygge_and_moss_become_moss_3103() -> None:
    out = harmonise(_data([("0104", 2019, 30), ("0136", 2019, 12), ("3002", 2021, 44), ("3103", 2024, 46)]))
    assert _one(out, "3103", 2019).households == 42
    assert out.sort_values("year").households.tolist() == [42, 44, 46]


def test_stokke_split_of_2017_is_apportioned_and_flagged() -> None:
    out = harmonise(_data([("0720", 2016, 1000), ("0704", 2016, 500), ("0706", 2016, 800)]))
    tonsberg, sandefjord = _one(out, "3905", 2016), _one(out, "3907", 2016)
    assert tonsberg.households == pytest.approx(500 + 1000 * 0.205 / 1.0, abs=0.5)
    assert sandefjord.households == pytest.approx(800 + 1000 * 0.795, abs=0.5)
    assert tonsberg.is_estimate and sandefjord.is_estimate
    assert out.households.sum() == pytest.approx(2300, abs=1e-9)


def test_alesund_haram_split_of_2024() -> None:
    rows = [
        ("1534", 2019, 90),
        ("1504", 2019, 470),
        ("1546", 2019, 12),
        ("1507", 2021, 1000),
        ("1580", 2024, 95),
    ]
    out = harmonise(_data(rows))
    # Old Haram (before 2020) is exactly new Haram; no apportioning, no estimate flag.
    haram_2019 = _one(out, "1580", 2019)
    assert haram_2019.households == 90 and not haram_2019.is_estimate
    alesund_2019 = _one(out, "1508", 2019)
    assert alesund_2019.households == 482 and not alesund_2019.is_estimate  # Ålesund + Sandøy
    # 2020–2023 Ålesund (1507) must be apportioned by population weight, and says so.
    haram_2021, alesund_2021 = _one(out, "1580", 2021), _one(out, "1508", 2021)
    assert haram_2021.is_estimate and alesund_2021.is_estimate
    assert haram_2021.households + alesund_2021.households == pytest.approx(1000)
    assert 0.12 < haram_2021.households / 1000 < 0.16


def test_a_2017_code_into_the_2024_vintage() -> None:
    out = harmonise(_data([("0219", 2017, 5), ("1201", 2017, 9), ("0301", 2017, 20)]))
    assert dict(zip(out.kommunenr, out.households, strict=True)) == {"0301": 20, "3201": 5, "4601": 9}


@pytest.mark.parametrize("raw", ["0301", 301, "301", "K-0301", "0301 Oslo", "0301 - Oslo", 301.0, " 0301 "])
def test_code_formats(raw: object) -> None:
    assert normalise_code(raw) == "0301"
    out = harmonise(pd.DataFrame({"kommunenr": [raw], "year": [2020], "households": [4]}))
    assert out.kommunenr.tolist() == ["0301"]


@pytest.mark.parametrize("raw", ["Oslo", "", None, 30.5, "K-", True])
def test_not_a_code(raw: object) -> None:
    assert normalise_code(raw) is None


def test_unknown_code_names_code_year_and_row() -> None:
    frame = _data([("0301", 2020, 1), ("9998", 2020, 2)])
    with pytest.raises(
        GeographyError, match=r"row 1 .*column 'kommunenr'.*code 9998.*does not exist \(year 2020\)"
    ):
        harmonise(frame)


def test_code_from_the_wrong_year_is_an_error_not_a_mapping() -> None:
    frame = _data([("0219", 2020, 1)])  # Bærum's code until 2019
    with pytest.raises(
        GeographyError, match=r"row 0 .*code 0219.*did not exist on 1 January 2020; it was valid 2014–2019"
    ):
        harmonise(frame)


def test_year_outside_history_is_an_error() -> None:
    with pytest.raises(GeographyError, match="year 2013 is outside the code history"):
        harmonise(_data([("0301", 2013, 1)]))


def test_non_additive_measure_is_never_summed() -> None:
    frame = pd.DataFrame(
        {
            "kommunenr": ["1103", "1141", "0219", "0720"],
            "year": [2019, 2019, 2019, 2016],
            "households": [100, 7, 10, 40],
            "median_income": [500.0, 450.0, 600.0, 520.0],
        }
    )
    out = harmonise(frame, non_additive=["median_income"])
    stavanger = _one(out, "1103", 2019)
    assert pd.isna(stavanger.median_income) and "not additive" in stavanger.note
    assert stavanger.households == 107
    assert _one(out, "3201", 2019).median_income == 600  # a renumbering keeps it
    assert pd.isna(_one(out, "3905", 2016).median_income)  # a split would need it apportioned


def test_a_missing_part_makes_the_merged_value_missing() -> None:
    out = harmonise(_data([("1103", 2019, 100), ("1141", 2019, np.nan), ("1142", 2019, 5)]))
    stavanger = _one(out, "1103", 2019)
    assert pd.isna(stavanger.households)
    assert "merged part has no value" in stavanger.note


def test_long_data_keeps_by_columns_apart() -> None:
    frame = pd.DataFrame(
        {
            "kommunenr": ["0104", "0136", "0104", "0136"],
            "year": [2019] * 4,
            "measure_id": ["a", "a", "b", "b"],
            "value": [1.0, 2.0, 10.0, 20.0],
        }
    )
    out = harmonise(frame, measures=["value"], by=["measure_id"])
    assert out.set_index("measure_id").value.to_dict() == {"a": 3.0, "b": 30.0}


def test_older_vintage_maps_renumberings_and_undoes_splits() -> None:
    out = harmonise(_data([("3201", 2024, 13), ("1508", 2024, 80), ("1580", 2024, 20)]), vintage=2020)
    assert _one(out, "3024", 2024).households == 13
    assert _one(out, "1507", 2024).households == 100


def test_older_vintage_refuses_to_split_a_merger_without_weights() -> None:
    with pytest.raises(GeographyError, match="1103 of 2020 cannot be mapped to the 2017 borders"):
        harmonise(_data([("1103", 2020, 5)]), vintage=2017)


def test_crosswalk_reproduces_the_bundled_2024_crosswalk() -> None:
    """Our recursive walk through the change history must agree with the independently compiled
    municipality_to_2024.csv on every (year, code) and weight."""
    reference = pd.read_csv("data/reference/municipality_to_2024.csv", dtype=str)
    reference = reference.assign(
        year=reference.year.astype(int),
        weight=reference.weight.astype(float),
        estimate=reference.weight_is_estimate == "True",
    )
    ours = crosswalk(2024)
    joined = ours.merge(
        reference,
        left_on=["year", "code", "code_target"],
        right_on=["year", "code", "code_2024"],
        how="outer",
        indicator=True,
    )
    assert (joined["_merge"] == "both").all()
    assert (joined.weight_x - joined.weight_y).abs().max() < 1e-4
    assert (joined.is_estimate == joined.estimate).all()


def test_dim_geography_has_the_2024_vintage() -> None:
    dim = dim_geography(2024)
    counts = dim.geo_level.value_counts().to_dict()
    assert counts["kommune"] == 357 and counts["fylke"] == 15 and counts["land"] == 1
    assert counts["kostragruppe"] == 17 and counts["sentralitet"] == 6 and counts["storrelsesgruppe"] == 4
    assert counts["statsforvalter"] == 10
    kommune = dim[dim.geo_level == "kommune"].set_index("geo_code")
    assert kommune.loc["5636", "geo_name"] == "Unjárga - Nesseby"  # Sámi names as SSB writes them
    assert kommune.loc["0301", "kostra_group"] == "EKG13"
    assert kommune.loc["3201", "valid_from_year"] == 2024
    assert (kommune.county_code == kommune.index.str[:2]).all()
    assert kommune[["kostra_group", "centrality_class", "size_band"]].notna().all().all()


def test_statsforvalter_regions_of_2024() -> None:
    dim = dim_geography(2024)
    assert LEVELS[:3] == ("land", "statsforvalter", "fylke")
    assert list(dim.drop_duplicates("geo_level")["geo_level"])[:3] == ["land", "statsforvalter", "fylke"]
    regions = dim[dim.geo_level == "statsforvalter"].set_index("geo_code")
    assert list(regions.index) == [f"SF{i:02d}" for i in range(1, 11)]
    assert regions.loc["SF01", "geo_name"] == "Statsforvalteren i Østfold, Buskerud, Oslo og Akershus"
    assert regions.loc["SF01", "member_counties"] == "03 Oslo, 31 Østfold, 32 Akershus, 33 Buskerud"
    assert regions.loc["SF06", "member_counties"] == "46 Vestland"
    counties = dim[dim.geo_level == "fylke"].set_index("geo_code")
    assert counties["statsforvalter_code"].notna().all()
    assert counties.loc[["03", "31", "32", "33"], "statsforvalter_code"].eq("SF01").all()
    assert counties.loc["56", "statsforvalter_name"] == "Statsforvalteren i Troms og Finnmark"
    kommune = dim[dim.geo_level == "kommune"]
    # a municipality's region is its county's region
    assert (
        kommune["statsforvalter_code"].tolist()
        == kommune["county_code"].map(counties["statsforvalter_code"]).tolist()
    )
    assert kommune["statsforvalter_code"].value_counts()["SF01"] == len(
        kommune[kommune.county_code.isin(["03", "31", "32", "33"])]
    )
    groups = comparison_groups(2024)
    assert groups[["statsforvalter_code", "statsforvalter_name"]].notna().all().all()


def test_statsforvalter_level_is_absent_in_other_vintages() -> None:
    assert statsforvalter_regions(2020).empty
    dim = dim_geography(2020)
    assert "statsforvalter" not in set(dim.geo_level)
    assert dim["statsforvalter_code"].isna().all()


def _region_file(tmp_path, edit) -> Path:
    """A copy of the reference folder whose region file is changed by ``edit`` (lines → lines)."""
    import shutil

    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder, ignore=shutil.ignore_patterns("geo"))
    path = folder / REGION_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # Oslo (line 5) dropped: a county without an office
        (lambda lines: lines[:4] + lines[5:], r"column 'county_code': no office for county 03 Oslo"),
        # Oslo also in Innlandet's office: a county in two offices
        (
            lambda lines: [*lines, "SF02,Statsforvalteren i Innlandet,03,Oslo"],
            r"row 17, column 'county_code': county 03 is already in an office \(row 5\)",
        ),
        # a county that does not exist in 2024 (Hordaland, 12)
        (
            lambda lines: [*lines, "SF06,Statsforvalteren i Vestland,12,Hordaland"],
            r"row 17, column 'county_code': '12' is no county in 2024",
        ),
        # one office with two names
        (
            lambda lines: [*lines[:7], lines[7].replace("Vestfold og Telemark", "Telemark"), *lines[8:]],
            r"row 8, column 'statsforvalter_name'",
        ),
        (
            lambda lines: [lines[0].replace("county_code", "fylke"), *lines[1:]],
            r"column 'county_code' is missing",
        ),
    ],
)
def test_a_broken_region_file_is_named_with_row_and_column(tmp_path, edit, message) -> None:
    folder = _region_file(tmp_path, edit)
    with pytest.raises(RegionFileError, match=rf"{REGION_FILE}.*{message}"):
        statsforvalter_regions(2024, folder)


def test_comparison_groups_match_published_sizes() -> None:
    groups = comparison_groups(2024)
    sizes = groups.kostra_group.value_counts().sort_index().tolist()
    assert sizes == [40, 18, 9, 39, 33, 28, 38, 13, 27, 13, 10, 11, 1, 25, 36, 8, 8]
    assert groups.centrality_class.value_counts().sort_index().tolist() == [5, 21, 54, 65, 104, 108]


# --- properties --------------------------------------------------------------------------------

HISTORY = load_history()
PAIRS = [(year, code) for year in HISTORY.years for code in sorted(HISTORY.valid_codes[year])]


@st.composite
def additive_data(draw: st.DrawFn) -> pd.DataFrame:
    picks = draw(st.lists(st.integers(0, len(PAIRS) - 1), min_size=1, max_size=200, unique=True))
    values = draw(st.lists(st.integers(0, 10_000), min_size=len(picks), max_size=len(picks)))
    rows = [(PAIRS[i][1], PAIRS[i][0], float(v)) for i, v in zip(picks, values, strict=True)]
    return _data(rows)


@settings(max_examples=150, deadline=None)
@given(additive_data())
def test_national_total_is_preserved_through_harmonisation(frame: pd.DataFrame) -> None:
    out = harmonise(frame)
    before = frame.groupby("year").households.sum()
    after = out.groupby("year").households.sum()
    pd.testing.assert_series_equal(before, after, check_names=False, rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(additive_data(), st.sampled_from([2017, 2018, 2020, 2024]))
def test_county_sums_equal_the_nation_in_any_vintage(frame: pd.DataFrame, vintage: int) -> None:
    frame = frame[frame.year <= vintage]
    if frame.empty:
        return
    out = harmonise(frame, vintage=vintage)
    assert set(out.kommunenr) <= HISTORY.valid_codes[vintage]
    county = out.assign(county=out.kommunenr.str[:2]).groupby(["year", "county"]).households.sum()
    nation = county.groupby(level="year").sum()
    pd.testing.assert_series_equal(
        nation, frame.groupby("year").households.sum(), check_names=False, rtol=1e-12
    )


def test_docstring_example_runs() -> None:
    import doctest
    import importlib

    # the package re-exports the function under the module's name, so import the module itself
    module = importlib.import_module("pipelines.geography.harmonise")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_text_that_is_no_code_is_named_as_such_in_string_columns() -> None:
    """pandas 3 stores a missing code in a string column as NaN; the error must still say that the
    raw value is no municipality code (not 'municipality code nan')."""
    frame = pd.DataFrame(
        {"kommunenr": pd.Series(["0301", "Drammen"], dtype="string"), "year": [2017, 2017], "v": [1.0, 2.0]}
    )
    with pytest.raises(GeographyError, match=r"row 1 .*'Drammen' is not a municipality code"):
        harmonise(frame, measures=["v"])
