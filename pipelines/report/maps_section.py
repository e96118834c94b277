"""The report's «Kart» section: one map per main goal of each strategy, with its numbers.

The maps are the ones the map step drew from the published release (``maps/index.json``, see
:mod:`pipelines.maps.files`); each is embedded as a PNG data URI like the charts, with the text
alternative the map step wrote (it names the highest and lowest county) and, in a closed
``<details>``, the county values behind it. A goal whose indicators all have their map earlier in
the section points to it instead of embedding the same picture twice. No matplotlib here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Goal, Strategy
from pipelines.formatting import unit_label_nb
from pipelines.maps.files import MapEntry

GOAL_KINDS = ("goal",)  # the strategies' main goals; priority areas and result targets are under them
SUMMARY_NB = "Tallene bak kartet"
STATUS_NOTES_NB = "«:» skjult (personvern), «..» mangler, «.» ikke aktuelt."


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def goal_indicators(catalogue: Catalogue, strategy: Strategy, goal: Goal) -> list[str]:
    """The indicators serving ``goal`` or one of its priority areas, in catalogue order."""
    ids = {goal.id} | {g.id for g in strategy.goals if g.parent == goal.id}
    return [
        i.id
        for i in catalogue.indicators.values()
        if any(ref.strategy == strategy.id and ref.goal in ids for ref in i.serves)
    ]


def choose_maps(
    catalogue: Catalogue, entries: Sequence[MapEntry], preferred: Sequence[str] = ()
) -> list[tuple[Strategy, Goal, MapEntry | None, bool, list[MapEntry]]]:
    """Per main goal: (strategy, goal, its map, whether the map is new here, the goal's other maps).

    The map is the first indicator of the goal with a map that no earlier goal showed, those with
    municipal values first, then those in ``preferred`` (the report's key indicators); when every
    one was shown already, the first of them (drawn once, referred to).
    """
    by_id = {e.indicator_id: e for e in entries}
    shown: set[str] = set()
    chosen = []
    for strategy in catalogue.strategies.values():
        for goal in strategy.goals:
            if goal.kind not in GOAL_KINDS:
                continue
            maps = [by_id[i] for i in goal_indicators(catalogue, strategy, goal) if i in by_id]
            ranked = sorted(maps, key=lambda e: ("kommune" not in e.levels, e.indicator_id not in preferred))
            fresh = [e for e in ranked if e.indicator_id not in shown]
            pick = fresh[0] if fresh else (ranked[0] if ranked else None)
            if pick is not None:
                shown.add(pick.indicator_id)
            others = [e for e in maps if e is not pick]
            chosen.append((strategy, goal, pick, bool(fresh), others))
    return chosen


def county_table_html(entry: MapEntry) -> str:
    """The county values behind a map, in the report's data-table region and behind a toggle that
    opens in print, like each chart's numbers (``details.figure-data``)."""
    from pipelines.report.html import data_table

    unit = unit_label_nb(entry.unit)
    rows = [
        f'<tr><th scope="row">{_e(c["name"])}</th><td class="num">{_e(c["value"])}</td></tr>'
        for c in entry.counties
    ]
    headers = ['<th scope="col">Fylke</th>', f'<th scope="col" class="num">{_e(unit.capitalize())}</th>']
    caption = f"{entry.name_nb}, {entry.target_group_nb.lower()}, {entry.year}, per fylke"
    return (
        f'<details class="figure-data"><summary>{_e(SUMMARY_NB)}</summary>\n'
        f"{data_table(caption, headers, rows, cls='map-data')}"
        f'<p class="table-note">{_e(STATUS_NOTES_NB)}</p></details>'
    )


def maps_section_body(
    catalogue: Catalogue,
    entries: Sequence[MapEntry],
    base_dir: Path,
    png_data,
    preferred: Sequence[str] = (),
) -> str:
    """The section's HTML (without its heading); ``png_data(path)`` gives (data URI, width, height)
    — the report's own embedding rule. Empty when there are no maps."""
    if not entries:
        return ""
    parts = [
        "<p>"
        + _e(
            "Kommuner og fylker i siste år med tall, for indikatorens hovedmålgruppe: ett kart per "
            "hovedmål i strategiene. Skraverte kommuner er skjult av personvernhensyn, grå mangler tall. "
            "Alle kartene finnes i indikatorhåndboken og i mappen maps/."
        )
        + "</p>"
    ]
    number = 0
    current = None
    for strategy, goal, entry, fresh, others in choose_maps(catalogue, entries, preferred):
        if strategy.id != current:
            parts.append(f"<h3>{_e(strategy.name_nb)}</h3>")
            current = strategy.id
        parts.append(f"<h4>{_e(f'Hovedmål {goal.id}: {goal.name_nb}')}</h4>")
        if entry is None:
            parts.append(f"<p>{_e('Ingen av målets indikatorer har tall per kommune eller fylke.')}</p>")
            continue
        anchor = f"kart-{entry.indicator_id}"
        if fresh:
            number += 1
            uri, width, height = png_data(entry.path(base_dir))
            caption = f"Kart {number}. {entry.name_nb}, {entry.year} ({entry.target_group_nb.lower()})."
            parts.append(
                f'<figure id="{_e(anchor)}" class="map">'
                f'<img src="{uri}" alt="{_e(entry.alt_nb)}" width="{width}" height="{height}" '
                'loading="eager">'
                f"<figcaption>{_e(caption)}</figcaption></figure>"
            )
            parts.append(county_table_html(entry))
        else:
            parts.append(f'<p>Se kartet over <a href="#{_e(anchor)}">{_e(entry.name_nb)}</a> ovenfor.</p>')
        if others:
            names = ", ".join(e.name_nb for e in others)
            parts.append(f'<p class="note">{_e(f"Flere kart for målet (i håndboken): {names}.")}</p>')
    return "\n".join(parts)
