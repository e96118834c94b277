"""Norwegian numbers and labels, the same in every output: charts, profiles, report, handbook.

One rule, one place: how a number is written (``1 234,5``, ``−3``, ``+1,2``, ``–`` for nothing),
how a unit, a target, a strategy and a data origin are named, and what a footer says. Plain text
only — no matplotlib — so the report and the handbook can use it without loading a drawing library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

from pipelines.catalogue.labels import STATUS_SYMBOLS, UNIT_LABELS_NB

# --- Numbers ------------------------------------------------------------------------------------

# Norwegian (CLDR "nb") groups thousands with a no-break space, which also keeps a number from
# being split over two lines, and uses a comma as decimal mark and U+2212 as minus sign.
NBSP = "\u00a0"
THOUSANDS_SEPARATOR = NBSP
DECIMAL_MARK = ","
MINUS_SIGN = "\u2212"
MISSING_MARK = "–"
PERCENT = NBSP + "%"  # "45 %": a space before the sign, and never a line break there


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round ``x`` to ``decimals`` decimals with halves rounded up, as SSB does.

    Python's built-in :func:`round` rounds halves to even (``round(2.5) == 2``) and works on
    the binary float, so ``round(1.255, 2) == 1.25``. Here the number is rounded as it is
    written in decimal (``str(x)``), so ``round_half_up(1.255, 2) == 1.26`` and
    ``round_half_up(2.5, 0) == 3.0``.

    Edge cases: negative halves round away from zero (``-2.5 -> -3.0``), matching
    :data:`decimal.ROUND_HALF_UP`; ``decimals`` may be negative (``round_half_up(125, -1) == 130``).
    NaN and infinities raise :class:`ValueError`. The result is a float; integers and numpy
    scalars are accepted as input.
    """
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"cannot round a non-finite value: {x!r}")
    # str(float) is the shortest text that reads back as the same float, i.e. the number as a
    # person would write it; Decimal on it avoids the binary representation error of 1.255.
    quantum = Decimal(1).scaleb(-int(decimals))
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_number_nb(x: Real | None, decimals: int = 0, *, missing: str = MISSING_MARK) -> str:
    """Format ``x`` the Norwegian way: ``1234.5`` → ``"1 234,5"`` (no-break space), ``-3`` → ``"−3"``.

    Numbers are rounded to ``decimals`` places. A value that rounds to zero gets no sign, so no
    ``"−0,0"`` appears. ``None`` and NaN give ``missing`` (an en dash by default), never ``"0"``.
    """
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}")
    if x is None:
        return missing
    number = float(x)
    if math.isnan(number):
        return missing
    if math.isinf(number):
        return "∞" if number > 0 else MINUS_SIGN + "∞"
    digits = f"{abs(number):,.{decimals}f}"
    # Python groups with "," and uses "." as decimal point; translate swaps both in one pass.
    text = digits.translate(str.maketrans({",": THOUSANDS_SEPARATOR, ".": DECIMAL_MARK}))
    return text if number >= 0 or _is_zero(text) else MINUS_SIGN + text


def format_signed_nb(x: Real, decimals: int = 0) -> str:
    """A change with its sign: ``"+1,2"``, ``"−0,4"``; one that rounds to zero is ``"0,0"``, unsigned."""
    text = format_number_nb(x, decimals)
    return "+" + text if float(x) > 0 and not _is_zero(text) else text


def _is_zero(text: str) -> bool:
    return not any(ch in "123456789" for ch in text)


def fewest_decimals(value: float, most: int) -> int:
    """The fewest decimals (up to ``most``) that print ``value`` as ``most`` decimals would:
    0 → 0, 2.5 → 1, 12.04 with one decimal at most → 0. No needless «,0»."""
    for decimals in range(most + 1):
        if math.isclose(round(value, decimals), round(value, most), abs_tol=10 ** -(most + 2)):
            return decimals
    return most


def display_value(value: float | None, status: str | None, decimals: int) -> str:
    """A table cell: the Norwegian number when shown, else the status symbol («:», «..», «.»).

    A value that is not shown is never written as a number, and an unknown or absent status
    gives «..» (missing), never 0.
    """
    if status == "shown" and value is not None and not (isinstance(value, float) and math.isnan(value)):
        return format_number_nb(value, int(decimals))
    return STATUS_SYMBOLS.get(str(status), "") or STATUS_SYMBOLS["missing"]


def format_factor_nb(factor: float) -> str:
    """A formula's factor, "1000" or "0,5": as in the unit labels («per 1000 innbyggere»), without
    a thousands separator."""
    return f"{factor:g}".replace(".", DECIMAL_MARK)


# --- Units --------------------------------------------------------------------------------------


def unit_label_nb(unit: str | None) -> str:
    """The Norwegian label of a unit code ("per_1000_inhabitants" → "per 1000 innbyggere").

    An unknown code is shown as it is rather than guessed at, so a new unit is visible in the
    output and easy to add to the catalogue's labels, instead of silently mislabelled.
    """
    if not unit:
        return ""
    return UNIT_LABELS_NB.get(unit, unit)


def format_value_nb(value: float, unit: str, decimals: int) -> str:
    """A value with its unit: "21,1 per 1000 innbyggere", "45 %", "1 234" (a count needs no unit)."""
    number = format_number_nb(value, decimals)
    if unit == "percent":
        return number + PERCENT
    if unit == "count":
        return number
    return f"{number} {unit_label_nb(unit)}"


# --- Strategies and targets -----------------------------------------------------------------------


def short_strategy_name(name_nb: str) -> str:
    """The strategy's own title without subtitle and years.

    "Bolig for velferd. Nasjonal strategi for boligsosialt arbeid (2014–2020)" → "Bolig for velferd".
    """
    short = re.split(r"\.\s", name_nb.strip(), maxsplit=1)[0]
    return re.sub(r"\s*\(\d{4}\s*[–-]\s*\d{4}\)\s*$", "", short).rstrip(". ").strip()


def relative_change_nb(change: float) -> str:
    """A relative target's change in percent: −0.5 → «−50 %», 0.2 → «+20 %» (one decimal at most)."""
    percent = change * 100
    return format_signed_nb(percent, fewest_decimals(percent, 1)) + PERCENT


def target_label_nb(year: int, value: float, kind: str, decimals: int = 0, detail: str = "") -> str:
    """«Mål 2020: 0», «Analytisk mål 2024: 50», with an optional detail in parentheses.

    ``decimals`` is the most shown; a round target is shown without decimals («0», not «0,0»).
    """
    prefix = "Analytisk mål" if kind == "analytical" else "Mål"
    text = f"{prefix} {year}: {format_number_nb(value, fewest_decimals(value, decimals))}"
    return f"{text} ({detail})" if detail else text


# --- Data origin and footer -----------------------------------------------------------------------

# The one wording of the synthetic mark, on every surface (charts, report, release files).
SYNTHETIC_NB = "Syntetiske demodata – ikke offisiell statistikk"
SYNTHETIC_EN = "Synthetic demo data – not official statistics"
DATA_ORIGIN_LABELS_NB: dict[str, str] = {
    "ssb": "Statistisk sentralbyrå",
    "file": "Fagdata (fil)",
    "synthetic": SYNTHETIC_NB,
}
FOOTER_SEPARATOR = " · "


def data_origin_codes(data_origin: str | Iterable[str]) -> list[str]:
    """The distinct origin codes in ``data_origin``, in a fixed order (ssb, file, synthetic).

    Accepts one code, several codes in one string (``"ssb, synthetic"``, ``"ssb+file"``) or an
    iterable such as a DataFrame column. An unknown code raises ``ValueError``: the footer is what
    tells a reader whether the numbers are real, so it must never guess.
    """
    raw = re.split(r"[,;+|/\s]+", data_origin) if isinstance(data_origin, str) else list(data_origin)
    codes = {str(code).strip().lower() for code in raw if code is not None and str(code).strip()}
    codes.discard("nan")
    unknown = codes - DATA_ORIGIN_LABELS_NB.keys()
    if unknown:
        raise ValueError(f"unknown data_origin {sorted(unknown)}; expected {sorted(DATA_ORIGIN_LABELS_NB)}")
    if not codes:
        raise ValueError("data_origin is empty; a chart must say where its numbers come from")
    return [code for code in DATA_ORIGIN_LABELS_NB if code in codes]


def footer_text(source: str, data_origin: str | Iterable[str], release: str) -> str:
    """The footer as one line: "Kilde: … · Data: … · Publisert …"."""
    codes = data_origin_codes(data_origin)
    origins = ", ".join(DATA_ORIGIN_LABELS_NB[code] for code in codes)
    # With demo data the numbers do not come from the indicator's source, only its definition
    # does: say so, so that nobody reads "Kilde: SSB" under invented figures.
    label = "Indikatordefinisjon" if codes == ["synthetic"] else "Kilde"
    parts = [f"{label}: {source.strip() or 'ikke oppgitt'}", f"Data: {origins}"]
    if release and str(release).strip():
        parts.append(f"Publisert {str(release).strip()}")
    return FOOTER_SEPARATOR.join(parts)


def wrap_footer(text: str, max_chars: int) -> str:
    """Break a footer between its " · " parts, never inside one, so phrases stay whole."""
    lines: list[str] = []
    for part in text.split(FOOTER_SEPARATOR):
        if lines and len(lines[-1]) + len(FOOTER_SEPARATOR) + len(part) <= max_chars:
            lines[-1] += FOOTER_SEPARATOR + part
        else:
            lines.append(part)
    return "\n".join(lines)
