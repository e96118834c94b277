"""Progress status by the compound-annual-growth method, on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.progress.method import assess, cagr, summary_status
from pipelines.progress.targets import baseline, series_target, target_value


def test_cagr_hand_computed() -> None:
    assert cagr(121, 100, 2) == pytest.approx(0.10)
    assert cagr(81, 100, 2) == pytest.approx(-0.10)
    assert cagr(5, 0, 2) == pytest.approx(math.sqrt(5 / 0.001) - 1)  # zero baseline → 0.001, as Open SDG
    assert cagr(5, 4, 0) is None
    assert cagr(-5, 4, 2) is None  # across zero: no compound rate


@pytest.mark.parametrize(
    ("direction", "base", "current", "expected"),
    [
        ("higher_is_better", 100, 110, "substantial_progress"),  # +4.9 % a year ≥ 1.5 %
        ("higher_is_better", 100, 101.5, "moderate_progress"),  # +0.74 % a year
        ("higher_is_better", 100, 100.5, "limited_progress"),  # +0.25 % a year
        ("higher_is_better", 100, 90, "deterioration"),
        ("lower_is_better", 100, 90, "substantial_progress"),  # falling is good
        ("lower_is_better", 100, 110, "deterioration"),
        ("neutral", 100, 50, "not_assessed"),
    ],
)
def test_without_target_direction_and_pace(
    direction: str, base: float, current: float, expected: str
) -> None:
    assert assess(direction, 2014, base, 2016, current).status == expected


def test_with_target_ratio_of_observed_to_required_growth() -> None:
    # halve 100 → 50 by 2020 from 2014: required CAGR = 0.5 ** (1/6) - 1 = -10.9 % a year
    required = 0.5 ** (1 / 6) - 1
    on_pace = assess("lower_is_better", 2014, 100, 2017, 100 * (1 + required) ** 3, 50, 2020)
    assert on_pace.status == "substantial_progress" and on_pace.ratio == pytest.approx(1.0)
    halfway = assess("lower_is_better", 2014, 100, 2017, 100 * (1 + 0.7 * required) ** 3, 50, 2020)
    assert halfway.status == "moderate_progress" and halfway.ratio == pytest.approx(0.7)
    slow = assess("lower_is_better", 2014, 100, 2017, 100 * (1 + 0.3 * required) ** 3, 50, 2020)
    assert slow.status == "limited_progress"
    wrong_way = assess("lower_is_better", 2014, 100, 2017, 105, 50, 2020)
    assert wrong_way.status == "deterioration" and wrong_way.ratio < 0


def test_target_achieved_when_current_meets_it() -> None:
    assert assess("lower_is_better", 2014, 10, 2020, 0, 0, 2020).status == "target_achieved"
    assert assess("higher_is_better", 2020, 45, 2023, 51, 50, 2024).status == "target_achieved"


def test_zero_target_is_reachable_through_the_replacement() -> None:
    # RM2: zero children's households over 3 months; from 40 to 20 in 3 of 6 years is limited progress
    progress = assess("lower_is_better", 2014, 40, 2017, 20, 0, 2020)
    assert progress.required_cagr == pytest.approx((0.001 / 40) ** (1 / 6) - 1)
    assert progress.status == "limited_progress"


@pytest.mark.parametrize(
    ("base_year", "base", "current_year", "current"),
    [
        (None, None, 2020, 5.0),
        (2016, 4.0, 2016, 5.0),
        (2016, float("nan"), 2020, 5.0),
        (2016, 4.0, None, None),
    ],
)
def test_too_short_or_missing_series_is_insufficient(base_year, base, current_year, current) -> None:
    assert assess("lower_is_better", base_year, base, current_year, current).status == "insufficient_data"


def test_summary_status_uses_score_bands() -> None:
    assert summary_status([5, 3.75]) == "substantial_progress"
    assert summary_status([3.75, -1.25]) == "moderate_progress"
    assert summary_status([-1.25, -3.75, 1.25]) == "limited_progress"
    assert summary_status([-3.75]) == "deterioration"
    assert summary_status([]) == "insufficient_data"


def test_vectorised_assessment_matches_the_scalar_rules() -> None:
    """assess_frame (what goal attainment uses) gives assess's status and numbers on every case:
    both directions and none, with and without targets, achieved, zero and negative values, across
    zero, missing ends, a single year, target years before the baseline."""
    import itertools

    import numpy as np
    import pandas as pd

    from pipelines.progress.method import assess_frame

    values = [None, 0.0, -2.0, 1.0, 4.0, 50.0, 100.0, 130.0]
    cases = [
        {
            "direction": d,
            "baseline_year": by,
            "baseline_value": bv,
            "current_year": cy,
            "current_value": cv,
            "target_value": tv,
            "target_year": ty,
        }  # fmt: skip
        for d, bv, cv, tv in itertools.product(
            ["higher_is_better", "lower_is_better", "neutral"], values, values, [None, 0.0, 50.0, 120.0]
        )
        for by, cy, ty in [(2014, 2020, 2024), (2014, 2014, 2024), (2016, 2020, 2015), (None, 2020, None)]
    ]
    numeric = [
        "baseline_year",
        "baseline_value",
        "current_year",
        "current_value",
        "target_value",
        "target_year",
    ]
    frame = pd.DataFrame(cases).astype(dict.fromkeys(numeric, float))
    vectorised = assess_frame(frame)
    assert len(frame) > 2000
    for case, row in zip(cases, vectorised.itertuples(index=False), strict=True):
        expected = assess(
            case["direction"], case["baseline_year"], case["baseline_value"], case["current_year"],
            case["current_value"], case["target_value"], case["target_year"],
        )  # fmt: skip
        assert row.status == expected.status, case
        for name in ("observed_cagr", "required_cagr", "ratio"):
            want, got = getattr(expected, name), getattr(row, name)
            assert (want is None and np.isnan(got)) or got == pytest.approx(want), (case, name)


# --- What a target stands for -------------------------------------------------------------------


def test_target_value_is_absolute_or_relative_to_the_baseline() -> None:
    assert target_value(0.0, None, 18.6) == 0.0  # an absolute target ignores the baseline
    assert target_value(None, -0.5, 18.6) == pytest.approx(9.3)
    assert math.isnan(target_value(None, -0.5, None))  # no baseline: no value, never an invented one
    columns = target_value(
        pd.Series([5.0, np.nan, np.nan]), pd.Series([np.nan, -0.3, -0.3]), pd.Series([10.0, 10.0, np.nan])
    )
    np.testing.assert_allclose(columns, [5.0, 7.0, np.nan])


def test_baseline_falls_forward_within_the_strategy_period() -> None:
    assert baseline({2014: 3.0, 2015: 4.0}, 2014, 2020) == (2014, 3.0)
    assert baseline({2014: float("nan"), 2016: 4.0}, 2014, 2020) == (2016, 4.0)
    assert baseline({2014: None, 2022: 4.0}, 2014, 2020) is None  # after the period: no baseline
    assert series_target(None, -0.5, {2016: 4.0}, 2014, 2020) == (2.0, 2016)
    assert series_target(7.0, None, {}, 2014, 2020) == (7.0, None)
    assert series_target(None, -0.5, {}, 2014, 2020) is None


def test_chart_target_line_is_the_level_progress_is_judged_against() -> None:
    """A relative target (eviction requests −50 %) on a series without values in its first two
    years: the chart's target lines and goal attainment's target values are the same numbers."""
    from pipelines.catalogue import load_catalogue
    from pipelines.charts import indicator_chart as ic
    from pipelines.charts.render import indicator_chart_spec
    from pipelines.progress.attainment import goal_attainment

    catalogue = load_catalogue()
    indicator = "begjaeringer_fravikelse_per_1000_leie"
    years = range(2014, 2025)
    hidden = {2014, 2015}  # the bfv baseline falls forward to 2016
    values = pd.DataFrame(
        {
            "indicator_id": indicator,
            "target_group": "alle",
            "geo_level": "land",
            "geo_code": "EAK",
            "geo_name": "Landet",
            "year": list(years),
            "value": [np.nan if y in hidden else 20.0 - 0.7 * (y - 2014) for y in years],
            "status": ["suppressed" if y in hidden else "shown" for y in years],
            "unit": catalogue.indicators[indicator].unit,
            "data_origin": "synthetic",
        }
    )
    judged = goal_attainment(values, catalogue)
    judged = judged[(judged["indicator_id"] == indicator) & (judged["geo_level"] == "land")]
    by_strategy = judged.set_index("strategy_id")
    assert by_strategy.loc["bfv", "baseline_year"] == 2016

    figure = ic.plot_indicator_trend(values, indicator_chart_spec(catalogue, indicator), "2026-11-26")
    lines = figure.findobj(lambda a: a.get_gid() == ic.GID_TARGET)
    drawn = {
        int(np.asarray(line.get_data()[0])[-1]): float(np.asarray(line.get_data()[1])[-1]) for line in lines
    }
    ic._close(figure)
    assert drawn == {
        2020: pytest.approx(by_strategy.loc["bfv", "target_value"]),
        2024: pytest.approx(by_strategy.loc["atth", "target_value"]),
    }
    assert drawn[2020] == pytest.approx(0.5 * (20.0 - 0.7 * 2))  # half the 2016 value


def test_refugee_share_without_values_before_2022_is_too_little_data_for_bfv() -> None:
    """IMDi per municipality exists from 2022 only (sources.yaml `available_from`): Bolig for velferd
    (2014–2020) has no refugee value to judge, so it says too little data (never a judgment made
    of nothing, never a crash); Alle trenger et trygt hjem starts from 2022 and says so."""
    from pipelines.catalogue import load_catalogue
    from pipelines.progress.attainment import goal_attainment

    catalogue = load_catalogue()
    indicator = "flyktninger_bosatt_6mnd_andel"
    years = range(2014, 2025)
    values = pd.DataFrame(
        {
            "indicator_id": indicator,
            "target_group": "flyktninger",
            "geo_level": "land",
            "geo_code": "EAK",
            "geo_name": "Landet",
            "year": list(years),
            "value": [np.nan if y < 2022 else {2022: 90.0, 2023: 78.0, 2024: 71.0}[y] for y in years],
            "status": ["missing" if y < 2022 else "shown" for y in years],
            "unit": catalogue.indicators[indicator].unit,
            "data_origin": "synthetic",
        }
    )
    judged = goal_attainment(values, catalogue)
    judged = judged[judged["indicator_id"] == indicator].set_index("strategy_id")
    bfv = judged.loc["bfv"]
    assert bfv["status"] == "insufficient_data"
    assert pd.isna(bfv["baseline_year"]) and pd.isna(bfv["current_year"])
    atth = judged.loc["atth"]
    assert atth["baseline_year"] == 2022 and atth["current_year"] == 2024
    assert "no value in 2020" in atth["note"]
