"""What a target stands for as a number: the rule that goal attainment and the charts share.

A target in ``assets/targets.yaml`` is absolute (``value``: reach this number) or relative
(``change``: move this fraction from the baseline; −0.5 halves it). The baseline is the series'
value in the strategy's baseline year or — when the series has none then, as a four-yearly
survey may not — its first value after that, up to the strategy's last year. A relative target
without a baseline has no value: it is never set against an invented one.

Goal attainment applies :func:`target_value` to whole columns of series; a chart applies
:func:`series_target` to the one series it draws. Both use the same numbers, so the line on a
chart is the level its progress status is judged against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def target_value(absolute, change, baseline_value):
    """The value a target stands for: ``absolute`` where given, else ``baseline_value × (1 + change)``.

    Element-wise: takes numbers (None for «not given») or equally long arrays/Series (NaN for
    «not given»), and gives a float (NaN when there is no value) or an array of them.
    """
    absolute, change, baseline_value = (
        np.asarray(np.nan if x is None else x, dtype=float) for x in (absolute, change, baseline_value)
    )
    value = np.where(np.isnan(absolute), baseline_value * (1 + change), absolute)
    return float(value) if value.ndim == 0 else value


def baseline(
    series: Mapping[int, float | None], baseline_year: int, last_year: int
) -> tuple[int, float] | None:
    """(year, value) of a series' baseline: its first value from ``baseline_year`` to ``last_year``.

    ``series`` maps years to shown values (None or NaN where nothing may be used).
    """
    for year in range(baseline_year, last_year + 1):
        value = series.get(year)
        if value is not None and math.isfinite(value):
            return year, float(value)
    return None


def series_target(
    absolute: float | None,
    change: float | None,
    series: Mapping[int, float | None],
    baseline_year: int,
    last_year: int,
) -> tuple[float, int | None] | None:
    """The value a target stands for on one series, and the baseline year it rests on.

    An absolute target needs no baseline (year None). A relative target without a baseline in
    the strategy period, or a target with neither value nor change, gives None.
    """
    if absolute is not None:
        return target_value(absolute, None, None), None
    if change is None:
        return None
    base = baseline(series, baseline_year, last_year)
    if base is None:
        return None
    return target_value(None, change, base[1]), base[0]
