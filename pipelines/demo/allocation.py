"""Pure integer-allocation and rounding helpers for the synthetic demo data.

Everything here is exact: apportionment works on the exact rational value of each float weight
(no floating-point sums decide who gets a unit), and rounding works on the decimal text of a
number, which is how SSB publishes and rounds its figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _exact_integer_weights(weights: Sequence[float]) -> list[int]:
    """Scale float weights to integers without changing their ratios at all.

    Every finite float is ``n / 2**k``; multiplying all of them by the largest ``2**k`` gives
    integers in exactly the same proportions.
    """
    ratios = [float(w).as_integer_ratio() for w in weights]
    common = max((den for _, den in ratios), default=1)
    return [num * (common // den) for num, den in ratios]


def largest_remainder(
    total: int,
    weights: Sequence[float] | np.ndarray,
    caps: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Split the integer ``total`` into integer parts proportional to ``weights``.

    Hamilton's largest-remainder method: every unit gets the floor of its quota
    ``total * w_i / sum(w)``, and the units still missing go, one each, to the largest
    remainders. Ties are broken by position: the lower index wins, so the result is fully
    deterministic.

    With ``caps`` (per-unit upper bounds, non-negative integers) any unit whose quota would
    exceed its cap is fixed at the cap and the rest of the total is re-apportioned over the
    remaining units in proportion to their weights, repeated until no quota exceeds its cap
    ("water filling"). The result then satisfies ``0 <= part_i <= cap_i``.

    Guarantees: the parts are non-negative int64, sum exactly to ``total``, and a unit with
    weight 0 (or cap 0) gets 0. The arithmetic is exact (rational), so the outcome does not
    depend on the order of a floating-point sum.

    Raises :class:`ValueError` if ``total`` is negative, a weight is negative or not finite,
    a cap is negative, the lengths differ, ``total`` exceeds the sum of the caps, or a
    positive total has to be spread over units that all have zero weight.
    """
    total = int(total)
    if total < 0:
        raise ValueError(f"total must be non-negative, got {total}")
    w = [float(v) for v in np.asarray(weights, dtype=float).ravel()]
    n = len(w)
    if any(not math.isfinite(v) or v < 0 for v in w):
        raise ValueError("weights must be finite and non-negative")
    if caps is None:
        cap = None
    else:
        cap_array = np.asarray(caps)
        if cap_array.shape != (n,):
            raise ValueError(f"caps has shape {cap_array.shape}, expected ({n},)")
        cap = [int(c) for c in cap_array]
        if any(c < 0 for c in cap):
            raise ValueError("caps must be non-negative")
        if total > sum(cap):
            raise ValueError(f"total {total} exceeds the sum of the caps {sum(cap)}")

    result = [0] * n
    if total == 0:
        return np.zeros(n, dtype=np.int64)
    iw = _exact_integer_weights(w)
    active = [i for i in range(n) if iw[i] > 0 and (cap is None or cap[i] > 0)]
    remaining = total

    if cap is not None:
        # Water filling: fix every unit whose quota exceeds its cap, then re-apportion.
        while True:
            weight_sum = sum(iw[i] for i in active)
            if weight_sum == 0:
                break
            # quota_i > cap_i  <=>  remaining * w_i > cap_i * weight_sum (all integers).
            over = [i for i in active if remaining * iw[i] > cap[i] * weight_sum]
            if not over:
                break
            for i in over:
                result[i] = cap[i]
                remaining -= cap[i]
            over_set = set(over)
            active = [i for i in active if i not in over_set]

    weight_sum = sum(iw[i] for i in active)
    if remaining > 0 and weight_sum == 0:
        raise ValueError(f"cannot apportion {remaining} units over units with zero weight (or no room)")
    if remaining == 0:
        return np.asarray(result, dtype=np.int64)

    remainders: list[tuple[int, int]] = []
    for i in active:
        floor_part, rest = divmod(remaining * iw[i], weight_sum)
        result[i] = int(floor_part)
        remainders.append((rest, i))
    missing = total - sum(result)
    # Largest remainder first; on equal remainders the lower index first. Every quota is at
    # most its cap here, so a unit with a positive remainder still has room for one more, and
    # because each remainder is below 1 there are always at least ``missing`` positive ones.
    remainders.sort(key=lambda pair: (-pair[0], pair[1]))
    for _, i in remainders[:missing]:
        result[i] += 1
    return np.asarray(result, dtype=np.int64)
