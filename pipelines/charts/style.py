"""The house style of every chart: figure settings, tick formats, footer, strategies and targets.

Everything a chart needs to look like the others lives here, so a change of style is one edit.
The colours come from :mod:`pipelines.palette` and every number and label from
:mod:`pipelines.formatting`, which the text-only outputs (report, handbook) share.

Nothing in this module changes global matplotlib state when imported: the settings are applied
with :func:`house_style` (a ``rc_context``) while a figure is built, and :func:`new_figure` puts
the figure on an explicit Agg canvas. That keeps the module safe in Dagster workers, notebooks and
tests alike, whatever backend the host process has chosen, and without ``matplotlib.pyplot``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter

from pipelines.catalogue.labels import UNIT_LABELS_NB
from pipelines.formatting import (
    FOOTER_SEPARATOR,
    footer_text,
    format_number_nb,
    relative_change_nb,
    short_strategy_name,
    target_label_nb,
    wrap_footer,
)
from pipelines.palette import COLORS, OKABE_ITO, tint
from pipelines.progress.targets import series_target

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
    FigureCanvasAgg(fig)  # attaches itself as fig.canvas
    return fig


# --- Ticks ---------------------------------------------------------------------------------------


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


# --- Value axes ------------------------------------------------------------------------------

# Units whose values cannot be negative; for these a zero baseline is the honest default.
# (Net expenditure per inhabitant can be negative: rent income may exceed costs.)
NON_NEGATIVE_UNITS = frozenset(UNIT_LABELS_NB) - {"nok_per_inhabitant"}


# --- Footer -----------------------------------------------------------------------------------

FOOTER_FONT_SIZE = 7.5
FOOTER_GID = "footer"


def footer_max_chars(width_in: float, x_in: float) -> int:
    """How many footer characters fit on a line of a figure ``width_in`` wide, ``x_in`` margins."""
    # DejaVu Sans averages about 0.6 em per character; keep a margin on the right.
    return int((width_in - 2 * x_in) * 72 / (FOOTER_FONT_SIZE * 0.6))


def add_footer(
    fig: Figure,
    source: str,
    data_origin: str | Iterable[str],
    release: str,
    *,
    x_in: float = 0.15,
    y_in: float = 0.12,
    credits: Iterable[str] = (),
) -> Text:
    """Write the source/data-origin/release footer at the bottom left of ``fig`` and return it.

    ``x_in``/``y_in`` are the distances from the left and bottom edge in inches, so the footer
    sits the same on any figure size. Synthetic data always carry "Syntetiske demodata".
    ``credits`` are further parts after the release, e.g. a map's «Kart: © Kartverket (CC BY 4.0)».
    """
    width_in, height_in = fig.get_size_inches()
    line = FOOTER_SEPARATOR.join([footer_text(source, data_origin, release), *credits])
    text = wrap_footer(line, footer_max_chars(width_in, x_in))
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


# --- Gaps ---------------------------------------------------------------------------------------

# The one sentence every chart uses when a series has holes: suppressed, missing and
# not-applicable values are left out, never drawn as zero and never bridged.
GAP_NOTE = "Manglende eller skjulte verdier vises som brudd i linjen."
GAP_NOTE_DOTS = "Kommuner uten publisert verdi (skjult eller manglende) er utelatt, ikke vist som null."


def gap_note(*series: Iterable[float], dots: bool = False) -> str:
    """The standard gap note when any of ``series`` has a NaN, otherwise ``""``.

    ``dots=True`` gives the wording for dot charts, where a missing value is a missing dot.
    """
    for values in series:
        if any(_is_missing(v) for v in values):
            return GAP_NOTE_DOTS if dots else GAP_NOTE
    return ""


def _is_missing(value) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True  # None, pd.NA and anything else that is not a number


# --- Strategy periods ---------------------------------------------------------------------------

STRATEGY_GID = "strategy_period"
STRATEGY_LABEL_GID = "strategy_label"
# Very light, opaque shades (alternating) so bands and lines drawn on top keep their colours.
STRATEGY_SHADES = (tint(OKABE_ITO["black"], 0.04), tint(OKABE_ITO["black"], 0.085))
STRATEGY_LABEL_FONT_SIZE = 7.5


@dataclass(frozen=True)
class StrategyPeriod:
    """A national strategy's years, as a chart shades them."""

    id: str
    name_nb: str  # short Norwegian name, e.g. "Bolig for velferd"
    first_year: int
    last_year: int
    baseline_year: int

    @property
    def label_nb(self) -> str:
        """ "Bolig for velferd 2014–2020"."""
        return f"{self.name_nb} {self.first_year}–{self.last_year}"


def strategy_periods(catalogue) -> list[StrategyPeriod]:
    """The catalogue's strategies as :class:`StrategyPeriod`, oldest first."""
    periods = [
        StrategyPeriod(
            id=s.id,
            name_nb=short_strategy_name(s.name_nb),
            first_year=int(s.first_year),
            last_year=int(s.last_year),
            baseline_year=int(s.baseline_year),
        )
        for s in catalogue.strategies.values()
    ]
    return sorted(periods, key=lambda p: (p.first_year, p.id))


def shade_strategy_periods(ax, periods: Iterable[StrategyPeriod], *, labels: bool = True) -> list:
    """Shade each strategy's years behind the data of ``ax`` and name it above the plot.

    Call it after the x limits are set: labels are centred on the visible part of each period,
    and periods outside the x range are left out. Spans carry ``STRATEGY_GID``, labels
    ``STRATEGY_LABEL_GID``. Returns the artists drawn.
    """
    x_lo, x_hi = sorted(ax.get_xlim())
    artists = []
    for i, period in enumerate(periods):
        lo, hi = max(period.first_year - 0.5, x_lo), min(period.last_year + 0.5, x_hi)
        if hi <= lo:
            continue
        span = ax.axvspan(
            lo,
            hi,
            color=STRATEGY_SHADES[i % len(STRATEGY_SHADES)],
            linewidth=0,
            zorder=0,
            label=period.label_nb,
            gid=STRATEGY_GID,
        )
        artists.append(span)
        if labels:
            text = ax.text(
                (lo + hi) / 2,
                1.0,
                period.label_nb,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=STRATEGY_LABEL_FONT_SIZE,
                color=COLORS["muted"],
                gid=STRATEGY_LABEL_GID,
                clip_on=False,
            )
            artists.append(text)
    return artists


# --- Targets ------------------------------------------------------------------------------------

TARGET_GID = "target"
TARGET_LABEL_GID = "target_label"
TARGET_COLOR = OKABE_ITO["vermillion"]


@dataclass(frozen=True)
class TargetSpec:
    """A catalogue target in plain values, with the years of its strategy (picklable, no catalogue)."""

    indicator: str
    target_group: str
    strategy: str
    kind: str  # "official" | "analytical"
    value: float | None  # absolute target
    change: float | None  # relative change from the baseline (-0.5 = halve it)
    target_year: int
    baseline_year: int
    first_year: int
    last_year: int


@dataclass(frozen=True)
class TargetMark:
    """A target resolved to a number: drawn from ``start_year`` to a point at ``year``."""

    year: int
    value: float
    start_year: int
    label_nb: str
    kind: str
    strategy: str
    target_group: str


def indicator_targets(catalogue, indicator_id: str, target_group: str | None = None) -> list[TargetSpec]:
    """The catalogue's targets for one indicator (and one target group, if given)."""
    strategies = catalogue.strategies
    specs = []
    for t in catalogue.targets:
        if t.indicator != indicator_id or (target_group is not None and t.target_group != target_group):
            continue
        s = strategies[t.strategy]
        specs.append(
            TargetSpec(
                indicator=t.indicator,
                target_group=t.target_group,
                strategy=t.strategy,
                kind=t.kind,
                value=None if t.value is None else float(t.value),
                change=None if t.change is None else float(t.change),
                target_year=int(t.target_year),
                baseline_year=int(s.baseline_year),
                first_year=int(s.first_year),
                last_year=int(s.last_year),
            )
        )
    return sorted(specs, key=lambda spec: (spec.target_year, spec.strategy))


def resolve_targets(
    targets: Iterable[TargetSpec],
    target_group: str,
    national: Mapping[int, float],
    decimals: int = 0,
) -> tuple[list[TargetMark], list[str]]:
    """Turn the targets of ``target_group`` into numbers on the chart's scale.

    ``national`` is the series drawn (year → shown value). The number is the one goal attainment
    judges progress against (:func:`pipelines.progress.targets.series_target`): an absolute
    target's value, or a relative target applied to the series' baseline. Returns the marks and
    notes on targets that could not be drawn (no baseline value); a target is never drawn against
    an invented baseline.
    """
    marks: list[TargetMark] = []
    notes: list[str] = []
    for t in targets:
        if t.target_group != target_group or (t.value is None and t.change is None):
            continue
        resolved = series_target(t.value, t.change, national, t.baseline_year, t.last_year)
        if resolved is None:
            notes.append(f"Målet for {t.target_year} kan ikke vises: ingen landsverdi i basisåret.")
            continue
        value, base_year = resolved
        detail = "" if base_year is None else f"{relative_change_nb(t.change)} fra {base_year}"
        marks.append(
            TargetMark(
                t.target_year,
                value,
                t.first_year,
                target_label_nb(t.target_year, value, t.kind, decimals, detail),
                t.kind,
                t.strategy,
                t.target_group,
            )
        )
    return marks, notes


def draw_targets(ax, marks: Iterable[TargetMark], color: str = TARGET_COLOR, *, labels: bool = True) -> list:
    """Draw each target as a dashed level across its strategy years ending in a diamond.

    Lines carry ``TARGET_GID`` and the target's label (for legends); the labels written next to
    the diamonds carry ``TARGET_LABEL_GID``. Returns the lines.
    """
    lines = []
    for mark in marks:
        start = min(mark.start_year, mark.year) - 0.5
        (line,) = ax.plot(
            [start, mark.year],
            [mark.value, mark.value],
            color=color,
            linestyle=(0, (4, 2.5)),
            linewidth=1.4,
            marker="D",
            markersize=5.5,
            markevery=[1],
            markeredgecolor="white",
            markeredgewidth=0.6,
            label=mark.label_nb,
            zorder=4,
            gid=TARGET_GID,
            # A target of zero sits on the axis line; unclipped, it is drawn whole.
            clip_on=False,
        )
        lines.append(line)
        if labels:
            ax.annotate(
                mark.label_nb,
                (mark.year, mark.value),
                xytext=(-6, 4),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=7.5,
                color=color,
                gid=TARGET_LABEL_GID,
                annotation_clip=False,
                bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
                zorder=5,
            )
    return lines
