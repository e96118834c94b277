"""The report's section «Regionale arenaer: statsforvalterne»: one page per statsforvalter region.

The strategy's regional work ran through the ten county governors, whose regions are not the
counties. Each region gets its own page (a new page in print): its counties, its goal attainment
per main goal beside the nation's, and the profile's key indicators (``assets/profiles.yaml``) for
the region, the nation and each of its counties in the latest year with a national value — the
numbers of the region's profile page. Everything is read from the published release, so a hidden
value is «:» here as everywhere.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.formatting import display_value, unit_label_nb
from pipelines.profiles.data import spec_frame
from pipelines.profiles.regions import REGION_LEVEL, region_data, regions
from pipelines.profiles.spec import load_profile_spec
from pipelines.progress.method import STATUS_LABELS_NB

NATION = "land"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def read_regions(con, values: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The release's geography and goal roll-ups, with the public values the report already read."""
    return {
        "geography": con.execute("SELECT * FROM dim_geography").df(),
        "rollup": con.execute(
            "SELECT * FROM goal_rollup WHERE rollup_by = 'goal' AND geo_level IN ('land', 'statsforvalter')"
        ).df(),
        "values": values[values["geo_level"].isin(["land", "statsforvalter", "fylke"])],
    }


def _latest_years(values: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """(row, year): the latest year with a shown national value for each key-indicator row."""
    nation = values[(values["geo_level"] == NATION) & (values["status"] == "shown")]
    latest = nation.groupby(["indicator_id", "target_group"])["year"].max().rename("year").reset_index()
    return rows.merge(latest, on=["indicator_id", "target_group"])[["row", "year"]]


def regions_section_body(tables: dict[str, pd.DataFrame], catalogue: Catalogue) -> str:
    """The section's HTML without its heading; empty when the release has no statsforvalter level."""

    found = regions(tables["geography"])
    if not found:
        return ""
    spec = load_profile_spec(catalogue)
    values = tables["values"]
    rows = spec_frame(spec, catalogue)
    table = region_data(values, found, catalogue, spec, _latest_years(values, rows))
    goals = [(s, g) for s in catalogue.strategies.values() for g in s.goals if g.kind == "goal"]
    parts = [
        "<p>"
        + _e(
            "Det regionale arbeidet med strategiene gikk gjennom de ti statsforvalterne («regionale "
            "arenaer»), og regionene deres er ikke fylkene: fire fylker deler kontor rundt Oslo. Hver "
            "region har sin side: måloppnåelsen per hovedmål ved siden av landets, og nøkkelindikatorene "
            "for regionen, landet og hvert fylke i regionen i siste år med tall. Regionens tall er summen "
            "av kommunenes (eller fylkenes) tellere delt på summen av nevnerne."
        )
        + "</p>"
    ]
    for region in found:
        counties = ", ".join(f"{code} {name}" for code, name in region.counties)
        parts += [
            f'<div class="region-page" id="region-{_e(region.code)}">',
            f"<h3>{_e(region.name)} ({_e(region.code)})</h3>",
            f"<p>{_e(f'Fylker: {counties}.')}</p>",
            _goal_table(region, goals, tables["rollup"]),
            _indicator_table(region, table[table["statsforvalter_code"] == region.code]),
            '<p class="table-note">«:» skjult (personvern), «..» mangler, «.» ikke aktuelt.</p>',
            "</div>",
        ]
    return "\n".join(parts)


def _goal_table(region, goals, rollup: pd.DataFrame) -> str:
    """The region's status per main goal beside the nation's (from ``goal_rollup``)."""
    from pipelines.report.html import data_table

    headers = [f'<th scope="col">{h}</th>' for h in ("Hovedmål", "Regionen", "Landet")]
    body = []
    for strategy, goal in goals:
        mine = rollup[(rollup["strategy_id"] == strategy.id) & (rollup["rollup_id"] == goal.id)]
        cells = []
        for place in (mine[(mine["geo_level"] == REGION_LEVEL) & (mine["geo_code"] == region.code)],
                      mine[mine["geo_level"] == NATION]):  # fmt: skip
            status = place["status"].iloc[0] if len(place) else "insufficient_data"
            label = place["status_nb"].iloc[0] if len(place) else STATUS_LABELS_NB["insufficient_data"]
            cells.append(f'<td><span class="status status-{_e(status)}">{_e(label)}</span></td>')
        body.append(f'<tr><th scope="row">{_e(f"{goal.id} {goal.name_nb}")}</th>{"".join(cells)}</tr>')
    return data_table(f"{region.name}: måloppnåelse per hovedmål", headers, body, cls="region-goals")


def _indicator_table(region, own: pd.DataFrame) -> str:
    """The key indicators for the region, the nation and each county (``region_data``'s rows)."""
    from pipelines.report.html import data_table

    # the region's column is «Regionen»: its long office name is the page's heading already
    places = ["Regionen", *own.drop_duplicates("place_code")["place_name"].iloc[1:]]
    headers = ['<th scope="col">Indikator</th>', '<th scope="col">År</th>']
    headers += [f'<th scope="col" class="num">{_e(name)}</th>' for name in places]
    body = []
    for _, row in own.groupby("row", sort=True):
        first = row.iloc[0]
        unit = unit_label_nb(first["unit"])
        label = first["label_nb"] + (f" ({unit})" if unit and unit not in first["label_nb"] else "")
        cells = "".join(
            f'<td class="num">{_e(display_value(r.value, r.status, int(r.decimals)))}</td>'
            for r in row.itertuples(index=False)
        )
        body.append(f'<tr><th scope="row">{_e(label)}</th><td>{int(first["year"])}</td>{cells}</tr>')
    caption = f"{region.name}: nøkkelindikatorer for regionen, landet og fylkene"
    return data_table(caption, headers, body, cls="region-indicators")
