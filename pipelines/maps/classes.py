"""A map's classed colour scale: class bounds, colours by the indicator's direction, legend labels.

Up to five classes at the quintiles of the shown municipal values (the counties' values when a map
has no municipal values), each inner bound rounded to one significant digit (two where one would
merge two quintiles), so the legend reads «5–under 8» rather than «4,9873–under 7,5511». The
lowest and highest bounds are the smallest and largest value on the map, so every shown value —
municipal or county — falls in a class. A value equal to a bound belongs to the upper class.

Colours: ColorBrewer «Blues» (Cynthia Brewer, Apache 2.0), a sequential scale that stays
readable for the common colour-vision deficiencies and in greyscale. Darker is better when the
indicator has a direction (``lower_is_better`` turns the scale round); for a context indicator
without one, darker is simply higher. Plain text and numbers only — no matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.catalogue.labels import STATUS_WORDS_NB
from pipelines.formatting import format_number_nb

MAX_CLASSES = 5
# ColorBrewer «Blues» for 3, 4 and 5 classes (light → dark); one or two classes use part of the 3.
BLUES = {
    3: ("#deebf7", "#9ecae1", "#3182bd"),
    4: ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"),
    5: ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),
}
# The cells without a coloured value. Suppressed: white under a dark hatch, so it can never be
# mistaken for a class colour; missing: mid grey; not applicable: a lighter warm grey.
SUPPRESSED_FACE = "#ffffff"
SUPPRESSED_HATCH = "////"
HATCH_COLOR = "#595959"
MISSING_FACE = "#a6a6a6"
NOT_APPLICABLE_FACE = "#e3ded4"
STATUS_LABELS_NB = STATUS_WORDS_NB  # the legend entries of the statuses, in this order
STATUS_FACES = {
    "suppressed": SUPPRESSED_FACE,
    "missing": MISSING_FACE,
    "not_applicable": NOT_APPLICABLE_FACE,
}


@dataclass(frozen=True)
class Classes:
    """Class bounds (``len(colors) + 1`` of them, ascending) and the colour of each class."""

    bounds: tuple[float, ...]
    colors: tuple[str, ...]
    decimals: int  # what the legend prints the bounds with
    darker_is_better: bool

    def index(self, value: float) -> int:
        """The class of ``value``: a value on an inner bound goes to the upper class."""
        inner = np.asarray(self.bounds[1:-1])
        return int(np.searchsorted(inner, value, side="right"))

    def color(self, value: float) -> str:
        return self.colors[self.index(value)]

    def labels_nb(self, unit_suffix: str = "") -> list[str]:
        """«under 5,0», «5,0–under 7,5», …, «10,0 og over» (one class: «3,2»)."""
        n = len(self.colors)
        b = [format_number_nb(v, self.decimals) + unit_suffix for v in self.bounds]
        if n == 1:
            return [b[0] if b[0] == b[1] else f"{b[0]}–{b[1]}"]
        labels = [f"under {b[1]}"]
        labels += [f"{b[i]}–under {b[i + 1]}" for i in range(1, n - 1)]
        labels.append(f"{b[n - 1]} og over")
        return labels


def nice(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits (0 stays 0): 3.37 → 3 or 3.4, 468 → 500."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _inner_bounds(quantiles: Sequence[float], low: float, high: float, digits: int) -> list[float]:
    inner: list[float] = []
    for q in quantiles:
        bound = nice(float(q), digits)
        if low < bound <= high and (not inner or bound > inner[-1]):
            inner.append(bound)
    return inner


def classify(
    class_values: Iterable[float],
    all_values: Iterable[float] = (),
    direction: str = "neutral",
    max_classes: int = MAX_CLASSES,
    decimals: int = 1,
) -> Classes | None:
    """Classes from the quintiles of ``class_values``, widened to cover ``all_values`` too.

    ``decimals`` are the indicator's, used when all values fall in one class. None when there is
    no value to class. Bounds are strictly increasing; fewer than five
    classes when the values have fewer distinct nice quintiles (e.g. many zeros).
    """
    values = np.asarray([v for v in class_values if v is not None and math.isfinite(v)], dtype=float)
    extra = np.asarray([v for v in all_values if v is not None and math.isfinite(v)], dtype=float)
    every = np.concatenate([values, extra])
    if every.size == 0:
        return None
    if values.size == 0:
        values = every
    low, high = float(every.min()), float(every.max())
    quantiles = np.quantile(values, [i / max_classes for i in range(1, max_classes)])
    # One significant digit reads best («3», «50», «0,2»); two where one merges distinct quintiles.
    distinct = len(_inner_bounds(quantiles, low, high, 6))
    inner = _inner_bounds(quantiles, low, high, 1)
    if len(inner) < distinct:
        inner = _inner_bounds(quantiles, low, high, 2)
    above = values[values > low]
    if len(inner) < max_classes - 1 and above.size:
        # Many values at the minimum (counts of zero): the lowest class holds them, the others
        # split the values above it.
        rest = np.quantile(above, [i / (max_classes - 1) for i in range(max_classes - 1)])
        split = _inner_bounds(rest, low, high, 1)
        if len(split) < len(_inner_bounds(rest, low, high, 6)):
            split = _inner_bounds(rest, low, high, 2)
        if len(split) > len(inner):
            inner = split
    bounds = (low, *inner, high)
    n = len(bounds) - 1
    palette = BLUES[max(n, 3)][-n:] if n < 3 else BLUES[n]
    better_low = direction == "lower_is_better"
    colors = tuple(reversed(palette)) if better_low else tuple(palette)
    # One class (every value equal) prints the value as the indicator does; else the bounds' unit.
    decimals = max((_decimals_of(b) for b in inner), default=0) if n > 1 else decimals
    return Classes(bounds, colors, decimals, darker_is_better=direction != "neutral")


def _decimals_of(value: float) -> int:
    """The decimals a rounded bound needs: 0.25 → 2, 40.0 → 0."""
    for decimals in range(7):
        if math.isclose(value, round(value, decimals), rel_tol=0, abs_tol=1e-9):
            return decimals
    return 6


def legend_title_nb(unit_label: str, darker_is_better: bool, classes: int = 2) -> str:
    """The legend's heading: the unit, and which way is better (with one class, nothing to read)."""
    lines = [unit_label[:1].upper() + unit_label[1:] if unit_label else "Verdi"]
    if classes > 1:
        lines.append("Mørkere farge = bedre" if darker_is_better else "Mørkere farge = høyere verdi")
    return "\n".join(lines)


def status_entries(statuses: Sequence[str]) -> list[tuple[str, str]]:
    """(status, Norwegian label) for every non-shown status present, in a fixed order."""
    return [(s, STATUS_LABELS_NB[s]) for s in STATUS_LABELS_NB if s in set(statuses)]
