"""Tests of the synthetic demo data of every source except KOSTRA form 13 (see test_demo_form13.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.demo import (
    accounts,
    evictions,
    form13,
    homelessness,
    households,
    husbanken,
    refugees,
    substance,
)
from pipelines.demo.__main__ import WRITERS
from pipelines.formatting import round_half_up
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

YEARS = list(range(2014, 2025))
SURVEY_YEARS = [2012, 2016, 2020, 2024]


@dataclass(frozen=True)
class DemoFile:
    write: Callable[[Path, Path], Path]
    key: str  # geography column
    columns: tuple[str, ...]
    targets: dict[str, dict[int, int]]
    subsets: tuple[tuple[str, str], ...] = ()
    years: tuple[int, ...] = tuple(YEARS)  # the years the file has rows for


FILES: dict[str, DemoFile] = {
    "husbanken_startlan.csv": DemoFile(
        husbanken.write_startlan,
        "kommunenr",
        husbanken.STARTLAN_COLUMNS,
        husbanken.STARTLAN_TARGETS,
        (
            ("start_loans_families_with_children", "start_loans"),
            ("start_loans_young", "start_loans"),
        ),
    ),
    "husbanken_bostotte.csv": DemoFile(
        husbanken.write_bostotte,
        "kommunenr",
        husbanken.BOSTOTTE_COLUMNS,
        husbanken.BOSTOTTE_TARGETS,
        (
            ("bostotte_families_with_children_december", "bostotte_households_december"),
            ("bostotte_high_cost_burden_december", "bostotte_households_december"),
        ),
    ),
    "ssb_households.csv": DemoFile(
        households.write_households,
        "kommunenr",
        households.COLUMNS,
        households.NATIONAL_TARGETS,
        (
            ("rented_households", "private_households"),
            ("children_low_income_crowded_rented", "children_0_17"),
        ),
    ),
    "kostra_accounts.csv": DemoFile(
        accounts.write_accounts, "kommunenr", accounts.COLUMNS, accounts.NATIONAL_TARGETS
    ),
    "bostedslose_kartlegging.csv": DemoFile(
        homelessness.write_homelessness,
        "geo_code",
        homelessness.COLUMNS,
        homelessness.NATIONAL_TARGETS,
        (
            ("homeless_children_with_parents", "homeless"),
            ("homeless_under_25", "homeless"),
            ("homeless_substance_problems", "homeless"),
        ),
    ),
    "namsmann_fravikelser.csv": DemoFile(
        evictions.write_evictions,
        "fylke",
        evictions.COLUMNS,
        evictions.NATIONAL_TARGETS,
        (("evictions_executed", "eviction_requests"),),
    ),
    "imdi_bosetting.csv": DemoFile(
        refugees.write_refugees,
        "kommunenr",
        refugees.COLUMNS,
        refugees.NATIONAL_TARGETS,
        (("refugees_settled_within_6_months", "refugees_settled"),),
        refugees.YEARS,  # IMDi per municipality from 2022 only
    ),
    "helsedir_rus.csv": DemoFile(
        substance.write_substance,
        "kommunenr",
        substance.COLUMNS,
        substance.NATIONAL_TARGETS,
        (("persons_substance_without_suitable_dwelling", "persons_substance_problems"),),
    ),
}
SIGNED_COLUMNS = {"net_expenditure_housing_nok"}  # KOSTRA net expenditure may be negative

# Published measure -> (file, column, factor): the national sum of the column (for the survey:
# its single national row) must equal value × factor. Written out here, not imported, so the
# test states independently what "reproducing the published figures" means.
PUBLISHED_COUNTS: dict[str, tuple[str, str, int]] = {
    "startlan_husstander": ("husbanken_startlan.csv", "start_loans", 1),
    "startlan_lan": ("husbanken_startlan.csv", "start_loans", 1),
    "startlan_mrd_kr": ("husbanken_startlan.csv", "start_loans_nok", 1_000_000_000),
    "startlan_barnefamilier": ("husbanken_startlan.csv", "start_loans_families_with_children", 1),
    "startlan_boliger_godkjent": ("husbanken_startlan.csv", "start_loan_dwellings_approved", 1),
    "bostotte_husstander_desember": ("husbanken_bostotte.csv", "bostotte_households_december", 1),
    "barn_lavinntekt_trangt_leie": ("ssb_households.csv", "children_low_income_crowded_rented", 1),
    "bostedslose": ("bostedslose_kartlegging.csv", "homeless", 1),
    "bostedslose_barn_med_foreldre": ("bostedslose_kartlegging.csv", "homeless_children_with_parents", 1),
    "bostedslose_under_25": ("bostedslose_kartlegging.csv", "homeless_under_25", 1),
}
# Published percentage -> (file, numerator, denominator): 100 × num / den rounds half up to it.
PUBLISHED_PERCENTS: dict[str, tuple[str, str, str]] = {
    "bostedslose_andel_rusavhengige_pct": (
        "bostedslose_kartlegging.csv",
        "homeless_substance_problems",
        "homeless",
    ),
}
# Published measures that no demo column carries (monthly housing-allowance counts; the demo has
# December only). The form-13 measures are tested in test_demo_form13.py.
NOT_IN_DEMO_DATA = {"bostotte_husstander_januar", "bostotte_husstander_februar"}


TEXT_COLUMNS = {"kommunenr": str, "fylke": str, "geo_code": str, "data_origin": str}


def _read(path: Path) -> pd.DataFrame:
    """A demo file with codes as text and counts as numbers (a blank count is NaN: no figure)."""
    frame = pd.read_csv(path, dtype=TEXT_COLUMNS, keep_default_na=False)
    for column in frame.columns.difference(list(TEXT_COLUMNS)):
        frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    return frame


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All source demo files generated anew into one temporary folder (once for the module)."""
    out = tmp_path_factory.mktemp("demo_sources")
    for name, spec in FILES.items():
        assert spec.write(REFERENCE_DIR, out).name == name
    return out


@pytest.fixture(scope="module")
def frames(fresh_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: _read(fresh_dir / name) for name in FILES}


@pytest.fixture(scope="module")
def national(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Per file: national sums per year of every count column."""
    return {
        name: frames[name].groupby("year")[[c for c in spec.columns[2:-1]]].sum()
        for name, spec in FILES.items()
    }


@pytest.fixture(scope="module")
def municipalities() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "municipalities_2024.csv", dtype=str)


@pytest.fixture(scope="module")
def inhabitants() -> pd.DataFrame:
    """Inhabitants at 31.12 of ``year`` (population 1 January of the next year), per municipality."""
    population = pd.read_csv(REFERENCE_DIR / "population_municipality_2024borders.csv", dtype={"code": str})
    return population.assign(year=population["year"] - 1).rename(columns={"code": "kommunenr"})[
        ["kommunenr", "year", "population"]
    ]


@pytest.fixture(scope="module")
def national_inhabitants(inhabitants: pd.DataFrame) -> pd.Series:
    return inhabitants[inhabitants["year"].isin(YEARS)].groupby("year")["population"].sum()


def _with_population(frame: pd.DataFrame, inhabitants: pd.DataFrame) -> pd.DataFrame:
    return frame.merge(inhabitants, on=["kommunenr", "year"], validate="one_to_one")


# --- the bundled files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_bundled_file_equals_fresh_generation(fresh_dir: Path, name: str) -> None:
    bundled = DEMO_DIR / name
    assert bundled.exists(), "run `python -m pipelines.demo` to create the demo files"
    assert (fresh_dir / name).read_bytes() == bundled.read_bytes()


def test_generation_is_repeatable(tmp_path: Path, fresh_dir: Path) -> None:
    for name, spec in FILES.items():
        assert spec.write(REFERENCE_DIR, tmp_path).read_bytes() == (fresh_dir / name).read_bytes(), name


def test_main_module_writes_every_demo_file() -> None:
    writers = set(WRITERS)
    assert {spec.write for spec in FILES.values()} | {form13.write_form13} == writers
    assert len(WRITERS) == len(FILES) + 1


@pytest.mark.parametrize("name", FILES)
def test_file_format(fresh_dir: Path, name: str) -> None:
    raw = (fresh_dir / name).read_bytes()
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    header, body = raw.split(b"\n", 1)
    assert header.decode("utf-8") == ",".join(FILES[name].columns)
    assert b"." not in body, "counts must be written without decimals"


# --- published and invented national totals ---------------------------------------------------


def test_every_published_figure_is_reproduced(frames: dict[str, pd.DataFrame]) -> None:
    published = pd.read_csv(REFERENCE_DIR / "published_national_figures.csv")
    checked = 0
    for row in published.itertuples(index=False):
        year = int(row.year)
        if row.measure in PUBLISHED_COUNTS:
            name, column, factor = PUBLISHED_COUNTS[row.measure]
            frame = frames[name]
            assert year in set(frame["year"]), (row.measure, year)
            total = int(frame.loc[frame["year"] == year, column].sum())
            assert total == round_half_up(row.value * factor, 0), (row.measure, year, total)
            checked += 1
        elif row.measure in PUBLISHED_PERCENTS:
            name, numerator, denominator = PUBLISHED_PERCENTS[row.measure]
            rows = frames[name][frames[name]["year"] == year]
            share = 100 * rows[numerator].sum() / rows[denominator].sum()
            assert round_half_up(share, 0) == row.value, (row.measure, year, share)
            checked += 1
    # 23 such figures in the reference file today; guard against silently checking nothing.
    assert checked >= 23


DERIVED_COLUMNS = {"bostotte_unique_households"}


def test_unique_households_in_the_year_are_at_least_those_paid_in_december() -> None:
    frame = pd.read_csv(DEMO_DIR / "husbanken_bostotte.csv", dtype={"kommunenr": str})
    assert (frame.bostotte_unique_households >= frame.bostotte_households_december).all()
    ratio = frame.bostotte_unique_households.sum() / frame.bostotte_households_december.sum()
    assert 1.2 < ratio < 1.6


def test_every_published_measure_is_accounted_for() -> None:
    published = set(pd.read_csv(REFERENCE_DIR / "published_national_figures.csv")["measure"])
    form13_measures = set(form13.PUBLISHED_COUNT_MEASURES) | set(form13.PUBLISHED_PERCENT_MEASURES)
    known = set(PUBLISHED_COUNTS) | set(PUBLISHED_PERCENTS) | form13_measures | NOT_IN_DEMO_DATA
    assert published <= known, sorted(published - known)


@pytest.mark.parametrize("name", FILES)
def test_columns_sum_to_the_national_targets(national: dict[str, pd.DataFrame], name: str) -> None:
    spec = FILES[name]
    # derived columns have no national target of their own (unique households: December + turnover)
    assert set(spec.targets) == set(spec.columns[2:-1]) - DERIVED_COLUMNS
    for column, by_year in spec.targets.items():
        for year, value in by_year.items():
            assert national[name].loc[year, column] == value, (name, column, year)


# --- shape and integrity ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n, spec in FILES.items() if spec.key == "kommunenr"])
def test_municipal_files_have_every_municipality_and_year(
    frames: dict[str, pd.DataFrame], municipalities: pd.DataFrame, name: str
) -> None:
    data = frames[name]
    years = list(FILES[name].years)
    assert len(data) == 357 * len(years)
    assert sorted(data["kommunenr"].unique()) == sorted(municipalities["code"])
    assert data["kommunenr"].str.fullmatch(r"\d{4}").all()
    assert data.groupby("kommunenr")["year"].apply(list).map(lambda ys: ys == years).all()
    assert (data.index == data.sort_values(["kommunenr", "year"]).index).all()


def test_county_file_has_every_county_and_year(
    frames: dict[str, pd.DataFrame], municipalities: pd.DataFrame
) -> None:
    data = frames["namsmann_fravikelser.csv"]
    assert len(data) == 15 * 11
    assert sorted(data["fylke"].unique()) == sorted(municipalities["county_code"].unique())
    assert data["fylke"].str.fullmatch(r"\d{2}").all()
    assert data.groupby("fylke")["year"].apply(list).map(lambda ys: ys == YEARS).all()
    assert (data.index == data.sort_values(["fylke", "year"]).index).all()


def test_survey_file_has_one_national_row_per_survey(frames: dict[str, pd.DataFrame]) -> None:
    data = frames["bostedslose_kartlegging.csv"]
    assert len(data) == 4
    assert (data["geo_code"] == "EAK").all()
    assert data["year"].tolist() == SURVEY_YEARS


# Voluntary surveys: a municipality that did not take part has a blank row (no figure, never 0).
VOLUNTARY = {"helsedir_rus.csv"}


def _taking_part(data: pd.DataFrame, name: str) -> pd.DataFrame:
    counts = list(FILES[name].columns[2:-1])
    return data.dropna(subset=counts, how="all") if name in VOLUNTARY else data


@pytest.mark.parametrize("name", FILES)
def test_no_nulls_non_integers_or_stray_negatives(frames: dict[str, pd.DataFrame], name: str) -> None:
    data = _taking_part(frames[name], name)
    assert list(data.columns) == list(FILES[name].columns)
    assert not data.isna().any().any()
    assert (data["data_origin"] == "synthetic").all()
    for column in FILES[name].columns[2:-1]:
        assert (data[column] == data[column].round()).all(), column
        if column not in SIGNED_COLUMNS:
            assert (data[column] >= 0).all(), column


@pytest.mark.parametrize("name", FILES)
def test_subset_constraints(frames: dict[str, pd.DataFrame], name: str) -> None:
    data = _taking_part(frames[name], name)
    for subset, superset in FILES[name].subsets:
        assert (data[subset] <= data[superset]).all(), (subset, superset)


# --- plausibility -----------------------------------------------------------------------------


def test_start_loans_are_plausible(
    frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame], inhabitants: pd.DataFrame
) -> None:
    loans = national["husbanken_startlan.csv"]
    assert loans["start_loans"].between(6_500, 8_000).all()
    per_loan = loans["start_loans_nok"] / loans["start_loans"]
    assert per_loan.between(1.1e6, 2.0e6).all() and per_loan.is_monotonic_increasing, per_loan.to_dict()
    families = loans["start_loans_families_with_children"] / loans["start_loans"]
    assert families.between(0.50, 0.60).all()
    young = loans["start_loans_young"] / loans["start_loans"]
    assert young.between(0.40, 0.50).all()
    approved = loans["start_loan_dwellings_approved"] / loans["start_loans"]
    assert approved.between(0.95, 1.02).all()
    data = _with_population(frames["husbanken_startlan.csv"], inhabitants)
    small = data[data["population"] < 2_000]
    assert (small["start_loans"] == 0).mean() > 0.2  # small municipalities often grant none
    assert ((data["start_loans"] == 0) == (data["start_loans_nok"] == 0)).all()


def test_housing_allowance_is_plausible(
    national: dict[str, pd.DataFrame], national_inhabitants: pd.Series
) -> None:
    allowance = national["husbanken_bostotte.csv"]
    households_ = allowance["bostotte_households_december"]
    assert (1000 * households_ / national_inhabitants).between(12, 22).all()
    assert households_[2022] > households_[2021] < households_[2014]  # 2016 rules; 2022 electricity
    families = allowance["bostotte_families_with_children_december"] / households_
    assert families.between(0.30, 0.35).all()
    burden = allowance["bostotte_high_cost_burden_december"] / households_
    assert burden.between(0.85, 0.90).all()


def test_households_are_plausible(
    frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame], inhabitants: pd.DataFrame
) -> None:
    totals = national["ssb_households.csv"]
    population_1_january = inhabitants.assign(year=inhabitants["year"] + 1)
    january = (
        population_1_january[population_1_january["year"].isin(YEARS)].groupby("year")["population"].sum()
    )
    size = january / totals["private_households"]
    assert size.between(2.1, 2.3).all(), size.to_dict()
    rented = totals["rented_households"] / totals["private_households"]
    assert rented.between(0.18, 0.35).all()
    end_of_year = inhabitants[inhabitants["year"].isin(YEARS)].groupby("year")["population"].sum()
    assert (totals["children_0_17"] / end_of_year).between(0.19, 0.24).all()
    assert totals["children_low_income_crowded_rented"].between(33_000, 37_000).all()

    data = _with_population(frames["ssb_households.csv"], population_1_january)
    rent_share = data["rented_households"] / data["private_households"]
    assert rent_share[data["population"] > 50_000].median() > rent_share[data["population"] < 3_000].median()
    small_size = (data["population"] / data["private_households"])[data["population"] < 3_000].median()
    assert (
        small_size > (data["population"] / data["private_households"])[data["population"] > 50_000].median()
    )
    in_2020 = data[data["year"] == 2020]
    assert (in_2020.loc[in_2020["population"] < 2_000, "children_low_income_crowded_rented"] == 0).any()


def test_housing_expenditure_is_plausible(
    frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame], national_inhabitants: pd.Series
) -> None:
    per_inhabitant = national["kostra_accounts.csv"]["net_expenditure_housing_nok"] / national_inhabitants
    assert per_inhabitant.between(150, 250).all(), per_inhabitant.to_dict()
    assert per_inhabitant.is_monotonic_increasing
    data = frames["kostra_accounts.csv"]
    negative = (data["net_expenditure_housing_nok"] < 0).mean()
    assert 0.02 < negative < 0.3  # some municipalities' rent income exceeds their costs
    assert (data["net_expenditure_housing_nok"] % 1_000 == 0).all()  # KOSTRA reports 1 000 NOK


def test_homelessness_survey_is_plausible(frames: dict[str, pd.DataFrame]) -> None:
    survey = frames["bostedslose_kartlegging.csv"].set_index("year")
    assert survey["homeless"].is_monotonic_decreasing
    assert 3_000 <= survey.loc[2024, "homeless"] <= 3_300
    assert 100 <= survey.loc[2024, "homeless_children_with_parents"] <= 150
    under_25 = survey["homeless_under_25"] / survey["homeless"]
    assert under_25.between(0.20, 0.25).all()
    substance_share = survey["homeless_substance_problems"] / survey["homeless"]
    assert substance_share.between(0.495, 0.60).all()


def test_evictions_are_plausible(frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame]) -> None:
    totals = national["namsmann_fravikelser.csv"]
    assert 9_500 <= totals.loc[2014, "eviction_requests"] <= 10_500
    assert 6_500 <= totals.loc[2024, "eviction_requests"] <= 7_500
    assert totals.loc[2014, "evictions_executed"] > totals.loc[2024, "evictions_executed"]
    data = frames["namsmann_fravikelser.csv"]
    in_2024 = data[data["year"] == 2024].set_index("fylke")["eviction_requests"]
    assert in_2024.idxmax() in {"03", "32"}  # Oslo or Akershus, the most rented households
    assert (in_2024 > 0).all()


def test_refugee_settlement_is_plausible(
    frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame], inhabitants: pd.DataFrame
) -> None:
    totals = national["imdi_bosetting.csv"]
    fast = totals["refugees_settled_within_6_months"] / totals["refugees_settled"]
    assert fast.between(0.6, 0.9).all(), fast.to_dict()
    assert totals["refugees_settled"].idxmax() == 2022
    data = _with_population(frames["imdi_bosetting.csv"], inhabitants)
    assert data["year"].min() == 2022  # IMDi publishes per municipality from 2022 only
    zeros = (data["refugees_settled"] == 0).groupby(data["year"]).sum()
    assert zeros[2022] < 40  # nearly every municipality settled refugees from Ukraine
    assert zeros[2024] > zeros[2022]  # fewer settled: more small municipalities settle no one
    settling = data[data["refugees_settled"] > 0]
    assert settling["population"].min() < 2_000  # small municipalities do settle in high years


def test_refugee_demo_starts_when_imdi_publishes_per_municipality() -> None:
    """The generator writes no year the pipeline shows as not available (sources.yaml)."""
    assert load_catalogue().sources["refugee_settlement"].available_from == refugees.FIRST_YEAR
    assert min(refugees.YEARS) == refugees.FIRST_YEAR


def test_substance_survey_is_plausible(
    frames: dict[str, pd.DataFrame], national: dict[str, pd.DataFrame], national_inhabitants: pd.Series
) -> None:
    totals = national["helsedir_rus.csv"]
    per_100 = 100 * totals["persons_substance_problems"] / national_inhabitants
    assert per_100.between(0.6, 0.8).all(), per_100.to_dict()
    without = totals["persons_substance_without_suitable_dwelling"] / totals["persons_substance_problems"]
    assert without.between(0.12, 0.18).all() and without.is_monotonic_decreasing
    data = frames["helsedir_rus.csv"]
    assert (data["persons_substance_without_suitable_dwelling"] == 0).any()


def test_brukerplan_participation_is_partial_blank_and_persistent(frames: dict[str, pd.DataFrame]) -> None:
    """BrukerPlan is voluntary: each year the invented number of municipalities takes part, the
    others are blank in both columns (never 0), and most take part again the next year."""
    data = frames["helsedir_rus.csv"]
    counts = ["persons_substance_problems", "persons_substance_without_suitable_dwelling"]
    absent = data[counts].isna()
    assert (absent.all(axis=1) == absent.any(axis=1)).all(), "a row is either blank or complete"
    taking_part = (~absent.all(axis=1)).groupby(data["year"]).sum()
    assert taking_part.to_dict() == substance.PARTICIPANTS
    assert (taking_part < 357).all() and (taking_part > 150).all()
    wide = (~absent.all(axis=1)).groupby([data["kommunenr"], data["year"]]).first().unstack()
    again = (wide[2023] & wide[2024]).sum() / wide[2023].sum()
    assert again > 0.8
    assert wide.loc["0301"].all(), "Oslo, the largest, takes part every year"


def test_municipal_counts_follow_population(
    frames: dict[str, pd.DataFrame], inhabitants: pd.DataFrame
) -> None:
    """Every municipal count is strongly correlated with population (in logs, where positive)."""
    for name, spec in FILES.items():
        if spec.key != "kommunenr":
            continue
        data = _with_population(frames[name], inhabitants)
        for column in spec.columns[2:-1]:
            if column in SIGNED_COLUMNS:
                continue
            positive = data[data[column] > 0]
            correlation = np.corrcoef(np.log(positive[column]), np.log(positive["population"]))[0, 1]
            assert correlation > 0.6, (name, column, correlation)
