"""The words and numbers of a profile page, shared by the drawn page (PNG, PDF) and the HTML page.

Plain text only — no matplotlib, no Jinja2 — so both renderings print the same headers, notes,
arrows, changes and statuses from one place, with the Norwegian number rules of
:mod:`pipelines.formatting`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines import formatting, palette
from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import DIRECTION_LABELS_NB, STATUS_WORDS_NB
from pipelines.catalogue.models import Strategy
from pipelines.exports.origin import origin_counts
from pipelines.profiles import data as pdata
from pipelines.profiles.spec import ProfileSpec

HEADERS = {
    "label": "Indikator",
    "value": "Kommunen",
    "trend": "Endring¹",
    "county": "Fylket",
    "nation": "Landet",
    "spine": "Kommunene i landet²",
    "status": "Framgang mot mål³",
}
LEGEND_MUNICIPALITY = "Kommunen"
LEGEND_COUNTY = "Fylket"
LEGEND_NATION = "Landet"
LEGEND_RANGE = "Alle kommuner, laveste–høyeste"
LEGEND_IQR = "Midtre halvdel av kommunene"
TREND_ARROWS = {pdata.TREND_UP: "↑", pdata.TREND_DOWN: "↓", pdata.TREND_FLAT: "→"}
# What an arrow and its colour say, in words (the HTML page says it; colour is never alone).
TREND_WORDS_NB = {pdata.TREND_UP: "økning", pdata.TREND_DOWN: "nedgang", pdata.TREND_FLAT: "uendret"}
ASSESSMENT_WORDS_NB = {
    pdata.GOOD: "i ønsket retning",
    pdata.BAD: "i feil retning",
    pdata.NEUTRAL: "uten vurdering",
}
TREND_NOTE = (
    "¹ Endring fra kommunens forrige år med verdi. Grønn pil: utvikling i ønsket retning, rød: i feil "
    "retning, grå: uendret (endringen avrundes til null) eller kontekstindikator uten retning."
)
SPINE_NOTE = (
    "² Feltet viser spredningen mellom kommunene samme år (lys: laveste–høyeste, mørk: midtre halvdel). "
    "For indikatorer med retning er bedre verdi alltid til høyre."
)
SYMBOL_NOTES_NB = {
    "suppressed": "«:» skjult av personvernhensyn (for få tilfeller)",
    "missing": "«..» mangler",
    "not_applicable": "«.» ikke aktuelt",
}
# What a symbol means when read aloud (a screen reader says «kolon» for «:»).
SYMBOL_WORDS_NB = STATUS_WORDS_NB
SYMBOL_NOTE_PREFIX = "Tegnforklaring: "
DOCUMENT_TITLE = "Boligsosiale kommuneprofiler"

# Colours of the page's marks (plain hex, no matplotlib), the same on the drawn and the HTML page.
# Colour is never alone: every arrow and status is said in words beside it.
TREND_COLORS = {
    pdata.GOOD: palette.OKABE_ITO["bluish_green"],
    pdata.BAD: palette.OKABE_ITO["vermillion"],
    pdata.NEUTRAL: palette.COLORS["muted"],
}
STATUS_COLORS = {
    "target_achieved": palette.OKABE_ITO["bluish_green"],
    "substantial_progress": palette.OKABE_ITO["bluish_green"],
    "moderate_progress": palette.OKABE_ITO["sky_blue"],
    "limited_progress": palette.OKABE_ITO["orange"],
    "deterioration": palette.OKABE_ITO["vermillion"],
}
NO_STATUS_COLOR = "#BBBBBB"
MUNICIPALITY_COLOR = palette.OKABE_ITO["orange"]
COUNTY_COLOR = palette.COLORS["text"]
NATION_COLOR = palette.COLORS["national"]


def change_text(change: float, decimals: int, prev_year: int | None, year: int) -> str:
    """«+1,2» / «−0,4» / «0,0», with «fra <år>» when the previous value is older than last year."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return ""
    text = formatting.format_signed_nb(change, int(decimals))
    if prev_year is not None and not pd.isna(prev_year) and int(prev_year) < year - 1:
        text += f"\nfra {int(prev_year)}"
    return text


STATUS_WRAP = 21


def status_label(status_nb: str, strategy: str | None, main_strategy: str | None, names: Mapping) -> str:
    """The progress status, with the strategy in parentheses when it is not the main one."""
    text = str(status_nb)
    if strategy and main_strategy and strategy != main_strategy:
        text += f" ({str(names.get(strategy, strategy)).split(' (')[0]})"
    return text


def status_text(status_nb: str, strategy: str | None, main_strategy: str | None, names: Mapping) -> str:
    """:func:`status_label` wrapped for the drawn page's narrow column."""
    text = status_label(status_nb, strategy, main_strategy, names)
    return "\n".join(textwrap.wrap(text, STATUS_WRAP)) or text


def title_text(name: str, number: str, year: int) -> str:
    return f"{name} ({number}) — boligsosial profil {year}"


def subtitle_text(county_name: str | None, kostra_group_name: str | None) -> str:
    parts = []
    if county_name:
        parts.append(f"Fylke: {county_name}")
    if kostra_group_name:
        parts.append(str(kostra_group_name))
    return formatting.FOOTER_SEPARATOR.join(parts)


def document_title(year: int, county_name: str | None = None) -> str:
    """«Boligsosiale kommuneprofiler 2024 – Vestland» (the county PDF's and index pages' title)."""
    title = f"{DOCUMENT_TITLE} {year}"
    return f"{title} – {county_name}" if county_name else title


def row_details(unit: str, direction: str, row_year: int, page_year: int) -> str:
    """The small line under a row's label: unit, direction and «tall for <år>» for an older year."""
    details = [formatting.unit_label_nb(unit), DIRECTION_LABELS_NB.get(direction, "")]
    if int(row_year) != int(page_year):
        details.append(f"tall for {int(row_year)}")
    return " · ".join(d for d in details if d)


def symbol_note(statuses: Iterable[str]) -> str:
    """«Tegnforklaring: «:» skjult …» for the symbols on the page, or '' when there are none."""
    present = set(statuses)
    symbols = [note for status, note in SYMBOL_NOTES_NB.items() if status in present]
    return SYMBOL_NOTE_PREFIX + ", ".join(symbols) + "." if symbols else ""


@dataclass(frozen=True)
class PageContext:
    """What is the same on every page of one rendering."""

    source_nb: str
    release: str
    strategy_names: Mapping[str, str]  # strategy id → short name with period
    main_strategy: str | None  # the first of the spec's status_strategies


def strategy_label(strategy: Strategy) -> str:
    """«Alle trenger et trygt hjem (2021–2024)»: the name before the first full stop, and the period."""
    return f"{strategy.name_nb.split('.')[0].strip()} ({strategy.first_year}–{strategy.last_year})"


def page_context(catalogue: Catalogue, spec: ProfileSpec, release: str) -> PageContext:
    return PageContext(
        source_nb=spec.source_nb,
        release=str(release),
        strategy_names={sid: strategy_label(s) for sid, s in catalogue.strategies.items()},
        main_strategy=spec.status_strategies[0] if spec.status_strategies else None,
    )


def static_notes(progress_strategies: Iterable, context: PageContext) -> list[str]:
    """The three numbered notes under the table (the same on every page of a rendering)."""
    names = context.strategy_names
    main = context.main_strategy
    status_note = "³ Framgang mot målet"
    if main in names:
        status_note += f" i strategien {names[main]}"
    status_note += " for kommunen og indikatorens målgruppe, målt med vekstratemetoden til Open SDG."
    others = sorted({str(s) for s in progress_strategies if isinstance(s, str)} - {str(main)})
    if others:
        status_note += (
            " Strategi i parentes: vurdert mot " + " / ".join(names.get(s, s) for s in others) + "."
        )
    return [TREND_NOTE, SPINE_NOTE, status_note]


def spine_positions(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """Positions on the spine chart (0 … 1) within each row's scale; better to the right."""
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(span > 0, (values - lo) / span, 0.5)
    return np.where(flip, 1.0 - x, x)


def page_origin_counts(origins: Iterable) -> dict[str, int]:
    """Rows per data origin (:func:`pipelines.exports.origin.origin_counts`); none named counts as
    synthetic, as the drawn page's footer does: a page never credits a real source for figures
    whose origin it cannot name."""
    return origin_counts(origins) or {"synthetic": 1}
