"""Municipality codes as analysts receive them, normalised to four-digit text.

Accepted: ``"0301"``, ``301``, ``301.0``, ``"301"``, ``"K-0301"`` (SSB's harmonised series),
``"0301 Oslo"`` and ``"0301 - Oslo"`` (StatBank "code name" cells). Anything else is ``None``,
for the caller to report with its row.
"""

from __future__ import annotations

import math
import re

import pandas as pd

_CODE = re.compile(r"^\s*(?:K-)?(\d{3,4})(?:\s*(?:-\s*)?\D.*)?\s*$", re.IGNORECASE)


def normalise_code(raw: object) -> str | None:
    """One code as four digits, or ``None`` when it is not a municipality code."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        if not raw.is_integer():
            return None
        text = str(int(raw))
    else:
        text = str(raw)
    match = _CODE.match(text)
    return match.group(1).zfill(4) if match else None


def normalise_codes(raw: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_code`: each distinct value is parsed once."""
    uniques = pd.unique(raw)
    lookup = {value: normalise_code(value) for value in uniques}
    mapped = raw.map(lookup).astype(object)
    # pandas 3 maps None to NaN on string columns; callers test `is None` and report the raw value.
    return mapped.where(mapped.notna(), None)
