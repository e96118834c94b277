"""The report's page per statsforvalter region, from a real release: the right counties, the
goal statuses of goal_rollup, the key indicators as published (a hidden value stays «:»)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from pipelines.exports.reader import latest_release, open_release
from pipelines.formatting import display_value, format_number_nb
from pipelines.report.regions_section import read_regions, regions_section_body


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.fixture(scope="module")
def tables(pipeline_run: Path) -> dict[str, pd.DataFrame]:
    with open_release(latest_release(pipeline_run)) as con:
        return read_regions(con, con.execute("SELECT * FROM indicator_values_public").df())


@pytest.fixture(scope="module")
def body(tables, catalogue) -> str:
    return regions_section_body(tables, catalogue)


def _page(body: str, code: str) -> str:
    start = body.index(f'id="region-{code}"')
    return body[
        start : body.index("</div>\n", body.index("</table>", body.index("region-indicators", start)))
    ]


def test_one_page_per_region_with_its_counties(body, tables):
    assert body.count('class="region-page"') == 10
    sf01 = _text(_page(body, "SF01"))
    assert "Statsforvalteren i Østfold, Buskerud, Oslo og Akershus (SF01)" in sf01
    assert "Fylker: 03 Oslo, 31 Østfold, 32 Akershus, 33 Buskerud." in sf01
    assert "Fylker: 46 Vestland." in _text(_page(body, "SF06"))


def test_the_goal_statuses_are_goal_rollups(body, tables, catalogue):
    rollup = tables["rollup"]
    page = _page(body, "SF10")
    for strategy in catalogue.strategies.values():
        for goal in (g for g in strategy.goals if g.kind == "goal"):
            mine = rollup[(rollup["strategy_id"] == strategy.id) & (rollup["rollup_id"] == goal.id)]
            region = mine[(mine["geo_level"] == "statsforvalter") & (mine["geo_code"] == "SF10")]
            nation = mine[mine["geo_level"] == "land"]
            row = re.search(rf'<th scope="row">{re.escape(goal.id)} [^<]*</th>(.*?)</tr>', page).group(1)
            assert _text(row) == f"{region['status_nb'].iloc[0]} {nation['status_nb'].iloc[0]}"


def _indicator_rows(page: str) -> list[tuple[str, int, list[str]]]:
    table = page[page.index("region-indicators") :]
    rows = []
    for row in re.findall(r'<tr><th scope="row">.*?</tr>', table):
        label = _text(re.search(r'<th scope="row">(.*?)</th>', row).group(1))
        year = int(re.search(r"<td>(\d{4})</td>", row).group(1))
        rows.append((label, year, [unescape(c) for c in re.findall(r'<td class="num">([^<]*)</td>', row)]))
    return rows


def test_the_key_indicators_are_the_published_values(body, tables, catalogue):
    from pipelines.profiles.spec import load_profile_spec

    spec = load_profile_spec(catalogue)
    values = tables["values"].set_index(["indicator_id", "target_group", "geo_level", "geo_code", "year"])
    checked = 0
    for code in (f"SF{n:02d}" for n in range(1, 11)):
        rows = _indicator_rows(_page(body, code))
        assert len(rows) == len(spec.rows)
        for profile_row, (label, year, cells) in zip(spec.rows, rows, strict=True):
            assert label.startswith(profile_row.label_nb)
            decimals = catalogue.indicators[profile_row.indicator].decimals
            for place, cell in ((("statsforvalter", code)), cells[0]), ((("land", "EAK")), cells[1]):
                key = (profile_row.indicator, profile_row.target_group, *place, year)
                published = values.loc[key] if key in values.index else None
                expected = (
                    display_value(published["value"], published["status"], decimals)
                    if published is not None
                    else ".."
                )
                assert cell == expected, (code, label, place)
                checked += 1
    assert checked == 10 * len(spec.rows) * 2


def test_a_hidden_region_value_is_never_printed(tables, catalogue):
    """A suppressed region cell still carrying a number in its row shows «:», never the number —
    and the same cell marked shown prints it, so the check can fail."""
    from pipelines.profiles.spec import load_profile_spec

    first = load_profile_spec(catalogue).rows[0]
    values = tables["values"].copy()
    series = (values["indicator_id"] == first.indicator) & (values["target_group"] == first.target_group)
    latest = values.loc[
        series & (values["geo_level"] == "land") & (values["status"] == "shown"), "year"
    ].max()
    hit = series & (values["geo_level"] == "statsforvalter") & (values["geo_code"] == "SF06")
    hit &= values["year"] == latest
    assert hit.sum() == 1
    values.loc[hit, "value"] = 987.65
    values.loc[hit, "status"] = "suppressed"
    hidden = _page(regions_section_body({**tables, "values": values}, catalogue), "SF06")
    assert "987" not in hidden and "988" not in hidden
    assert any(cells[0] == ":" for _, _, cells in _indicator_rows(hidden))
    values.loc[hit, "status"] = "shown"
    assert format_number_nb(987.65, catalogue.indicators[first.indicator].decimals) in _page(
        regions_section_body({**tables, "values": values}, catalogue), "SF06"
    )


def test_the_report_of_the_run_has_the_regional_section(pipeline_run: Path):
    [report] = (pipeline_run / "reports").glob("styringsinformasjon_*.html")
    page = report.read_text(encoding="utf-8")
    toc = page[page.index("<nav") : page.index("</nav>")]
    assert "Regionale arenaer: statsforvalterne" in toc
    assert page.count('class="region-page"') == 10
    assert 'id="evaluering"' in page and 'id="prioriteringer"' in page
