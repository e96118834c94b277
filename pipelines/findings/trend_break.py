"""Did the trends change after 2018? Average annual change per period, before and after.

From 2018 the directorates narrowed the action plan of Bolig for velferd to two prioritised
national measures. For the indicators that follow them, each period of ``before_after`` in
``assets/findings.yaml`` (2014–2017, 2018–2020, 2021–2024) gets its **average annual change**:
the mean of the year-on-year changes *of its years* (2014–2017: 2015, 2016 and 2017 over the
previous year; 2018–2020: 2018, 2019 and 2020), in the indicator's unit (percentage points for a
share). Fewer than ``min_changes`` changes in a period (suppressed or missing years) gives «for
lite data».

Each later period is compared with the first: the difference of the averages, turned by the
indicator's direction so that a positive ``shift`` means a better development than before
(«bedre enn 2014–2017»), a negative one worse. A difference that, added up over the later
period's years, stays within the verdict rule's ``flat_band`` of the first period's starting level
is «omtrent som 2014–2017» (the same tolerance the verdicts give a whole period's change). An indicator
without direction is not judged. This is a description of the series, not a test of effect:
every row carries the caution text.
"""

from __future__ import annotations

import math

import pandas as pd

from pipelines.findings.spec import BeforeAfter

BETTER, WORSE, SIMILAR, INSUFFICIENT, NOT_JUDGED = (
    "better",
    "worse",
    "similar",
    "insufficient_data",
    "not_assessed",
)
SHIFT_LABELS_NB = {
    BETTER: "Bedre utvikling enn {reference}",
    WORSE: "Svakere utvikling enn {reference}",
    SIMILAR: "Omtrent som {reference}",
    INSUFFICIENT: "For lite data",
    NOT_JUDGED: "Ikke vurdert (indikator uten retning)",
}
SIGN = {"higher_is_better": 1, "lower_is_better": -1}


def annual_changes(series: pd.DataFrame, first_year: int, last_year: int) -> list[float]:
    """The year-on-year changes of the years ``first_year``…``last_year`` (each over the year
    before, which may lie before the period) where both years have a shown value."""
    shown = series.dropna(subset=["value"]).set_index("year")["value"]
    return [
        float(shown[year] - shown[year - 1])
        for year in range(first_year, last_year + 1)
        if year in shown.index and year - 1 in shown.index
    ]


def period_rows(series: pd.DataFrame, spec: BeforeAfter, direction: str, flat_band: float) -> list[dict]:
    """One row per period for one geography's series (columns year, value): its average annual
    change and, for the later periods, the shift against the first period."""
    reference = spec.periods[0]
    averages: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for period in spec.periods:
        changes = annual_changes(series, period.first_year, period.last_year)
        counts[period.id] = len(changes)
        averages[period.id] = sum(changes) / len(changes) if len(changes) >= spec.min_changes else None
    start = series.dropna(subset=["value"])
    start = start[start["year"] >= reference.first_year - 1].sort_values("year")
    level = abs(float(start["value"].iloc[0])) if len(start) else math.nan
    rows = []
    for period in spec.periods:
        average = averages[period.id]
        shift, judged = None, None
        if period.id != reference.id:
            years = period.last_year - period.first_year + 1
            shift, judged = _shift(average, averages[reference.id], direction, flat_band * level / years)
        rows.append(
            {
                "period_id": period.id,
                "period_label_nb": period.label_nb,
                "first_year": period.first_year,
                "last_year": period.last_year,
                "n_changes": counts[period.id],
                "average_annual_change": average,
                "shift_vs_first": shift,
                "trend_shift": judged,
                "trend_shift_nb": None
                if judged is None
                else SHIFT_LABELS_NB[judged].format(reference=_years(reference)),
            }
        )
    return rows


def _years(period) -> str:
    return f"{period.first_year}–{period.last_year}"


def _shift(average, reference, direction, band) -> tuple[float | None, str]:
    if direction not in SIGN:
        return None, NOT_JUDGED
    if average is None or reference is None:
        return None, INSUFFICIENT
    shift = (average - reference) * SIGN[direction]
    band = band if band == band else 0.0  # no starting level (NaN): no band
    if abs(shift) <= band:
        return shift, SIMILAR
    return shift, BETTER if shift > 0 else WORSE
