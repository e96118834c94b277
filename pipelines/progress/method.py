"""Progress status by the compound-annual-growth method (Statistics Canada's method, as used
by Open SDG's ``sdg-build``).

With a target: compare the observed compound annual growth rate (CAGR) since the baseline with
the CAGR needed to reach the target by the target year; ratio = direction × observed / |needed|.
Without a target: judge the direction-adjusted observed CAGR itself.

Thresholds are Open SDG's defaults:

============================  ===================  =====================
status                        with target (ratio)  without target (CAGR)
============================  ===================  =====================
target_achieved               current value meets the target
substantial_progress          ≥ 0.95               ≥ 0.015
moderate_progress             ≥ 0.6                ≥ 0.005
limited_progress              ≥ 0                  ≥ 0
deterioration                 < 0                  < 0
============================  ===================  =====================

As in Open SDG, a zero baseline or target is replaced by 0.001 (growth from or to zero is
otherwise undefined). Fewer than two years between baseline and current value, or no value at
either end, gives ``insufficient_data``; an indicator without direction (a context indicator)
gives ``not_assessed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

WITH_TARGET = {"high": 0.95, "med": 0.6, "low": 0.0}
WITHOUT_TARGET = {"high": 0.015, "med": 0.005, "low": 0.0}
ZERO_REPLACEMENT = 0.001

STATUS_LABELS_NB = {
    "target_achieved": "Målet er nådd",
    "substantial_progress": "God framgang",
    "moderate_progress": "Moderat framgang",
    "limited_progress": "Begrenset framgang",
    "deterioration": "Tilbakegang",
    "insufficient_data": "For lite data",
    "not_assessed": "Ikke vurdert (kontekstindikator)",
}
STATUS_LABELS_EN = {
    "target_achieved": "Target achieved",
    "substantial_progress": "Substantial progress",
    "moderate_progress": "Moderate progress",
    "limited_progress": "Limited progress",
    "deterioration": "Deterioration",
    "insufficient_data": "Insufficient data",
    "not_assessed": "Not assessed (context indicator)",
}
# Scores for roll-ups (mean over indicators), on Open SDG's −5 … 5 scale.
STATUS_SCORES = {
    "target_achieved": 5.0,
    "substantial_progress": 3.75,
    "moderate_progress": 1.25,
    "limited_progress": -1.25,
    "deterioration": -3.75,
}


@dataclass(frozen=True)
class Progress:
    status: str
    observed_cagr: float | None = None
    required_cagr: float | None = None
    ratio: float | None = None


def cagr(current: float, base: float, years: float) -> float | None:
    """Compound annual growth rate from ``base`` to ``current`` over ``years``; None if undefined."""
    if years <= 0:
        return None
    base = base or ZERO_REPLACEMENT
    current = current or ZERO_REPLACEMENT
    if (base < 0) != (current < 0):
        return None  # growth across zero has no compound rate
    return (current / base) ** (1 / years) - 1


def direction_sign(direction: str) -> int | None:
    return {"higher_is_better": 1, "lower_is_better": -1}.get(direction)


def assess(
    direction: str,
    base_year: int | None,
    base_value: float | None,
    current_year: int | None,
    current_value: float | None,
    target_value: float | None = None,
    target_year: int | None = None,
) -> Progress:
    """The progress status of one series."""
    sign = direction_sign(direction)
    if sign is None:
        return Progress("not_assessed")
    if _missing(base_value) or _missing(current_value) or base_year is None or current_year is None:
        return Progress("insufficient_data")
    if current_year - base_year < 1:
        return Progress("insufficient_data")
    observed = cagr(current_value, base_value, current_year - base_year)
    if observed is None:
        return Progress("insufficient_data")
    if target_value is None:
        return Progress(_band(sign * observed, WITHOUT_TARGET), observed)
    if sign * (current_value - target_value) >= 0:
        return Progress("target_achieved", observed)
    required = cagr(target_value, base_value, (target_year or current_year) - base_year)
    if required is None or math.isclose(required, 0.0, abs_tol=1e-12):
        return Progress(_band(sign * observed, WITHOUT_TARGET), observed, required)
    ratio = sign * observed / abs(required)
    return Progress(_band(ratio, WITH_TARGET), observed, required, ratio)


def summary_status(scores: list[float]) -> str:
    """A roll-up status from the mean score of the assessed indicators (Open SDG's score bands)."""
    if not scores:
        return "insufficient_data"
    mean = sum(scores) / len(scores)
    if mean >= 2.5:
        return "substantial_progress"
    if mean >= 0:
        return "moderate_progress"
    if mean >= -2.5:
        return "limited_progress"
    return "deterioration"


def _band(value: float, thresholds: dict[str, float]) -> str:
    if value >= thresholds["high"]:
        return "substantial_progress"
    if value >= thresholds["med"]:
        return "moderate_progress"
    if value >= thresholds["low"]:
        return "limited_progress"
    return "deterioration"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def assess_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`assess` for every row of a frame at once — same rules, same numbers.

    Columns read: direction, baseline_year, baseline_value, current_year, current_value,
    target_value, target_year. Returns status, observed_cagr, required_cagr and ratio (NaN where
    `assess` gives None). Goal attainment judges ~18 000 series per tier; a Python call per series
    cost about a second.
    """
    sign = frame["direction"].map({"higher_is_better": 1.0, "lower_is_better": -1.0}).to_numpy(float)
    base_year = frame["baseline_year"].to_numpy(float)
    current_year = frame["current_year"].to_numpy(float)
    base = frame["baseline_value"].to_numpy(float)
    current = frame["current_value"].to_numpy(float)
    target = frame["target_value"].to_numpy(float)
    target_year = frame["target_year"].to_numpy(float)

    observed = _cagr_array(current, base, current_year - base_year)
    has_target = ~np.isnan(target)
    achieved = has_target & (sign * (current - target) >= 0)
    required = _cagr_array(
        target, base, np.where(np.isnan(target_year), current_year, target_year) - base_year
    )
    by_ratio = has_target & ~achieved & ~np.isnan(required) & (np.abs(required) > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(by_ratio, sign * observed / np.abs(required), np.nan)

    status = np.where(by_ratio, _band_array(ratio, WITH_TARGET), _band_array(sign * observed, WITHOUT_TARGET))
    status = np.where(achieved, "target_achieved", status)
    insufficient = np.isnan(observed) | (current_year - base_year < 1)
    status = np.where(insufficient, "insufficient_data", status)
    status = np.where(np.isnan(sign), "not_assessed", status)
    judged = ~np.isnan(sign) & ~insufficient
    return pd.DataFrame(
        {
            "status": status,
            "observed_cagr": np.where(judged, observed, np.nan),
            "required_cagr": np.where(judged & has_target & ~achieved, required, np.nan),
            "ratio": np.where(judged, ratio, np.nan),
        },
        index=frame.index,
    )


def _cagr_array(current: np.ndarray, base: np.ndarray, years: np.ndarray) -> np.ndarray:
    """`cagr` element-wise; NaN where it gives None (or an input is missing)."""
    base = np.where(base == 0, ZERO_REPLACEMENT, base)
    current = np.where(current == 0, ZERO_REPLACEMENT, current)
    defined = (years > 0) & ((base < 0) == (current < 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.power(current / base, 1 / years) - 1
    return np.where(defined, growth, np.nan)


def _band_array(values: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    return np.select(
        [values >= thresholds["high"], values >= thresholds["med"], values >= thresholds["low"]],
        ["substantial_progress", "moderate_progress", "limited_progress"],
        "deterioration",
    )
