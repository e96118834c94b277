"""The catalogue drives every output: star-schema joins, published rates, and a new YAML entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.direct import run_all
from pipelines.formatting import round_half_up
from pipelines.paths import ASSETS_DIR, REFERENCE_DIR

PUBLIC = Path("exports/public/latest")


def _read(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / PUBLIC / f"{name}.parquet")


def test_star_schema_joins(pipeline_run: Path) -> None:
    values = _read(pipeline_run, "indicator_values")
    indicators = _read(pipeline_run, "dim_indicator")
    goals = _read(pipeline_run, "dim_goal")
    groups = _read(pipeline_run, "dim_target_group")
    bridge = _read(pipeline_run, "bridge_indicator_goal")
    geography = _read(pipeline_run, "dim_geography")
    attainment = _read(pipeline_run, "goal_attainment")
    assert indicators.indicator_id.is_unique and goals.goal_key.is_unique and groups.target_group.is_unique
    assert set(values.indicator_id) == set(indicators.indicator_id)
    assert set(values.target_group) <= set(groups.target_group)
    assert set(bridge.goal_key) <= set(goals.goal_key) and set(bridge.indicator_id) == set(
        indicators.indicator_id
    )
    geo_keys = set(zip(geography.geo_level, geography.geo_code, strict=True))
    assert set(zip(values.geo_level, values.geo_code, strict=True)) == geo_keys
    assert set(zip(attainment.geo_level, attainment.geo_code, strict=True)) <= geo_keys
    assert set(attainment.strategy_id) == set(goals.strategy_id) == {"bfv", "atth"}


PUBLISHED_RATES = pd.read_csv(REFERENCE_DIR / "published_national_rates.csv")
IN_SCOPE_RATES = PUBLISHED_RATES[PUBLISHED_RATES.year.isin(load_catalogue().settings.years)]


def test_published_rates_cover_both_kinds_of_denominator() -> None:
    assert {"KOSboligSper10000000", "bostedslose_per_1000"} <= set(IN_SCOPE_RATES.indicator_id)


@pytest.mark.parametrize(
    "row", IN_SCOPE_RATES.to_dict("records"), ids=lambda r: f"{r['indicator_id']}-{r['year']}"
)
def test_national_rates_reproduce_published_figures(pipeline_run: Path, row: dict) -> None:
    """SSB's KOSTRA dwellings per 1000 (denominator: inhabitants at 31.12 = population 1 January
    the year after) and NIBR's homeless per 1000 (population 1 January of the survey year),
    rounded half up as SSB rounds."""
    values = _read(pipeline_run, "indicator_values")
    national = values[
        (values.indicator_id == row["indicator_id"])
        & (values.geo_level == "land")
        & (values.year == row["year"])
    ]
    assert len(national) == 1
    assert round_half_up(national.value.item(), int(row["decimals"])) == pytest.approx(row["value"])


def test_goal_attainment_covers_both_strategies_and_rolls_up(pipeline_run: Path) -> None:
    attainment = _read(pipeline_run, "goal_attainment")
    rollup = _read(pipeline_run, "goal_rollup")
    cat = load_catalogue()
    assert set(attainment.status) <= {
        "target_achieved", "substantial_progress", "moderate_progress", "limited_progress",
        "deterioration", "insufficient_data", "not_assessed",
    }  # fmt: skip
    rm2 = attainment[
        (attainment.indicator_id == "KOSandbarn3m0000")
        & (attainment.strategy_id == "bfv")
        & (attainment.geo_code == "EAK")
    ].iloc[0]
    assert rm2.target_kind == "official" and rm2.target_value == 0 and rm2.baseline_year == 2014
    homeless = attainment[
        (attainment.indicator_id == "bostedslose_per_1000") & (attainment.geo_code == "EAK")
    ]
    by_strategy = homeless.set_index("strategy_id")
    assert by_strategy.loc["bfv", "baseline_year"] == 2016  # first survey inside 2014–2020
    assert "baseline is the first year with a value" in by_strategy.loc["bfv", "note"]
    assert (
        by_strategy.loc["atth", "baseline_year"] == 2020 and by_strategy.loc["atth", "current_year"] == 2024
    )
    neutral = attainment[attainment.direction == "neutral"]
    assert (neutral.status == "not_assessed").all()
    # municipal rows of a national-only survey: no data, so insufficient, never a made-up status
    municipal_survey = attainment[
        (attainment.indicator_id == "bostedslose_per_1000") & (attainment.geo_level == "kommune")
    ]
    assert (municipal_survey.status == "insufficient_data").all()
    # roll-ups: every goal and every target group of each strategy, for the nation, the 10
    # statsforvalter regions and all 15 counties
    for strategy in cat.strategies.values():
        goals = rollup[(rollup.strategy_id == strategy.id) & (rollup.rollup_by == "goal")]
        assert set(goals.rollup_id) == {g.id for g in strategy.goals}
        assert goals.groupby("rollup_id").geo_code.nunique().eq(1 + 10 + 15).all()
        assert set(goals.geo_level) == {"land", "statsforvalter", "fylke"}
        groups = rollup[(rollup.strategy_id == strategy.id) & (rollup.rollup_by == "target_group")]
        assert set(groups.rollup_id) == set(cat.target_groups)
    counted = rollup.filter(regex="^n_").drop(columns=["n_series", "n_assessed"]).sum(axis=1)
    assert (counted == rollup.n_series).all()


NEW_INDICATOR = """
  - id: nattehjem_per_1000_midlertidig
    name_nb: Husstander i natthjem per 1000 husstander i midlertidig botilbud
    name_en: Night-shelter households per 1000 households in temporary accommodation
    theme: midlertidig_botilbud
    definition_nb: Husstander i natthjem delt på husstander i midlertidig botilbud, ganget med 1000.
    definition_en: Night-shelter households divided by households in temporary accommodation, times 1000.
    numerator: night_shelter_households
    denominator: temporary_accommodation_households
    factor: 1000
    unit: per_1000_households
    decimals: 0
    direction: lower_is_better
    target_groups: [bostedslose]
    headline_target_group: bostedslose
    kind: reconstruction
    source_nb: Test
    source_url: https://example.org/
    serves:
      - strategy: atth
        goal: P1
"""


@pytest.mark.slow  # runs the whole pipeline again
@pytest.mark.usefixtures("reused_answers")  # the shared run's answers: only what changed is solved
def test_a_new_yaml_entry_reaches_every_output(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, assets)
    with (assets / "indicators.yaml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_INDICATOR)
    catalogue = load_catalogue(assets)
    out = tmp_path / "out"
    run_all(out, catalogue)
    new = "nattehjem_per_1000_midlertidig"
    values = _read(out, "indicator_values")
    assert (values[(values.indicator_id == new) & (values.geo_level == "land")].status == "shown").all()
    assert new in set(_read(out, "dim_indicator").indicator_id)
    assert "atth:P1" in set(_read(out, "bridge_indicator_goal").query("indicator_id == @new").goal_key)
    assert new in set(_read(out, "goal_attainment").indicator_id)
    assert (out / "charts" / f"{new}.png").stat().st_size > 10_000
