"""«Styringsinformasjon <år>» as one self-contained HTML file: :func:`write_report`.

The page loads nothing: the CSS is inline, the charts are ``data:image/png;base64`` URIs and a
Content-Security-Policy forbids every other load, so the file works offline and from an e-mail
attachment alike. Every text is HTML-escaped and every number goes through
:func:`pipelines.formatting.format_number_nb` (decimal comma, no-break space thousands).

Accessibility and print (checked in Chromium with axe-core by tests/test_report_browser.py): the
page reflows at 320 px, where only data tables scroll, each in a focusable ``div.table-scroll``
region (:func:`data_table`); every chart has its numbers in a table behind a «Tallene bak figuren»
toggle (:func:`figure_data_details`); ``PRINT_CSS`` fits every table to A4 and opens every
``<details>``. Sections built in other modules get all of this by using these two functions.
"""

from __future__ import annotations

import base64
import datetime as dt
import struct
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from string import Template

from pipelines import formatting, palette
from pipelines.atomic import write_text_atomic
from pipelines.catalogue.labels import DIRECTION_LABELS_NB, STATUS_SYMBOLS
from pipelines.formatting import format_number_nb as _n
from pipelines.formatting import format_signed_nb as _signed
from pipelines.progress.method import STATUS_LABELS_NB
from pipelines.report.content import (
    DETERIORATED,
    IMPROVED,
    NEUTRAL,
    UNCHANGED,
    Change,
    ChartData,
    CountyRow,
    ReportContent,
    Rollup,
    SeriesAttainment,
    StrategySection,
    change_decimals,
)

REPORTS_DIR = Path("reports")
TITLE = "Styringsinformasjon"
BANNER_TEXT = "Syntetiske demodata – ikke offisiell statistikk"
SSB_CREDIT = "Kilde: Statistisk sentralbyrå (SSB)"
LICENSE_NAME = "Creative Commons Navngivelse 4.0 Internasjonal (CC BY 4.0)"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/deed.no"
FOOTER_SOURCE = "Statistisk sentralbyrå (SSB) m.fl., se «Om dataene»"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Nothing may load: only inline styles and data: images. Links still navigate when clicked.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

NO_VALUE = formatting.MISSING_MARK  # "–": no value to show or judge
SCORE_SCALE = 5  # roll-up scores run from −5 to 5 (Open SDG)
GOAL_KIND_NB = {"goal": "Hovedmål", "priority_area": "Innsatsområde", "result_target": "Resultatmål"}
STATUS_HEADERS_NB = {
    "target_achieved": "Nådd",
    "substantial_progress": "God",
    "moderate_progress": "Moderat",
    "limited_progress": "Begrenset",
    "deterioration": "Tilbakegang",
    "insufficient_data": "For lite data",
    "not_assessed": "Ikke vurdert",
}
CELL_STATUS_NB = {
    "suppressed": "skjult for å beskytte små tall",
    "missing": "mangler",
    "not_applicable": "ikke aktuelt",
}
MONTHS_NB = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip

# Okabe–Ito tints behind dark text: readable (contrast > 7:1) and still told apart by the label.
STATUS_COLORS = {
    "target_achieved": palette.tint(palette.OKABE_ITO["bluish_green"], 0.45),
    "substantial_progress": palette.tint(palette.OKABE_ITO["bluish_green"], 0.22),
    "moderate_progress": palette.tint(palette.OKABE_ITO["sky_blue"], 0.25),
    "limited_progress": palette.tint(palette.OKABE_ITO["yellow"], 0.35),
    "deterioration": palette.tint(palette.OKABE_ITO["vermillion"], 0.3),
    "insufficient_data": "#EEEEEE",
    "not_assessed": "#F6F6F6",
}


# --- Public API --------------------------------------------------------------------------------


def report_path(base_dir: Path, year: int) -> Path:
    """Where the report of ``year`` is written: ``base_dir/reports/styringsinformasjon_<year>.html``."""
    return Path(base_dir) / REPORTS_DIR / f"styringsinformasjon_{int(year)}.html"


def write_report(
    content: ReportContent,
    chart_paths: Mapping[str, Path],
    base_dir: Path,
    release: str,
    maps: str = "",
    bodies: Mapping[str, str] | None = None,
) -> Path:
    """Write the report as one self-contained UTF-8 HTML file and return its path.

    ``chart_paths`` maps indicator ids to PNG files (in the order they should appear); each is
    embedded as a data URI, so the HTML does not depend on them afterwards. The file is written
    to a temporary name and renamed, so a reader never sees half a report.
    """
    target = report_path(base_dir, content.year)
    text = render_html(content, chart_paths, release, maps, bodies)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, text)
    return target


def render_html(
    content: ReportContent,
    chart_paths: Mapping[str, Path],
    release: str,
    maps: str = "",
    bodies: Mapping[str, str] | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`); ``maps`` is the body of the «Kart»
    section (:mod:`pipelines.report.maps_section`); ``bodies`` those of the sections built
    elsewhere, by section key (``evaluering`` and ``prioriteringer`` from
    :mod:`pipelines.report.findings_section`, ``regioner``): a section without a body is left out,
    and so is its line in the contents."""
    bodies = {key: body for key, body in (bodies or {}).items() if body}
    charts = [(indicator_id, png_data_uri(Path(path))) for indicator_id, path in chart_paths.items()]
    year = str(content.year)
    release_text = _release_nb(release)
    built = {
        "sammendrag": _summary_section(content),
        "maloppnaelse": _attainment_section(content),
        "fylker": _county_section(content),
        "endringer": _changes_section(content),
        "utvikling": _charts_section(content, charts),
        "kart": _section("kart", maps or _p("Ingen kart i denne utgaven.")),
        "om-dataene": _about_section(content, release, release_text),
        **{key: _section(key, bodies[key]) for key in OPTIONAL_SECTIONS if key in bodies},
    }
    sections = [built[key] for key, _ in SECTIONS if key in built]
    # Inside the page header (a landmark), so a screen reader's landmark list reaches it too.
    banner = (
        f'<p class="banner" role="note"><strong>{_e(BANNER_TEXT)}</strong></p>' if content.synthetic else ""
    )
    return PAGE.substitute(
        title=_e(f"{TITLE} {year}"),
        csp=_e(CSP),
        css=CSS,
        print_css=PRINT_CSS,
        banner=banner,
        heading=_e(f"{TITLE} {year}"),
        lede=_e("Boligsosiale indikatorer for landet og fylkene – måloppnåelse og utvikling"),
        published=_e(f"Publisert {release_text}" if release_text else ""),
        toc=_toc(set(bodies)),
        sections="\n".join(sections),
        footer=_e(formatting.footer_text(FOOTER_SOURCE, content.data_origins, release_text)),
    )


# --- Sections ----------------------------------------------------------------------------------

SECTIONS = (
    ("sammendrag", "Sammendrag"),
    ("maloppnaelse", "Måloppnåelse for landet"),
    ("fylker", "Fylkesoversikt"),
    ("endringer", "Hva ble bedre, hva ble verre"),
    ("utvikling", "Utvikling over tid"),
    ("evaluering", "Evalueringens funn mot tallene"),
    ("prioriteringer", "De to prioriterte tiltakene fra 2018"),
    ("kart", "Kart"),
    ("regioner", "Regionale arenaer: statsforvalterne"),
    ("om-dataene", "Om dataene"),
)
# Sections whose bodies come from other modules; left out (with their contents line) when empty.
OPTIONAL_SECTIONS = ("evaluering", "prioriteringer", "regioner")


def _toc(present: set[str] = frozenset()) -> str:
    shown = [(key, label) for key, label in SECTIONS if key not in OPTIONAL_SECTIONS or key in present]
    items = "".join(f'<li><a href="#{key}">{_e(label)}</a></li>' for key, label in shown)
    return f'<nav aria-label="Innhold"><ol>{items}</ol></nav>'


def _section(key: str, body: str) -> str:
    label = dict(SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{_e(label)}</h2>\n{body}\n</section>'


def _summary_section(content: ReportContent) -> str:
    items = "".join(f"<li>{_e(line)}</li>" for line in content.summary)
    return _section("sammendrag", f'<ul class="summary">{items}</ul>')


def _attainment_section(content: ReportContent) -> str:
    intro = _p(
        "Status per mål og per målgruppe for landet. Hver indikatorserie vurderes fra strategiens "
        "utgangsår til siste år med verdi i strategiperioden; samlet status er snittet av seriens "
        f"skårer (på en skala fra {_n(-SCORE_SCALE)} til {_n(SCORE_SCALE)}). "
        "Klikk på et mål for å se seriene."
    )
    parts = [intro, _status_legend()]
    for section in content.strategies:
        parts.append(_strategy_block(section, content.year))
    return _section("maloppnaelse", "\n".join(parts))


def _strategy_block(section: StrategySection, year: int) -> str:
    heading_id = f"strategi-{section.id}"
    period = f"Strategiperiode {section.first_year}–{section.last_year}, utgangsår {section.baseline_year}."
    if section.last_year < year:
        period += f" Strategien er avsluttet; siste vurderte år er {section.last_year}."
    parts = [
        f'<h3 id="{heading_id}">{_e(section.name_nb)}</h3>',
        _p(f"{_e(period)} {_link(section.url, 'Strategidokumentet')}", raw=True),
        f"<h4>{_e('Per mål')}</h4>",
        _rollup_table(section.goals, f"Måloppnåelse per mål, {section.short_name_nb}", "Mål"),
        _rollup_details(section.goals),
        f"<h4>{_e('Per målgruppe')}</h4>",
        _rollup_table(
            section.target_groups, f"Måloppnåelse per målgruppe, {section.short_name_nb}", "Målgruppe"
        ),
        _rollup_details(section.target_groups),
    ]
    return '<div class="strategy">' + "\n".join(parts) + "</div>"


def _rollup_label(rollup: Rollup) -> str:
    if rollup.rollup_by == "goal":
        kind = GOAL_KIND_NB.get(rollup.kind or "", "Mål")
        return f"{kind} {rollup.rollup_id}: {rollup.name_nb}"
    return rollup.name_nb


def _rollup_table(rollups: Iterable[Rollup], caption: str, first_header: str) -> str:
    rollups = list(rollups)
    if not rollups:
        return _p("Ingen vurderinger på landsnivå.")
    headers = [
        f'<th scope="col">{_e(first_header)}</th>',
        '<th scope="col" class="num">Serier</th>',
        '<th scope="col" class="num">Vurdert</th>',
        *(
            f'<th scope="col" class="num" title="{_e(STATUS_LABELS_NB[s])}">{_e(STATUS_HEADERS_NB[s])}</th>'
            for s in STATUS_LABELS_NB
        ),
        '<th scope="col" class="num">Snittskår</th>',
        '<th scope="col">Samlet status</th>',
    ]
    rows = []
    for r in rollups:
        cls = ' class="sub"' if r.parent else ""
        cells = [
            f'<th scope="row"{cls}>{_e(_rollup_label(r))}</th>',
            _num_td(r.n_series),
            _num_td(r.n_assessed),
            *(_num_td(r.counts.get(s, 0), zero_muted=True) for s in STATUS_LABELS_NB),
            _num_td(r.mean_score, 2),
            _status_td(r.status, r.status_nb),
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table(caption, headers, rows, cls="rollup")


def _rollup_details(rollups: Iterable[Rollup]) -> str:
    blocks = []
    for r in rollups:
        if not r.series:
            continue
        label = f"{_rollup_label(r)} – {_n(len(r.series))} {'serie' if len(r.series) == 1 else 'serier'}"
        blocks.append(
            f"<details><summary>{_e(label)}</summary>\n"
            f"{_series_table(r.series, f'Indikatorserier, {_rollup_label(r)}')}</details>"
        )
    return '<div class="details">' + "\n".join(blocks) + "</div>"


def _series_table(series: Iterable[SeriesAttainment], caption: str) -> str:
    headers = [
        '<th scope="col">Indikator</th>',
        '<th scope="col">Målgruppe</th>',
        '<th scope="col" class="num">Utgangsverdi</th>',
        '<th scope="col" class="num">Siste verdi</th>',
        '<th scope="col" class="num">Mål</th>',
        '<th scope="col">Status</th>',
    ]
    rows = []
    for s in series:
        extra = [formatting.unit_label_nb(s.unit), DIRECTION_LABELS_NB.get(s.direction, "")]
        note = f'<br><span class="note">{_e(s.note_nb)}</span>' if s.note_nb else ""
        target = NO_VALUE
        if s.target_value is not None:
            target = _n(s.target_value, s.decimals)
            if s.target_year is not None:
                target += f" i {s.target_year}"
            if s.target_kind == "analytical":
                target += " (analytisk)"
        rows.append(
            "<tr>"
            f'<th scope="row">{_e(s.indicator_name_nb)}<br>'
            f'<span class="unit">{_e(" · ".join(x for x in extra if x))}</span>{note}</th>'
            f"<td>{_e(s.target_group_nb)}</td>"
            f"{_value_year_td(s.baseline_value, s.decimals, s.baseline_year)}"
            f"{_value_year_td(s.current_value, s.decimals, s.current_year)}"
            f'<td class="num">{_e(target)}</td>'
            f"{_status_td(s.status, s.status_nb)}"
            "</tr>"
        )
    return _table(caption, headers, rows, cls="series", caption_hidden=True)


def _county_section(content: ReportContent) -> str:
    parts = [
        _p(
            "Samlet status per hovedmål for hvert fylke (vurdert på samme måte som for landet). "
            "Fylker og mål uten vurdering står med «–»."
        )
    ]
    for section in content.strategies:
        parts.append(f"<h3>{_e(section.name_nb)}</h3>")
        if not section.counties:
            parts.append(_p("Ingen fylkesvurderinger."))
            continue
        headers = ['<th scope="col">Fylke</th>'] + [
            f'<th scope="col" title="{_e(name)}">{_e(goal_id)}</th>' for goal_id, name in section.county_goals
        ]
        rows = [_county_row(c, section.county_goals) for c in section.counties]
        parts.append(_table(f"Fylkesoversikt, {section.short_name_nb}", headers, rows, cls="counties"))
        legend = "".join(
            f"<li><strong>{_e(goal_id)}</strong> {_e(name)}</li>" for goal_id, name in section.county_goals
        )
        parts.append(f'<ul class="goal-legend">{legend}</ul>')
    return _section("fylker", "\n".join(parts))


def _county_row(county: CountyRow, goals: Iterable[tuple[str, str]]) -> str:
    cells = [f'<th scope="row">{_e(county.geo_name)}</th>']
    for goal_id, _ in goals:
        cell = county.cells.get(goal_id)
        if cell is None:
            cells.append(f"<td>{_e(NO_VALUE)}</td>")
        else:
            title = f"{_n(cell.n_assessed)} vurderte serier, snittskår {_n(cell.mean_score, 2)}"
            cells.append(_status_td(cell.status, cell.status_nb, title=title))
    return "<tr>" + "".join(cells) + "</tr>"


def _changes_section(content: ReportContent) -> str:
    year = content.year
    parts = [
        _p(
            f"Landstallene for {year} sammenlignet med forrige år med verdi (for indikatorer som ikke "
            "måles hvert år, forrige måling). Om en endring er bedre eller verre, avgjøres av indikatorens "
            "retning. Endringen er i indikatorens enhet (for andeler i prosentpoeng) og regnet av de "
            "uavrundede tallene."
        )
    ]
    groups = [
        (IMPROVED, "Ble bedre"),
        (DETERIORATED, "Ble verre"),
        (UNCHANGED, "Uendret"),
        (NEUTRAL, "Kontekstindikatorer (uten retning)"),
    ]
    for outcome, label in groups:
        changes = content.changes_by(outcome)
        if outcome == UNCHANGED and not changes:
            continue
        parts.append(f'<h3 class="outcome-{outcome}">{_e(label)} ({_n(len(changes))})</h3>')
        parts.append(_changes_table(changes, f"{label}, {year}", year) if changes else _p("Ingen."))
    if content.no_value:
        parts.append(f"<h3>{_e(f'Uten verdi i {year}')} ({_n(len(content.no_value))})</h3>")
        headers = [
            '<th scope="col">Indikator</th>',
            '<th scope="col">Målgruppe</th>',
            f'<th scope="col">Status i {year}</th>',
            '<th scope="col" class="num">Siste år med verdi</th>',
        ]
        rows = []
        for n in content.no_value:
            symbol = STATUS_SYMBOLS.get(n.status, "")
            label = CELL_STATUS_NB.get(n.status, n.status)
            rows.append(
                f'<tr><th scope="row">{_e(n.indicator_name_nb)}</th><td>{_e(n.target_group_nb)}</td>'
                f'<td><span class="symbol">{_e(symbol)}</span> {_e(label)}</td>'
                f'<td class="num">{_e(str(n.last_year) if n.last_year is not None else NO_VALUE)}</td></tr>'
            )
        parts.append(_table(f"Uten verdi i {year}", headers, rows, cls="changes"))
    return _section("endringer", "\n".join(parts))


def _changes_table(changes: Iterable[Change], caption: str, year: int) -> str:
    headers = [
        '<th scope="col">Indikator</th>',
        '<th scope="col">Målgruppe</th>',
        '<th scope="col" class="num">Forrige verdi</th>',
        f'<th scope="col" class="num">Verdi {year}</th>',
        '<th scope="col" class="num">Endring</th>',
        '<th scope="col" class="num">Endring i prosent</th>',
    ]
    rows = []
    for c in changes:
        extra = [formatting.unit_label_nb(c.unit), DIRECTION_LABELS_NB.get(c.direction, "")]
        relative = NO_VALUE
        if c.relative_change is not None:
            relative = _signed(100 * c.relative_change, 1) + formatting.PERCENT
        coverage = f'<br><span class="coverage">{_e(c.coverage_nb)}</span>' if c.coverage_nb else ""
        rows.append(
            f'<tr class="{_e(c.outcome)}">'
            f'<th scope="row">{_e(c.indicator_name_nb)}<br>'
            f'<span class="unit">{_e(" · ".join(x for x in extra if x))}</span>{coverage}</th>'
            f"<td>{_e(c.target_group_nb)}</td>"
            f"{_value_year_td(c.previous_value, c.decimals, c.previous_year)}"
            f'<td class="num">{_e(_n(c.value, c.decimals))}</td>'
            f'<td class="num">{_e(_signed(c.change, change_decimals(c.change, c.decimals)))}</td>'
            f'<td class="num">{_e(relative)}</td>'
            "</tr>"
        )
    return _table(caption, headers, rows, cls="changes", caption_hidden=True)


def _charts_section(content: ReportContent, charts: list[tuple[str, tuple[str, int, int]]]) -> str:
    if not charts:
        return _section("utvikling", _p("Ingen figurer i denne utgaven."))
    figures = []
    for number, (indicator_id, (uri, width, height)) in enumerate(charts, start=1):
        name = content.indicator_names.get(indicator_id, indicator_id)
        alt = f"Linjediagram: {name}, landet og spredningen mellom fylkene over tid"
        figure = (
            f'<figure id="figur-{_e(indicator_id)}" class="chart">'
            f'<img src="{uri}" alt="{_e(alt)}" width="{width}" height="{height}" loading="eager">'
            f"<figcaption>{_e(f'Figur {number}. {name}')}</figcaption></figure>"
        )
        data = content.chart_data.get(indicator_id)
        table = _figure_data(data, number) if data is not None else ""
        figures.append(f'<div class="figure-block">{figure}{table}</div>')
    intro = _p(
        "Sentrale indikatorer over tid: landet som linje og spredningen mellom fylkene som bånd. "
        "Manglende eller skjulte verdier vises som brudd i linjen, aldri som null. Under hver figur "
        "står tallene den viser."
    )
    return _section("utvikling", intro + '\n<div class="figures">' + "\n".join(figures) + "</div>")


FIGURE_DATA_SUMMARY = "Tallene bak figuren"


def figure_data_details(number: int | str, table_html: str, note: str = "") -> str:
    """A figure's data table behind a «Tallene bak figuren» toggle (``details.figure-data``).

    Closed on screen, open in print (see ``PRINT_CSS``); the table is in the document either way,
    so a screen reader and a text search find it. ``note`` is a line under the table. ``number``
    names the figure to a screen reader: «figur 3», or a label such as «funn 2» as given.
    """
    label = f"figur {number}" if isinstance(number, int) else number
    note_html = _p(note, cls="table-note") if note else ""
    return (
        f'<details class="figure-data"><summary>{_e(FIGURE_DATA_SUMMARY)}'
        f'<span class="visually-hidden"> {_e(f"({label})")}</span></summary>\n'
        f"{table_html}{note_html}</details>"
    )


def _figure_data(data: ChartData, number: int) -> str:
    """The chart's numbers per year: the nation (or why not: «:», «..», «.») and the county bands."""
    headers = ['<th scope="col">År</th>']
    if data.has_national:
        headers.append('<th scope="col" class="num">Landet</th>')
    if data.has_range:
        headers += [
            '<th scope="col" class="num">Fylker, lavest</th>',
            '<th scope="col" class="num">Fylker, høyest</th>',
        ]
    if data.has_iqr:
        headers += [
            '<th scope="col" class="num">Midtre halvdel av fylkene, fra</th>',
            '<th scope="col" class="num">Midtre halvdel av fylkene, til</th>',
        ]
    rows = []
    for row in data.rows:
        cells = [f'<th scope="row">{row.year}</th>']
        if data.has_national:
            shown = formatting.display_value(row.national, row.national_status, data.decimals)
            cells.append(f'<td class="num">{_e(shown)}</td>')
        bands = []
        if data.has_range:
            bands += [row.county_min, row.county_max]
        if data.has_iqr:
            bands += [row.county_q1, row.county_q3]
        cells += [_num_td(v, data.decimals) for v in bands]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    unit = formatting.unit_label_nb(data.unit)
    caption = f"Tallene bak figur {number}. {data.name_nb}"
    if data.target_group_nb:
        caption += f", målgruppe: {data.target_group_nb}"
    if unit:
        caption += f" ({unit})"
    notes = []
    gaps = [(r.county_min, r.county_max) for r in data.rows] if data.has_range else []
    gaps += [(r.county_q1, r.county_q3) for r in data.rows] if data.has_iqr else []
    if any(None in pair for pair in gaps):
        notes.append(f"{NO_VALUE} i fylkeskolonnene: for få fylkesverdier det året til å vise spredningen.")
    if data.has_iqr:
        notes.append("Midtre halvdel er fylkene mellom 25- og 75-prosentilen.")
    note = " ".join(notes)
    return figure_data_details(number, _table(caption, headers, rows, cls="figure-data-table"), note)


def _about_section(content: ReportContent, release: str, release_text: str) -> str:
    year = content.year
    counts = content.cell_status_counts
    total = sum(counts.values())
    symbols = "".join(
        f'<dt class="symbol">{_e(STATUS_SYMBOLS[status])}</dt><dd>{_e(text)}</dd>'
        for status, text in (
            ("suppressed", "Skjult for å beskytte små tall (personvern): tallet kunne røpe opplysninger "
             "om enkeltpersoner."),
            ("missing", "Tallet mangler: det er ikke rapportert eller ikke tilgjengelig."),
            ("not_applicable", "Ikke aktuelt: tallet kan ikke finnes på dette nivået eller i dette året "
             "(for eksempel i år uten kartlegging)."),
        )
    )  # fmt: skip
    symbols += f"<dt>{_e(NO_VALUE)}</dt><dd>{_e('Ingen verdi å vise eller vurdere.')}</dd>"
    parts = [
        "<h3>Tegnforklaring</h3>",
        f'<dl class="symbols">{symbols}</dl>',
        _p(
            f"I {year} er {_n(counts.get('shown', 0))} av {_n(total)} publiserte verdier vist; "
            f"{_n(counts.get('suppressed', 0))} er skjult (:), {_n(counts.get('missing', 0))} mangler (..) "
            f"og {_n(counts.get('not_applicable', 0))} er ikke aktuelle (.). Bare den publiserte, "
            "personvernbehandlede versjonen av tallene er brukt."
        ),
    ]
    if content.preliminary:
        parts.append(_p(f"Foreløpige tall i {year}: {', '.join(content.preliminary)}."))
    if content.stale:
        parts.append(
            _p(
                "Tall som ikke er oppdatert (siste tilgjengelige versjon er brukt): "
                f"{', '.join(content.stale)}."
            )
        )
    if content.synthetic:
        parts.append(
            _p(
                "Syntetiske demodata: tallene i denne utgaven er laget av prosjektets demogenerator for å "
                "vise hvordan rapporten ser ut. De er ikke offisiell statistikk og skal ikke brukes som det. "
                "Kildene nedenfor beskriver hvor de ekte tallene publiseres og hvordan indikatorene er "
                "definert.",
                cls="synthetic-note",
            )
        )
    parts += _survey_notes_html(content)
    parts.append("<h3>Metode</h3>")
    parts.append(
        _p(
            "Måloppnåelse vurderes med metoden Statistics Canada og Open SDG bruker: den årlige "
            "vekstraten siden utgangsåret sammenlignes med veksten som trengs for å nå målet innen "
            "målåret. Uten tallfestet mål vurderes retning og tempo alene. Kontekstindikatorer uten "
            "ønsket retning vurderes ikke."
        )
    )
    sources = "".join(
        f"<li><strong>{_e(s.name_nb)}</strong><br>{_e(s.producer_nb)}. {_link(s.url, s.url)}</li>"
        for s in content.sources
    )
    parts += [
        "<h3>Kilder</h3>",
        f'<p class="credit"><strong>{_e(SSB_CREDIT)}</strong> og kildene nedenfor. Tall fra SSB er '
        f"publisert under lisensen {_link(LICENSE_URL, LICENSE_NAME)}.</p>",
        f'<ul class="sources">{sources}</ul>',
        "<h3>Publisering</h3>",
        _p(_publication_nb(release, release_text, year)),
    ]
    return _section("om-dataene", "\n".join(parts))


def _survey_notes_html(content: ReportContent) -> list[str]:
    """Kartlegginger: what a survey's figures are; for a voluntary one, who took part each year."""
    if not content.surveys:
        return []
    parts = ["<h3>Kartlegginger</h3>"]
    for survey in content.surveys:
        parts.append(_p(f"{survey.name_nb}: {survey.about_nb}"))
        if survey.participants:
            rows = [
                f'<tr><th scope="row">{year}</th><td class="num">{_e(_n(n))}</td>'
                f'<td class="num">{_e(_n(total))}</td></tr>'
                for year, n, total in survey.participants
            ]
            headers = [
                '<th scope="col">År</th>',
                '<th scope="col" class="num">Kommuner som deltok</th>',
                '<th scope="col" class="num">Kommuner i alt</th>',
            ]
            parts.append(_table(f"Deltakelse i {survey.name_nb}", headers, rows, cls="participation"))
    return parts


def _publication_nb(release: str, release_text: str, year: int) -> str:
    """«Publisert 26. november 2026» for a dated release, «Versjon …» for any other release id."""
    if not release_text:
        return f"Rapportår {year}."
    if _is_iso_date(release):
        return f"Publisert {release_text}. Rapportår {year}."
    return f"Versjon {release_text}. Rapportår {year}."


def _status_legend() -> str:
    items = "".join(
        f'<li><span class="status status-{status}">{_e(label)}</span></li>'
        for status, label in STATUS_LABELS_NB.items()
    )
    return f'<ul class="legend" aria-label="Statusene">{items}</ul>'


# --- Building blocks ---------------------------------------------------------------------------


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _p(text: str, *, raw: bool = False, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{text if raw else _e(text)}</p>"


def _link(url: str, label: str) -> str:
    """A link that loads nothing until clicked, and then opens without access to this page."""
    return f'<a href="{_e(url)}" rel="noopener noreferrer external" target="_blank">{_e(label)}</a>'


def _num_td(value: float | int | None, decimals: int = 0, *, zero_muted: bool = False) -> str:
    muted = " muted" if zero_muted and value == 0 else ""
    return f'<td class="num{muted}">{_e(_n(value, decimals))}</td>'


def _value_year_td(value: float | None, decimals: int, year: int | None) -> str:
    if value is None:
        return f'<td class="num">{_e(NO_VALUE)}</td>'
    when = f' <span class="year">({year})</span>' if year is not None else ""
    return f'<td class="num">{_e(_n(value, decimals))}{when}</td>'


def _status_td(status: str, label: str, *, title: str = "") -> str:
    attr = f' title="{_e(title)}"' if title else ""
    return f'<td{attr}><span class="status status-{_e(status)}">{_e(label)}</span></td>'


def _table(
    caption: str, headers: list[str], rows: list[str], *, cls: str, caption_hidden: bool = False
) -> str:
    """A data table in its own scroll container (``div.table-scroll``): on a narrow screen only the
    table scrolls sideways, never the page. The container is a named region that takes keyboard
    focus, so keyboard users can scroll it too."""
    caption_cls = ' class="visually-hidden"' if caption_hidden else ""
    return (
        f'<div class="table-scroll" role="region" aria-label="{_e(caption)}" tabindex="0">'
        f'<table class="{cls}"><caption{caption_cls}>{_e(caption)}</caption>'
        f"<thead><tr>{''.join(headers)}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )


def data_table(
    caption: str, headers: list[str], rows: list[str], *, cls: str, caption_hidden: bool = False
) -> str:
    """A data table (``headers`` and ``rows`` as HTML) in the report's scroll region, for sections
    built in other modules; see :func:`_table`."""
    return _table(caption, headers, rows, cls=cls, caption_hidden=caption_hidden)


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return False
    return True


def _release_nb(release: str) -> str:
    """An ISO date as «26. november 2026»; anything else as given."""
    text = str(release or "").strip()
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return text
    return f"{date.day}. {MONTHS_NB[date.month - 1]} {date.year}"


def png_data_uri(path: Path) -> tuple[str, int, int]:
    """A PNG as a data URI, with its pixel size; refuses anything that is not a PNG."""
    data = path.read_bytes()
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), width, height


# --- Page ------------------------------------------------------------------------------------

_status_css = "\n".join(
    f".status-{status} {{ background: {color}; }}" for status, color in STATUS_COLORS.items()
)

CSS = (
    """
:root { --text: #222222; --muted: #595959; --line: #DDDDDD; --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #FFFFFF;
  font-family: "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.5; }
main, .masthead, footer.page { max-width: 1120px; margin: 0 auto; padding: 0 24px; }
.masthead { padding-top: 24px; }
/* Reflow (WCAG 1.4.10): at 320 px a long title or id wraps, even inside a word, instead of
   pushing the page sideways. Only data tables scroll, inside .table-scroll. */
body { overflow-wrap: break-word; }
h1, h2, h3, h4, summary, figcaption, caption, .lede { overflow-wrap: anywhere; hyphens: auto; }
h1 { font-size: clamp(1.4rem, 7vw, 2rem); margin: 0 0 4px; }
h2 { font-size: 1.45rem; margin: 40px 0 12px; padding-top: 8px; border-top: 3px solid var(--accent); }
h3 { font-size: 1.15rem; margin: 28px 0 8px; }
h4 { font-size: 1rem; margin: 20px 0 6px; }
.lede { font-size: 1.1rem; margin: 0; }
.published, .unit, .year, .note, caption, figcaption, .muted { color: var(--muted); }
.unit, .note, .year { font-size: 0.85em; font-weight: normal; }
.banner { margin: 0; padding: 12px 24px; background: #FFF3C4; border-bottom: 3px solid #E69F00;
  text-align: center; font-size: 1.05rem; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 20px; padding: 0; margin: 16px 0 0; list-style: none; }
nav a, a { color: var(--accent); }
.summary li { margin-bottom: 6px; }
.table-scroll { overflow-x: auto; margin: 8px 0 12px; }
.table-scroll:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; padding: 4px 0; font-size: 0.85rem; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #888888; vertical-align: bottom; white-space: normal; }
tbody th { font-weight: 600; }
th.sub { padding-left: 24px; font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85rem; }
.legend .status { white-space: nowrap; }
table.rollup tbody th { min-width: 15em; }
table.rollup thead th { font-size: 0.8rem; }
table.rollup th, table.rollup td { padding: 5px 6px; }
table.counties { font-size: 0.82rem; }
table.counties td { min-width: 7em; }
.legend { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 8px 0 16px; }
.goal-legend { font-size: 0.85rem; color: var(--muted); columns: 2 320px; padding-left: 18px; }
details { margin: 4px 0; border: 1px solid var(--line); border-radius: 4px; padding: 4px 10px; }
summary { cursor: pointer; font-weight: 600; }
details[open] summary { margin-bottom: 6px; }
h3.outcome-improved { color: #006B4E; }
h3.outcome-deteriorated { color: #A34400; }
.symbols { display: grid; grid-template-columns: 3em 1fr; gap: 4px 12px; }
.symbols dt { font-weight: bold; font-family: "DejaVu Sans Mono", monospace; text-align: center; }
.symbols dd { margin: 0; }
.symbol { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; }
.synthetic-note { padding: 8px 12px; background: #FFF3C4; border-left: 4px solid #E69F00; }
.figures { display: grid; grid-template-columns: minmax(0, 1fr); gap: 28px; max-width: 900px; }
.figure-block { min-width: 0; }
details.figure-data { margin-top: 6px; }
details.figure-data summary { font-weight: normal; color: var(--accent); }
.table-note { font-size: 0.8rem; color: var(--muted); margin: 0 0 6px; }
figure { margin: 0; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.85rem; padding-top: 4px; }
.sources li { margin-bottom: 6px; }
.sources a { word-break: break-all; }
footer.page { margin-top: 40px; padding-top: 12px; padding-bottom: 32px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 0.8rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
"""
    + _status_css
)

# Print on A4: every table whole across the page width (smaller type, headers that wrap, no
# minimum widths, scroll boxes opened up), every collapsed <details> open. Chromium (131+) styles
# the hidden part of a closed <details> as ::details-content, so CSS alone opens them for print;
# no script is needed (the page allows none). Its own <style media="print">, so tests can leave it
# out and see that the checks of a printed table catch a cut-off column.
PRINT_CSS = """
@page { size: A4; margin: 12mm; }
body { font-size: 10px; line-height: 1.35; }
main, .masthead, footer.page { max-width: none; padding: 0; }
.masthead { padding-top: 0; }
.banner { padding: 6px 8px; border: 2px solid #E69F00; }
nav { display: none; }
a { color: inherit; text-decoration: none; }
h2 { margin-top: 24px; break-after: avoid; }
h3, h4 { break-after: avoid; }
.table-scroll { overflow: visible; margin: 4px 0 8px; }
table { width: 100%; font-size: 7.5px; table-layout: auto; }
thead { display: table-header-group; }
tr, figure, .table-note { break-inside: avoid; }
.region-page { break-before: page; }
th, td { padding: 2px 3px; overflow-wrap: anywhere; hyphens: auto; }
thead th { white-space: normal; }
table.rollup tbody th { min-width: 0; width: 24%; }
table.rollup thead th { font-size: 7px; }
caption, figcaption, .table-note { font-size: 9px; }
table.rollup th, table.rollup td { padding: 2px; }
table.counties { font-size: 7px; }
table.counties td { min-width: 0; }
.status { display: inline; padding: 0; border-radius: 0; font-size: inherit; white-space: normal; }
details { border: none; padding: 0; margin: 4px 0; }
details::details-content { content-visibility: visible; display: block; }
summary { list-style: none; font-weight: 600; }
summary::-webkit-details-marker { display: none; }
details.figure-data summary { color: inherit; }
.figures { max-width: none; gap: 16px; }
figure img { width: 75%; }
.goal-legend { columns: 2; }
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="referrer" content="no-referrer">
<title>$title</title>
<style>$css</style>
<style media="print">$print_css</style>
</head>
<body>
<header class="page">
$banner
<div class="masthead">
<h1>$heading</h1>
<p class="lede">$lede</p>
<p class="published">$published</p>
$toc
</div>
</header>
<main>
$sections
</main>
<footer class="page"><p>$footer</p></footer>
</body>
</html>
"""
)
