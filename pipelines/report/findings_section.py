"""The report's sections «Evalueringens funn mot tallene» and «De to prioriterte tiltakene fra 2018».

Built from the published release only (``finding_verdicts``, ``finding_tests``, ``priority_trends``
and the public indicator values), as the rest of the report. Each finding gets its verdict in
words, its citation, a small-multiple figure of the indicators that test it and, behind «Tallene
bak figuren», the numbers behind the verdict. The prioritised measures get the average annual
change per period for the nation and every statsforvalter region (the counties behind a toggle),
with the caution that a changed trend is not proof of effect. On synthetic data every verdict
carries the synthetic-data note.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.findings.describe import TEST_HEADERS_NB, share_nb, test_cells
from pipelines.findings.spec import FindingsSpec
from pipelines.formatting import format_signed_nb, unit_label_nb
from pipelines.report.html import REPORTS_DIR

FIGURES_DIR = "evaluering"
# verdict → the report's status colour class (the same tints as the goal statuses)
VERDICT_STATUS = {
    "supported": "substantial_progress",
    "partly_supported": "moderate_progress",
    "not_supported": "deterioration",
    "insufficient_data": "insufficient_data",
    "untestable": "not_assessed",
}
SHIFT_STATUS = {"better": "substantial_progress", "worse": "deterioration", "similar": "moderate_progress",
                "insufficient_data": "insufficient_data", "not_assessed": "not_assessed"}  # fmt: skip
LEVEL_NAMES_NB = {"land": "Landet", "statsforvalter": "Statsforvalterregioner", "fylke": "Fylker"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _pill(status_class: str, label: str) -> str:
    return f'<span class="status status-{_e(status_class)}">{_e(label)}</span>'


def read_findings(con: duckdb.DuckDBPyConnection, values: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The release's findings tables, with the public values (already read by the report) they
    rest on: the nation and the counties."""
    return {
        "verdicts": con.execute("SELECT * FROM finding_verdicts").df(),
        "tests": con.execute("SELECT * FROM finding_tests").df(),
        "trends": con.execute("SELECT * FROM priority_trends").df(),
        "values": values[values["geo_level"].isin(["land", "fylke"])],
    }


def section_bodies(
    tables: dict[str, pd.DataFrame], spec: FindingsSpec, catalogue: Catalogue, base_dir: Path,
    release: str, png_data: Callable,
) -> dict[str, str]:  # fmt: skip
    """The bodies of both sections by the report's section keys (``evaluering``, ``prioriteringer``)."""
    args = (tables, spec, catalogue, base_dir, release, png_data)
    return {"evaluering": findings_section_body(*args), "prioriteringer": priorities_section_body(*args)}


def _figure(path: Path, png: bytes, png_data: Callable, alt: str, caption: str, anchor: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    uri, width, height = png_data(path)
    return (
        f'<figure id="{_e(anchor)}" class="chart"><img src="{uri}" alt="{_e(alt)}" width="{width}" '
        f'height="{height}" loading="eager"><figcaption>{_e(caption)}</figcaption></figure>'
    )


def findings_section_body(
    tables: dict[str, pd.DataFrame], spec: FindingsSpec, catalogue: Catalogue, base_dir: Path,
    release: str, png_data: Callable,
) -> str:  # fmt: skip
    """«Evalueringens funn mot tallene» without its heading; empty when the release has no findings."""
    from pipelines.findings.charts import finding_png
    from pipelines.report.html import data_table, figure_data_details

    verdicts, tests, values = tables["verdicts"], tables["tests"], tables["values"]
    if verdicts.empty:
        return ""
    evaluation = spec.evaluation
    rule = spec.rule
    parts = [
        f"<p>{_e(evaluation.authors)} evaluerte Bolig for velferd på oppdrag fra {_e(evaluation.client)} "
        f"({evaluation.year}): {_e(evaluation.method_nb)} Her er evalueringens funn om målgruppene stilt "
        "opp mot indikatorene, for landet, fylkene og statsforvalterregionene.</p>",
        f'<p class="note">{_e(evaluation.unknown_nb)}</p>',
        "<p>"
        + _e(
            "Regelen: Et funn er «støttet» når landets verdi endret seg i ventet retning fra første til "
            f"siste år med tall i perioden (mer enn {share_nb(rule.flat_band)} av startverdien), og minst "
            f"{share_nb(rule.support_share)} av fylkene med tall gjorde det samme; «ikke støttet» når "
            f"landet ikke gjorde det og høyst {share_nb(rule.reject_share)} av fylkene gjorde det; «delvis "
            "støttet» ellers. Har under halvparten av fylkene tall i begge årene, avgjør landet alene. "
            "Uten to år med tall for landet: «for lite data». En vurdering beskriver tallene; den beviser "
            "ikke at strategien var årsaken. Regelen står i indikatorhåndboken."
        )
        + "</p>",
    ]
    synthetic = bool(verdicts["synthetic"].any())
    if synthetic:
        note = verdicts["note_nb"].dropna().iloc[0]
        parts.append(f'<p class="note" role="note"><strong>{_e(note)}</strong></p>')
    headers = ['<th scope="col">Funn</th>', '<th scope="col">Vurdering</th>',
               '<th scope="col">Grunnlag</th>', '<th scope="col">Kilde</th>']  # fmt: skip
    rows = []
    for v in verdicts.itertuples(index=False):
        basis = (
            f"{v.n_supported} av {v.n_tests} indikatorer støtter, {v.n_partly_supported} delvis, "
            f"{v.n_not_supported} ikke, {v.n_insufficient_data} for lite data"
            if v.testable
            else v.untestable_reason_nb
        )
        label = v.verdict_nb + (" (syntetiske demodata)" if v.synthetic else "")
        rows.append(
            f'<tr><th scope="row"><a href="#funn-{_e(v.finding_id)}">{_e(v.statement_nb)}</a></th>'
            f"<td>{_pill(VERDICT_STATUS[v.verdict], label)}</td><td>{_e(basis)}</td>"
            f"<td>{_e(v.citation_nb)} {_e(v.citation_basis_nb)}</td></tr>"
        )
    parts.append(data_table("Evalueringens funn og vurderingen mot tallene", headers, rows, cls="findings"))
    origin = ",".join(sorted(set(values["data_origin"].dropna()))) or "synthetic"
    figures_dir = Path(base_dir) / REPORTS_DIR / FIGURES_DIR
    number = 0
    for v in verdicts.itertuples(index=False):
        parts.append(f'<h3 id="funn-{_e(v.finding_id)}">{_e(v.statement_nb)}</h3>')
        label = v.verdict_nb + (" – syntetiske demodata" if v.synthetic else "")
        parts.append(f"<p>Vurdering: {_pill(VERDICT_STATUS[v.verdict], label)}</p>")
        if not v.testable:
            parts.append(f"<p>{_e(v.untestable_reason_nb)}</p>")
            continue
        own = tests[tests["finding_id"] == v.finding_id]
        number += 1
        names = ", ".join(catalogue.indicators[i].name_nb.lower() for i in own["indicator_id"])
        alt = (
            f"Små linjediagrammer, ett per indikator ({names}): landet som linje, fylkene som tynne grå "
            f"linjer, perioden {v.first_year}–{v.last_year} markert. " + " ".join(own["reason_nb"])
        )
        caption = f"Funn {number}. {v.statement_nb} Landet (blå) og fylkene (grå)."
        png = finding_png(values, own, catalogue, origin, release)
        parts.append(
            _figure(
                figures_dir / f"funn_{v.finding_id}.png",
                png,
                png_data,
                alt,
                caption,
                f"figur-funn-{v.finding_id}",
            )
        )
        parts.append(figure_data_details(f"funn {number}", _tests_table(own, catalogue, v.statement_nb)))
        parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in own["reason_nb"]) + "</ul>")
    return "\n".join(parts)


def _tests_table(tests: pd.DataFrame, catalogue: Catalogue, statement: str) -> str:
    from pipelines.report.html import data_table

    headers = [f'<th scope="col">{_e(h)}</th>' for h in TEST_HEADERS_NB]
    rows = []
    for test in tests.itertuples(index=False):
        name, *cells = test_cells(test, catalogue)
        rows.append(
            f'<tr><th scope="row">{_e(name)}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>"
        )
    return data_table(f"Tallene bak vurderingen: {statement}", headers, rows, cls="figure-data-table")


def priorities_section_body(
    tables: dict[str, pd.DataFrame], spec: FindingsSpec, catalogue: Catalogue, base_dir: Path,
    release: str, png_data: Callable,
) -> str:  # fmt: skip
    """«De to prioriterte tiltakene fra 2018» without its heading; empty without trends."""
    from pipelines.findings.charts import priority_png
    from pipelines.report.html import figure_data_details

    trends, values = tables["trends"], tables["values"]
    if trends.empty:
        return ""
    periods = spec.before_after.periods
    parts = [
        "<p>"
        + _e(
            "Fra 2018 ble handlingsplanen for Bolig for velferd snevret inn til to prioriterte nasjonale "
            "tiltak. Tabellene viser gjennomsnittlig årlig endring i hver periode ("
            + "; ".join(p.label_nb for p in periods)
            + ") – gjennomsnittet av endringene fra året før, i indikatorens enhet (prosentpoeng for "
            f"andeler) – og om utviklingen etter 2018 var bedre eller svakere enn i {periods[0].first_year}–"
            f"{periods[0].last_year}."
        )
        + "</p>",
        f'<p class="note" role="note"><strong>Forbehold:</strong> {_e(spec.before_after.caution_nb)}</p>',
    ]
    notes = trends["note_nb"].dropna()
    if len(notes):
        parts.append(f'<p class="note" role="note">{_e(notes.iloc[0])}</p>')
    origin = ",".join(sorted(set(values["data_origin"].dropna()))) or "synthetic"
    figures_dir = Path(base_dir) / REPORTS_DIR / FIGURES_DIR
    for position, measure in enumerate(spec.priority_measures, start=1):
        parts.append(f'<h3 id="tiltak-{_e(measure.id)}">{_e(f"Tiltak {position}: {measure.name_nb}")}</h3>')
        series = [(s.indicator, s.target_group) for s in measure.tests]
        own = trends[trends["measure_id"] == measure.id]
        names = ", ".join(catalogue.indicators[i].name_nb.lower() for i, _ in series)
        alt = (
            f"Små linjediagrammer, ett per indikator ({names}): landet som linje, fylkene som tynne grå "
            "linjer, og gjennomsnittlig årlig endring i hver periode som stiplet linje, med brudd i 2018 "
            "og 2021."
        )
        caption = f"Tiltak {position}. Landet (blå), fylkene (grå) og periodenes gjennomsnittlige endring "
        caption += "(stiplet)."
        png = priority_png(values, own, series, catalogue, origin, release)
        parts.append(
            _figure(
                figures_dir / f"tiltak_{measure.id}.png",
                png,
                png_data,
                alt,
                caption,
                f"figur-tiltak-{measure.id}",
            )
        )
        for indicator_id, group in series:
            rows = own[(own["indicator_id"] == indicator_id) & (own["target_group"] == group)]
            parts.append(_trend_tables(rows, catalogue, indicator_id, group, periods))
        parts.append(
            figure_data_details(
                f"tiltak {position}",
                "".join(
                    _trend_table(
                        own[(own["indicator_id"] == i) & (own["target_group"] == g)],
                        catalogue,
                        i,
                        g,
                        periods,
                        "fylke",
                    )
                    for i, g in series
                ),
                "Fylkene, for den som vil se nærmere.",
            )  # fmt: skip
        )
    return "\n".join(parts)


def _trend_tables(rows, catalogue, indicator_id, group, periods) -> str:
    return _trend_table(rows, catalogue, indicator_id, group, periods, "land", "statsforvalter")


def _trend_table(rows, catalogue, indicator_id, group, periods, *levels: str) -> str:
    from pipelines.report.html import data_table

    indicator = catalogue.indicators[indicator_id]
    decimals = indicator.decimals + 1
    unit = unit_label_nb(indicator.unit)
    target = catalogue.target_groups[group].name_nb.lower()
    first = f"{periods[0].first_year}–{periods[0].last_year}"
    headers = (
        ['<th scope="col">Område</th>']
        + [f'<th scope="col" class="num">{_e(f"{p.first_year}–{p.last_year}")}</th>' for p in periods]
        + [f'<th scope="col">{_e(f"{p.first_year}–{p.last_year} mot {first}")}</th>' for p in periods[1:]]
    )
    body = []
    selected = rows[rows["geo_level"].isin(levels)]
    for _, geo in selected.groupby(["geo_level", "geo_code"], sort=False):
        by_period = geo.set_index("period_id")
        cells = [f'<th scope="row">{_e(geo["geo_name"].iloc[0])}</th>']
        for p in periods:
            average = by_period.loc[p.id, "average_annual_change"] if p.id in by_period.index else None
            shown = "For lite data" if pd.isna(average) else format_signed_nb(float(average), decimals)
            cells.append(f'<td class="num">{_e(shown)}</td>')
        for p in periods[1:]:
            later = by_period.loc[p.id] if p.id in by_period.index else None
            shift = later["trend_shift"] if later is not None else None
            label = later["trend_shift_nb"] if later is not None and isinstance(shift, str) else "–"
            cells.append(f"<td>{_pill(SHIFT_STATUS.get(shift, 'not_assessed'), label)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    where = " og ".join(LEVEL_NAMES_NB[level].lower() for level in levels)
    in_unit = f", {unit}" if unit else ""
    caption = f"{indicator.name_nb} ({target}): gjennomsnittlig årlig endring{in_unit} – {where}"
    return data_table(caption, headers, body, cls="trend-shift")
