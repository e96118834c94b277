"""The house style of every chart: palette, figure settings, Norwegian numbers, units and footer.

Everything a chart needs to look like the others lives here, so a change of style is one edit.

Nothing in this module changes global matplotlib state when imported: the settings are applied
with :func:`house_style` (a ``rc_context``) while a figure is built, and :func:`new_figure` puts
the figure on an explicit Agg canvas. That keeps the module safe in Dagster workers, notebooks and
tests alike, whatever backend the host process has chosen, and without ``matplotlib.pyplot``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from numbers import Real

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter

from pipelines.catalogue.labels import UNIT_LABELS_NB

# --- Palette ----------------------------------------------------------------------------------

# Okabe & Ito (2008): eight colours that stay distinguishable for the common colour-vision
# deficiencies and in greyscale print.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}


def tint(color: str, strength: float) -> str:
    """``color`` mixed with white; ``strength`` 1 is the colour itself, 0 is white.

    Bands use opaque tints rather than alpha so that overlapping bands and their legend patches
    show exactly the same colours.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength}")
    r, g, b = to_rgb(color)
    return to_hex((1 - strength + strength * r, 1 - strength + strength * g, 1 - strength + strength * b))


# Colours by role, so charts say what a colour is for rather than which colour it is.
COLORS: dict[str, str] = {
    "national": OKABE_ITO["blue"],
    "band_range": tint(OKABE_ITO["sky_blue"], 0.28),
    "band_iqr": tint(OKABE_ITO["sky_blue"], 0.62),
    "text": "#222222",
    # #595959 keeps a contrast of 7:1 on white (WCAG AAA) for the small print.
    "muted": "#595959",
    "grid": "#DDDDDD",
    "axis": "#888888",
}

# --- Figure settings --------------------------------------------------------------------------

# DejaVu Sans ships with matplotlib, so æ, ø, å and the typographic characters used below
# (no-break space, minus sign, en dash, middle dot) render identically on every machine.
FONT_FAMILY = "DejaVu Sans"

HOUSE_RC: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "font.size": 9.5,
    "text.color": COLORS["text"],
    "axes.labelcolor": COLORS["text"],
    "axes.labelsize": 9.5,
    "axes.edgecolor": COLORS["axis"],
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO.values())[1:] + [OKABE_ITO["black"]]),
    "axes.unicode_minus": True,
    "axes.formatter.use_locale": False,
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.7,
    "xtick.color": COLORS["axis"],
    "ytick.color": COLORS["axis"],
    "xtick.labelcolor": COLORS["text"],
    "ytick.labelcolor": COLORS["text"],
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Embedding glyphs as paths keeps the optional SVG/PDF output independent of installed fonts.
    "svg.fonttype": "path",
}

FIGURE_SIZE_IN = (8.0, 5.4)
FIGURE_DPI = 150


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rcParams for the duration of the block and restore them afterwards.

    Artists read most rcParams when they are created, so build (and save) figures inside it.
    """
    with mpl.rc_context(HOUSE_RC):
        yield


def new_figure(figsize: tuple[float, float] = FIGURE_SIZE_IN, dpi: int = FIGURE_DPI) -> Figure:
    """A figure on its own Agg canvas, independent of pyplot and of the process-wide backend.

    Call it inside :func:`house_style` so the figure picks up the house settings.
    """
    fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


# --- Norwegian numbers ------------------------------------------------------------------------

# Norwegian (CLDR "nb") groups thousands with a no-break space, which also keeps a number from
# being split over two lines, and uses a comma as decimal mark and U+2212 as minus sign.
THOUSANDS_SEPARATOR = "\u00a0"
DECIMAL_MARK = ","
MINUS_SIGN = "\u2212"
MISSING_MARK = "–"


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
    is_zero = not any(ch in "123456789" for ch in digits)
    # Python groups with "," and uses "." as decimal point; translate swaps both in one pass.
    text = digits.translate(str.maketrans({",": THOUSANDS_SEPARATOR, ".": DECIMAL_MARK}))
    return text if number >= 0 or is_zero else MINUS_SIGN + text


class NorwegianFormatter(Formatter):
    """Axis tick formatter with Norwegian digits.

    With ``decimals=None`` it uses the fewest decimals that show every tick exactly (ticks 0, 2.5,
    5 become "0,0", "2,5", "5,0"), so neighbouring labels never look equal and all share a format.
    """

    MAX_DECIMALS = 6

    def __init__(self, decimals: int | None = None) -> None:
        self.decimals = decimals
        self._auto_decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self._auto_decimals = self._decimals_for(locs)

    @classmethod
    def _decimals_for(cls, locs) -> int:
        finite = [float(v) for v in locs if math.isfinite(v)]
        for decimals in range(cls.MAX_DECIMALS + 1):
            tolerance = 10.0 ** -(decimals + 3)
            if all(abs(v - round(v, decimals)) <= tolerance * max(1.0, abs(v)) for v in finite):
                return decimals
        return cls.MAX_DECIMALS

    def __call__(self, x, pos=None) -> str:
        decimals = self.decimals if self.decimals is not None else self._auto_decimals
        return format_number_nb(x, decimals)


def nb_tick_formatter(decimals: int | None = None) -> NorwegianFormatter:
    """A tick formatter for ``axis.set_major_formatter``; see :class:`NorwegianFormatter`."""
    return NorwegianFormatter(decimals)


def year_tick_formatter() -> Formatter:
    """Years as plain integers: "2014", never "2 014" or "2014,0"."""
    return FuncFormatter(lambda x, pos=None: f"{round(x):d}")


# --- Units ------------------------------------------------------------------------------------


# Units whose values cannot be negative; for these a zero baseline is the honest default.
# (Net expenditure per inhabitant can be negative: rent income may exceed costs.)
NON_NEGATIVE_UNITS = frozenset(UNIT_LABELS_NB) - {"nok_per_inhabitant"}


def unit_label_nb(unit: str | None) -> str:
    """The Norwegian axis label of a unit code.

    An unknown code is shown as it is rather than guessed at, so a new unit is visible on the
    chart and easy to add here, instead of silently mislabelled.
    """
    if not unit:
        return ""
    return UNIT_LABELS_NB.get(unit, unit)


# --- Footer -----------------------------------------------------------------------------------

DATA_ORIGIN_LABELS_NB: dict[str, str] = {
    "ssb": "Statistisk sentralbyrå",
    "file": "Fagdata (fil)",
    "synthetic": "Syntetiske demodata – ikke offisielle tall",
}
FOOTER_SEPARATOR = " · "
FOOTER_FONT_SIZE = 7.5
FOOTER_GID = "footer"


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


def _wrap_parts(text: str, max_chars: int) -> str:
    """Break a footer between its " · " parts, never inside one, so phrases stay whole."""
    lines: list[str] = []
    for part in text.split(FOOTER_SEPARATOR):
        if lines and len(lines[-1]) + len(FOOTER_SEPARATOR) + len(part) <= max_chars:
            lines[-1] += FOOTER_SEPARATOR + part
        else:
            lines.append(part)
    return "\n".join(lines)


def add_footer(
    fig: Figure,
    source: str,
    data_origin: str | Iterable[str],
    release: str,
    *,
    x_in: float = 0.15,
    y_in: float = 0.12,
) -> Text:
    """Write the source/data-origin/release footer at the bottom left of ``fig`` and return it.

    ``x_in``/``y_in`` are the distances from the left and bottom edge in inches, so the footer
    sits the same on any figure size. Synthetic data always carry "Syntetiske demodata".
    """
    width_in, height_in = fig.get_size_inches()
    # DejaVu Sans averages about 0.6 em per character; keep a margin on the right.
    max_chars = int((width_in - 2 * x_in) * 72 / (FOOTER_FONT_SIZE * 0.6))
    text = _wrap_parts(footer_text(source, data_origin, release), max_chars)
    return fig.text(
        x_in / width_in,
        y_in / height_in,
        text,
        ha="left",
        va="bottom",
        fontsize=FOOTER_FONT_SIZE,
        color=COLORS["muted"],
        linespacing=1.35,
        gid=FOOTER_GID,
    )
