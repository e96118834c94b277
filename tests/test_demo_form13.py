"""Tests of the synthetic KOSTRA form-13 demo data and its allocation helpers."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines.demo import form13
from pipelines.demo.allocation import largest_remainder
from pipelines.formatting import round_half_up
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

BUNDLED = DEMO_DIR / "kostra_form13.csv"
YEARS = list(range(2014, 2025))

# The original columns of the file, before the extension columns were added. Their values must
# never change: SHA-256 of exactly these columns written as CSV (header, "\n" line endings) —
# the hash of the whole file as it was before the extension.
ORIGINAL_COLUMNS = [
    "kommunenr",
    "year",
    "municipal_dwellings",
    "municipal_dwellings_owned",
    "municipal_dwellings_leased",
    "municipal_dwellings_private_allocation",
    "municipal_dwellings_wheelchair_accessible",
    "new_applications",
    "new_applications_refused",
    "temporary_accommodation_households",
    "temporary_accommodation_over_3_months",
    "temporary_accommodation_with_children",
    "temporary_accommodation_with_children_over_3_months",
    "data_origin",
]
ORIGINAL_COLUMNS_SHA256 = "c01b7332731c2cd91476a9d3cb7787bf7c2b144e7b5f74245c73525b89ba1641"

# Published measure -> the column whose national sum must equal it. Written out here (not
# imported) so the test states independently what "reproducing the published figures" means.
COUNT_MEASURES = {
    "kommunalt_disponerte_boliger": "municipal_dwellings",
    "kommunalt_eide_boliger": "municipal_dwellings_owned",
    "innleide_boliger": "municipal_dwellings_leased",
    "privat_eide_med_disposisjonsrett": "municipal_dwellings_private_allocation",
    "husstander_midlertidig_botilbud": "temporary_accommodation_households",
    "barnefamilier_midlertidig_over_3_mnd": "temporary_accommodation_with_children_over_3_months",
}
PERCENT_MEASURES = {"andel_tilgjengelig_rullestol_pct", "andel_midlertidig_under_3_mnd_pct"}

SUBSETS = [  # (subset column, superset column)
    ("municipal_dwellings_wheelchair_accessible", "municipal_dwellings"),
    ("municipal_dwellings_owned", "municipal_dwellings"),
    ("municipal_dwellings_leased", "municipal_dwellings"),
    ("municipal_dwellings_private_allocation", "municipal_dwellings"),
    ("new_applications_refused", "new_applications"),
    ("temporary_accommodation_over_3_months", "temporary_accommodation_households"),
    ("temporary_accommodation_with_children", "temporary_accommodation_households"),
    ("temporary_accommodation_with_children_over_3_months", "temporary_accommodation_with_children"),
    ("temporary_accommodation_with_children_over_3_months", "temporary_accommodation_over_3_months"),
    ("municipal_dwellings_let", "municipal_dwellings"),
    ("newly_housed_mental_substance", "newly_housed_households"),
    ("newly_housed_refugees", "newly_housed_households"),
    ("temporary_accommodation_max_14_days", "temporary_accommodation_households"),
]


@pytest.fixture(scope="module")
def fresh_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo file generated anew into a temporary folder (once for the module)."""
    return form13.write_form13(REFERENCE_DIR, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def data(fresh_file: Path) -> pd.DataFrame:
    return pd.read_csv(fresh_file, dtype={"kommunenr": str, "data_origin": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def national(data: pd.DataFrame) -> pd.DataFrame:
    return data.groupby("year")[list(form13.COUNT_COLUMNS)].sum()


@pytest.fixture(scope="module")
def inhabitants() -> pd.DataFrame:
    """Inhabitants at 31.12 of ``year`` (population 1 January of the next year)."""
    population = pd.read_csv(REFERENCE_DIR / "population_municipality_2024borders.csv", dtype={"code": str})
    return population.assign(year=population["year"] - 1).rename(columns={"code": "kommunenr"})[
        ["kommunenr", "year", "population"]
    ]


# --- the bundled file -----------------------------------------------------------------------


def test_bundled_file_equals_fresh_generation(fresh_file: Path) -> None:
    assert BUNDLED.exists(), "run `python -m pipelines.demo.form13` to create the demo file"
    assert fresh_file.read_bytes() == BUNDLED.read_bytes()


def test_original_columns_are_unchanged_by_the_extension(data: pd.DataFrame) -> None:
    text = data[ORIGINAL_COLUMNS].to_csv(index=False, lineterminator="\n")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == ORIGINAL_COLUMNS_SHA256


def test_extension_columns_come_last_before_data_origin() -> None:
    original_counts = ORIGINAL_COLUMNS[2:-1]
    assert list(form13.COLUMNS[: len(ORIGINAL_COLUMNS) - 1]) == ORIGINAL_COLUMNS[:-1]
    assert list(form13.BASE_COUNT_COLUMNS) == original_counts
    assert form13.COLUMNS[-1] == "data_origin"
    assert list(form13.COLUMNS[len(ORIGINAL_COLUMNS) - 1 : -1]) == list(form13.EXTENSION_COUNT_COLUMNS)


def test_generation_is_repeatable(tmp_path: Path, fresh_file: Path) -> None:
    again = form13.write_form13(REFERENCE_DIR, tmp_path)
    assert again.read_bytes() == fresh_file.read_bytes()


def test_file_format(fresh_file: Path) -> None:
    raw = fresh_file.read_bytes()
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    assert raw.split(b"\n", 1)[0].decode("utf-8") == ",".join(form13.COLUMNS)
    assert b"." not in raw.split(b"\n", 1)[1], "counts must be written without decimals"


# --- published national figures -------------------------------------------------------------


def test_every_published_figure_is_reproduced(national: pd.DataFrame) -> None:
    published = pd.read_csv(REFERENCE_DIR / "published_national_figures.csv")
    relevant = published[
        published["measure"].isin(set(COUNT_MEASURES) | PERCENT_MEASURES) & published["year"].isin(YEARS)
    ]
    # The reference file holds 25 such figures today; guard against silently checking nothing.
    assert len(relevant) >= 25
    for row in relevant.itertuples(index=False):
        year = int(row.year)
        if row.measure in COUNT_MEASURES:
            assert national.loc[year, COUNT_MEASURES[row.measure]] == row.value, (row.measure, year)
        elif row.measure == "andel_tilgjengelig_rullestol_pct":
            share = (
                100
                * national.loc[year, "municipal_dwellings_wheelchair_accessible"]
                / national.loc[year, "municipal_dwellings"]
            )
            assert round_half_up(share, 0) == row.value, (row.measure, year, share)
        else:  # andel_midlertidig_under_3_mnd_pct
            total = national.loc[year, "temporary_accommodation_households"]
            under_3 = total - national.loc[year, "temporary_accommodation_over_3_months"]
            assert round_half_up(100 * under_3 / total, 0) == row.value, (row.measure, year)


def test_columns_sum_to_the_national_targets(national: pd.DataFrame) -> None:
    for column, by_year in form13.NATIONAL_TARGETS.items():
        for year, value in by_year.items():
            assert national.loc[year, column] == value, (column, year)


def test_target_check_catches_a_wrong_target() -> None:
    published = form13.published_targets(REFERENCE_DIR)
    assert form13.check_national_targets(form13.NATIONAL_TARGETS, published) == []
    broken = {column: dict(by_year) for column, by_year in form13.NATIONAL_TARGETS.items()}
    broken["municipal_dwellings_wheelchair_accessible"][2023] += 1_000  # share 46.9 % -> 47
    broken["municipal_dwellings_leased"][2015] += 1
    problems = form13.check_national_targets(broken, published)
    assert any("andel_tilgjengelig_rullestol_pct 2023" in p for p in problems)
    assert any("innleide_boliger 2015" in p for p in problems)
    assert any("2015: owned + leased + private" in p for p in problems)


# --- shape and integrity ----------------------------------------------------------------------


def test_shape_and_codes(data: pd.DataFrame) -> None:
    municipalities = pd.read_csv(REFERENCE_DIR / "municipalities_2024.csv", dtype=str)
    assert list(data.columns) == list(form13.COLUMNS)
    assert len(data) == 357 * 11 == 3_927
    assert sorted(data["kommunenr"].unique()) == sorted(municipalities["code"])
    assert data["kommunenr"].str.fullmatch(r"\d{4}").all()
    assert data.groupby("kommunenr")["year"].apply(list).map(lambda ys: ys == YEARS).all()
    expected_order = data.sort_values(["kommunenr", "year"]).index
    assert (data.index == expected_order).all()


def test_no_nulls_negatives_or_non_integers(data: pd.DataFrame) -> None:
    assert not data.isna().any().any()
    counts = data[list(form13.COUNT_COLUMNS)]
    assert all(pd.api.types.is_integer_dtype(dtype) for dtype in counts.dtypes)
    assert (counts >= 0).all().all()
    assert (data["data_origin"] == "synthetic").all()


def test_subset_constraints(data: pd.DataFrame) -> None:
    parts = (
        data["municipal_dwellings_owned"]
        + data["municipal_dwellings_leased"]
        + data["municipal_dwellings_private_allocation"]
    )
    assert (parts == data["municipal_dwellings"]).all()
    for subset, superset in SUBSETS:
        assert (data[subset] <= data[superset]).all(), (subset, superset)
    # A stay of at most 14 days is not a stay of more than 3 months.
    short_stays = data["temporary_accommodation_households"] - data["temporary_accommodation_over_3_months"]
    assert (data["temporary_accommodation_max_14_days"] <= short_stays).all()


# --- plausibility -----------------------------------------------------------------------------


def test_national_dwellings_per_1000_inhabitants(data: pd.DataFrame, inhabitants: pd.DataFrame) -> None:
    merged = data.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")
    national = merged.groupby("year")[["municipal_dwellings", "population"]].sum()
    per_1000 = 1000 * national["municipal_dwellings"] / national["population"]
    assert per_1000.between(18, 23).all(), per_1000.to_dict()


def test_small_municipalities_have_higher_dwelling_rates(
    data: pd.DataFrame, inhabitants: pd.DataFrame
) -> None:
    merged = data.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")
    rate = 1000 * merged["municipal_dwellings"] / merged["population"]
    small = rate[merged["population"] < 3_000].median()
    large = rate[merged["population"] > 50_000].median()
    assert 25 <= small <= 40
    assert large < small


def test_many_municipalities_without_temporary_accommodation(data: pd.DataFrame) -> None:
    in_2020 = data[data["year"] == 2020]
    assert (in_2020["temporary_accommodation_households"] == 0).sum() >= 50


def test_oslo_has_more_temporary_accommodation_than_small_municipalities(
    data: pd.DataFrame, inhabitants: pd.DataFrame
) -> None:
    merged = data.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")
    for year, rows in merged.groupby("year"):
        oslo = rows.loc[rows["kommunenr"] == "0301", "temporary_accommodation_households"].item()
        small = rows.loc[rows["population"] < 5_000, "temporary_accommodation_households"]
        assert oslo > small.max(), year


def test_many_small_municipalities_lease_none(data: pd.DataFrame, inhabitants: pd.DataFrame) -> None:
    merged = data.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")
    small_2014 = merged[(merged["year"] == 2014) & (merged["population"] < 3_000)]
    assert (small_2014["municipal_dwellings_leased"] == 0).mean() > 0.4


def test_extension_shares_are_plausible(national: pd.DataFrame, data: pd.DataFrame) -> None:
    let_share = national["municipal_dwellings_let"] / national["municipal_dwellings"]
    assert let_share.between(0.92, 0.95).all(), let_share.to_dict()
    row_share = data["municipal_dwellings_let"] / data["municipal_dwellings"]
    assert row_share.between(0.80, 1.0).all()
    assert national["newly_housed_households"].between(9_000, 11_000).all()
    mental = national["newly_housed_mental_substance"] / national["newly_housed_households"]
    assert mental.between(0.25, 0.30).all(), mental.to_dict()
    refugees = national["newly_housed_refugees"] / national["newly_housed_households"]
    assert refugees[[2016, 2017]].between(0.28, 0.33).all()
    assert refugees[[2019, 2020, 2021]].between(0.08, 0.12).all()
    assert refugees[[2022, 2023]].between(0.33, 0.37).all()
    assert national["waiting_list_adapted"].between(2_000, 3_000).all()
    short = national["temporary_accommodation_max_14_days"] / national["temporary_accommodation_households"]
    assert short.between(0.45, 0.55).all(), short.to_dict()
    assert national["night_shelter_households"].between(300, 600).all()


def test_night_shelters_only_in_large_municipalities(data: pd.DataFrame, inhabitants: pd.DataFrame) -> None:
    merged = data.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")
    with_shelter = merged[merged["night_shelter_households"] > 0]
    assert with_shelter["population"].min() > 20_000
    in_2024 = merged[merged["year"] == 2024]
    assert (in_2024["night_shelter_households"] == 0).mean() > 0.9
    assert in_2024.loc[in_2024["kommunenr"] == "0301", "night_shelter_households"].item() > 0


# --- allocation helpers -----------------------------------------------------------------------


def test_round_half_up_examples() -> None:
    assert round_half_up(1.255, 2) == 1.26
    assert round_half_up(2.5, 0) == 3
    assert round_half_up(0.5) == 1
    assert round_half_up(80.98933, 0) == 81
    assert round_half_up(-2.5, 0) == -3  # halves go away from zero
    assert round_half_up(125, -1) == 130
    assert round_half_up(np.float64(48.5), 0) == 49
    with pytest.raises(ValueError):
        round_half_up(float("nan"))


def test_largest_remainder_examples() -> None:
    assert largest_remainder(10, [1, 1, 1]).tolist() == [4, 3, 3]  # tie: lowest index first
    assert largest_remainder(10, [5, 1, 1], caps=[3, 10, 10]).tolist() == [3, 4, 3]
    assert largest_remainder(7, [0, 2, 0]).tolist() == [0, 7, 0]
    assert largest_remainder(0, []).tolist() == []
    # Float weights are used at their exact binary value; the total is exact regardless.
    assert largest_remainder(6, [0.1, 0.2, 0.3]).tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("total", "weights", "caps"),
    [
        (-1, [1.0], None),
        (1, [-1.0], None),
        (1, [float("nan")], None),
        (5, [1.0, 1.0], [2, 2]),  # more than the caps allow
        (3, [0.0, 0.0], None),  # nothing to carry the units
        (3, [1.0, 0.0], [1, 5]),  # the only weighted unit is full
        (1, [1.0, 1.0], [1]),  # caps of the wrong length
    ],
)
def test_largest_remainder_rejects_impossible_input(total, weights, caps) -> None:
    with pytest.raises(ValueError):
        largest_remainder(total, weights, caps)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(
        st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=25,
    ),
    total=st.integers(min_value=0, max_value=10_000),
)
def test_largest_remainder_is_exact_and_within_one_of_the_quota(weights: list[float], total: int) -> None:
    assume(sum(weights) > 0)
    parts = largest_remainder(total, weights)
    assert parts.sum() == total
    assert (parts >= 0).all()
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts.tolist(), weights, strict=True):
        quota = total * Fraction(weight) / weight_sum
        assert abs(part - quota) < 1  # Hamilton's quota property
        if weight == 0:
            assert part == 0


@settings(max_examples=200, deadline=None)
@given(
    units=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False),
            st.integers(min_value=0, max_value=40),
        ),
        min_size=1,
        max_size=25,
    ),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_largest_remainder_with_caps_is_exact_and_respects_caps(
    units: list[tuple[float, int]], fraction: float
) -> None:
    weights = [w for w, _ in units]
    caps = [c for _, c in units]
    room = sum(c for w, c in units if w > 0)  # only weighted units can take units
    total = int(fraction * room)
    parts = largest_remainder(total, weights, caps=caps)
    assert parts.sum() == total
    assert (parts >= 0).all()
    assert (parts <= np.asarray(caps)).all()
    assert all(p == 0 for p, w in zip(parts.tolist(), weights, strict=True) if w == 0)
    # Deterministic: the same input gives the same output.
    assert parts.tolist() == largest_remainder(total, weights, caps=caps).tolist()
