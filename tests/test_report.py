"""The yearly steering report «Styringsinformasjon <år>»: content numbers and the HTML file.

The dataset is small but shaped like the warehouse: every catalogue indicator and target group for
the nation and four counties, 2014–2024, with goal attainment and roll-ups computed by the real
progress code. Trends are set per indicator, so the test knows which series got better or worse.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html as html_module
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.charts.indicator_chart import plot_indicator_trend, save_figure
from pipelines.charts.style import format_number_nb
from pipelines.findings.build import findings_tables
from pipelines.findings.spec import load_findings_spec
from pipelines.formatting import format_signed_nb
from pipelines.progress.attainment import STATUS_COUNT_COLUMNS, goal_attainment, goal_rollup
from pipelines.progress.method import STATUS_LABELS_NB, direction_sign
from pipelines.report import report_content, report_path, write_report
from pipelines.report.content import (
    DETERIORATED,
    IMPROVED,
    NEUTRAL,
    UNCHANGED,
    classify_change,
)
from pipelines.report.findings_section import section_bodies
from pipelines.report.html import BANNER_TEXT, SSB_CREDIT, png_data_uri, render_html

NBSP = "\u00a0"
MINUS = "\u2212"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RELEASE = "2026-11-26"
YEARS = list(range(2014, 2025))
SURVEY_YEARS = (2016, 2020, 2024)  # the homelessness survey is four-yearly
COUNTIES = [("03", "Oslo"), ("11", "Rogaland"), ("46", "Vestland"), ("50", "Trøndelag")]
FLAT = "KOSandelnyavslag0000"  # lower is better; the same value every year → unchanged
HIDDEN_2024 = "utnyttelsesgrad_kommunale_boliger"  # national 2024 value suppressed
BIG_COUNT = "KOSventelistetil0000"  # a count in the thousands
CHART_IDS = ("bostedslose_per_1000", "utkastelser_per_1000_leie")
AXE_DIR = Path(__file__).resolve().parent / "fixtures" / "axe"  # axe-core for test_report_browser.py
MAP_IDS = ("KOSboligSper10000000", "bostotte_per_1000_husholdninger")  # goals H1/M2 and H2/M2


def slope_of(position: int, indicator_id: str) -> float:
    """The yearly trend of an indicator, as a share of its level: alternately up and down."""
    if indicator_id == FLAT:
        return 0.0
    return 0.04 if position % 2 == 0 else -0.03


def level_of(position: int, unit: str) -> float:
    if unit == "count":
        return 12_000.0 + 500 * position
    if unit == "percent":
        return 40.0 + position
    return 3.0 + 0.25 * position


def build_dataset(data_origin: str = "synthetic") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(values, goal_attainment, goal_rollup), shaped like the warehouse tables."""
    cat = load_catalogue()
    rows = []
    geos = [("land", "EAK", "Landet", 1.0)] + [
        ("fylke", code, name, 0.8 + 0.1 * i) for i, (code, name) in enumerate(COUNTIES)
    ]
    for position, indicator in enumerate(cat.indicators.values()):
        survey = indicator.id.startswith("bostedslose")
        base = level_of(position, indicator.unit)
        slope = slope_of(position, indicator.id)
        for group_pos, group in enumerate(indicator.target_groups):
            for level, code, name, scale in geos:
                if survey and level != "land":
                    continue
                for year in YEARS:
                    value = base * scale * (1 + 0.1 * group_pos) * (1 + slope) ** (year - 2014)
                    status = "shown"
                    if survey and year not in SURVEY_YEARS:
                        status = "not_applicable"
                    elif indicator.id == HIDDEN_2024 and level == "land" and year == 2024:
                        status = "suppressed"
                    elif level == "fylke" and code == "50" and year == 2019:
                        status = "missing"
                    shown = status == "shown"
                    rows.append(
                        {
                            "indicator_id": indicator.id,
                            "geo_level": level,
                            "geo_code": code,
                            "geo_name": name,
                            "year": year,
                            "target_group": group,
                            "numerator": value if shown else np.nan,
                            "denominator": np.nan,
                            "value": value if shown else np.nan,
                            "unit": indicator.unit,
                            "status": status,
                            "unit_level": "kommune",
                            "units_reported": 357,
                            "units_total": 357,
                            "is_estimate": False,
                            "data_origin": data_origin if status != "not_applicable" else None,
                            "source": "file:data/demo/test.csv",
                            "vintage": "sha256:0",
                            "stale": False,
                            "preliminary": indicator.id == BIG_COUNT and year == 2024,
                        }
                    )
    values = pd.DataFrame(rows)
    attainment = goal_attainment(values, cat)
    return values, attainment, goal_rollup(attainment, cat)


def findings_bodies(values: pd.DataFrame, base: Path) -> dict[str, str]:
    """The report's findings and priorities sections for the test dataset, as the report step
    builds them from the release (the findings tables judged on the same rows)."""
    cat = load_catalogue()
    spec = load_findings_spec(cat)
    frames = findings_tables(values, cat, spec)
    tables = {**frames, "values": values[values["geo_level"].isin(["land", "fylke"])]}
    return section_bodies(tables, spec, cat, base, RELEASE, png_data_uri)


def render_charts(values: pd.DataFrame, folder: Path, ids=CHART_IDS) -> dict[str, Path]:
    """Trend charts the way the pipeline draws them (small DPI: the test needs PNGs, not beauty)."""
    cat = load_catalogue()
    paths = {}
    for indicator_id in ids:
        ind = cat.indicators[indicator_id]
        spec = {
            "id": ind.id,
            "name_nb": ind.name_nb,
            "unit": ind.unit,
            "direction": ind.direction,
            "source_nb": ind.source_nb,
        }
        fig = plot_indicator_trend(values[values["indicator_id"] == indicator_id], spec, RELEASE)
        paths[indicator_id] = save_figure(fig, folder / f"{indicator_id}.png", dpi=50)
    return paths


class _Page(HTMLParser):
    """Tags with attributes, visible text (outside <a>, <style>, <title>) and tables by caption."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._skip = 0
        self._caption: list[str] | None = None
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("a", "style", "title"):
            self._skip += 1
        elif tag == "table":
            self._table = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("a", "style", "title"):
            self._skip -= 1
        elif tag == "caption" and self._caption is not None:
            self._caption_text = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._table is not None:
            self.tables[self._caption_text] = self._table
            self._table = None

    def handle_data(self, data):
        for sink in (self._caption, self._cell):
            if sink is not None:
                sink.append(data)
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def dataset():
    return build_dataset("synthetic")


@pytest.fixture(scope="module")
def content(dataset):
    values, attainment, rollup = dataset
    return report_content(values, attainment, rollup, load_catalogue())


@pytest.fixture(scope="module")
def charts(dataset, tmp_path_factory):
    return render_charts(dataset[0], tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="module")
def maps(dataset, tmp_path_factory):
    """(map entries, the report's «Kart» section body, their folder), drawn as the map step draws them."""
    from pipelines.maps.build import draw_maps
    from pipelines.report.html import png_data_uri
    from pipelines.report.maps_section import maps_section_body

    base = tmp_path_factory.mktemp("maps")
    entries, _ = draw_maps(dataset[0], load_catalogue(), base, RELEASE, indicators=list(MAP_IDS), dpi=40)
    return entries, maps_section_body(load_catalogue(), entries, base, png_data_uri), base


@pytest.fixture(scope="module")
def written(content, charts, maps, tmp_path_factory) -> Path:
    return write_report(content, charts, tmp_path_factory.mktemp("base"), RELEASE, maps[1])


@pytest.fixture(scope="module")
def page(written) -> _Page:
    return parse(written.read_text(encoding="utf-8"))


# --- Content -------------------------------------------------------------------------------------


def test_year_is_the_latest_with_national_data(dataset):
    values, attainment, rollup = dataset
    cat = load_catalogue()
    assert report_content(values, attainment, rollup, cat).year == 2024
    no_2024 = values.assign(
        status=values["status"].where(
            ~((values["geo_level"] == "land") & (values["year"] == 2024)), "missing"
        )
    )
    assert report_content(no_2024, attainment, rollup, cat).year == 2023
    assert report_content(values, attainment, rollup, cat, year=2022).year == 2022


def test_national_rollup_counts_equal_the_table(content, dataset):
    _, attainment, rollup = dataset
    land = rollup[rollup["geo_level"] == "land"]
    checked = 0
    for section in content.strategies:
        for r in section.goals + section.target_groups:
            row = land[
                (land["strategy_id"] == section.id)
                & (land["rollup_by"] == r.rollup_by)
                & (land["rollup_id"] == r.rollup_id)
            ]
            assert len(row) == 1
            row = row.iloc[0]
            assert r.counts == {s: int(row[c]) for s, c in STATUS_COUNT_COLUMNS.items()}
            assert (r.n_series, r.n_assessed, r.status) == (row["n_series"], row["n_assessed"], row["status"])
            # the series listed under a roll-up are exactly the ones it counts
            assert len(r.series) == r.n_series
            assert sum(r.counts.values()) == r.n_series
            assert {s: sum(x.status == s for x in r.series) for s in STATUS_COUNT_COLUMNS} == r.counts
            checked += 1
    assert checked == len(land)
    # every roll-up of the nation is in the report, for both strategies
    assert {s.id for s in content.strategies} == {"bfv", "atth"}

    # a series row carries the attainment table's numbers
    bfv = next(s for s in content.strategies if s.id == "bfv")
    series = next(x for g in bfv.goals for x in g.series if x.indicator_id == "utkastelser_per_1000_leie")
    row = attainment[
        (attainment["strategy_id"] == "bfv")
        & (attainment["geo_level"] == "land")
        & (attainment["indicator_id"] == "utkastelser_per_1000_leie")
        & (attainment["target_group"] == "alle")
    ].iloc[0]
    assert series.baseline_value == pytest.approx(row["baseline_value"])
    assert series.current_value == pytest.approx(row["current_value"])
    assert series.target_value == pytest.approx(row["target_value"])  # −30 % from the baseline
    assert series.target_value == pytest.approx(0.7 * row["baseline_value"])
    assert (series.baseline_year, series.current_year) == (2014, 2020)  # the strategy ended in 2020
    assert series.status_nb == STATUS_LABELS_NB[row["status"]]


def test_county_overview_equals_the_county_rollup(content, dataset):
    rollup = dataset[2]
    for section in content.strategies:
        counties = rollup[
            (rollup["strategy_id"] == section.id)
            & (rollup["geo_level"] == "fylke")
            & (rollup["rollup_by"] == "goal")
        ]
        assert [c.geo_code for c in section.counties] == sorted(code for code, _ in COUNTIES)
        for county in section.counties:
            for goal_id, _ in section.county_goals:
                row = counties[(counties["geo_code"] == county.geo_code) & (counties["rollup_id"] == goal_id)]
                assert county.cells[goal_id].status == row["status"].iloc[0]


def test_better_and_worse_follow_the_direction(content):
    cat = load_catalogue()
    positions = {indicator_id: i for i, indicator_id in enumerate(cat.indicators)}
    seen = set()
    for c in content.changes:
        assert c.year == 2024
        assert c.change == pytest.approx(c.value - c.previous_value)
        sign = direction_sign(c.direction)
        trend = slope_of(positions[c.indicator_id], c.indicator_id)
        if sign is None:
            expected = NEUTRAL
        elif trend == 0:
            expected = UNCHANGED
        else:
            expected = IMPROVED if sign * trend > 0 else DETERIORATED
        assert c.outcome == expected, c
        seen.add(c.outcome)
    assert seen == {IMPROVED, DETERIORATED, UNCHANGED, NEUTRAL}
    # a rising "lower is better" series got worse, a rising "higher is better" one better
    assert classify_change("lower_is_better", 1.0, 0) == DETERIORATED
    assert classify_change("higher_is_better", 1.0, 0) == IMPROVED
    assert classify_change("higher_is_better", -0.2, 1) == DETERIORATED
    assert classify_change("neutral", 5.0, 0) == NEUTRAL
    assert classify_change("lower_is_better", 0.0001, 0) == UNCHANGED
    # the four-yearly survey compares with the previous survey
    survey = next(c for c in content.changes if c.indicator_id == "bostedslose_per_1000")
    assert survey.previous_year == 2020
    # the suppressed national value is not compared, and says why
    hidden = [n for n in content.no_value if n.indicator_id == HIDDEN_2024]
    assert [n.status for n in hidden] == ["suppressed"]
    assert all(c.indicator_id != HIDDEN_2024 for c in content.changes)


def test_data_notes_count_the_years_cells(content, dataset):
    values = dataset[0]
    year = values[values["year"] == 2024]
    assert content.cell_status_counts["suppressed"] == int((year["status"] == "suppressed").sum())
    assert content.cell_status_counts["shown"] == int((year["status"] == "shown").sum())
    assert sum(content.cell_status_counts.values()) == len(year)
    assert content.preliminary == (load_catalogue().indicators[BIG_COUNT].name_nb,)
    assert content.stale == ()


# --- HTML ----------------------------------------------------------------------------------------


def test_written_where_expected_as_utf8_in_norwegian(written, content):
    assert written == report_path(written.parent.parent, 2024)
    assert written.name == "styringsinformasjon_2024.html" and written.parent.name == "reports"
    html = written.read_bytes().decode("utf-8")  # valid UTF-8 or this raises
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="nb">' in html and '<meta charset="utf-8">' in html
    assert "<title>Styringsinformasjon 2024</title>" in html
    for heading in ("Sammendrag", "Måloppnåelse for landet", "Fylkesoversikt", "Hva ble bedre, hva ble verre",
                    "Om dataene"):  # fmt: skip
        assert f">{heading}</h2>" in html
    assert SSB_CREDIT in html and "CC BY 4.0" in html
    assert "Publisert 26. november 2026" in html
    assert not list(written.parent.glob("*.part"))


def test_nothing_is_loaded_from_outside(page, written):
    html = written.read_text(encoding="utf-8")
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "video", "audio", "source"}
    external = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    links = 0
    for tag, attrs in page.tags:
        for name in ("src", "srcset", "poster", "data", "action", "background"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)
        href = attrs.get("href")
        if href and external.match(href):
            assert tag == "a" and "noopener" in (attrs.get("rel") or ""), (tag, href)
            links += 1
        elif href:
            assert href.startswith("#"), (tag, href)  # only in-page anchors otherwise
    assert links >= 3  # strategies, sources and licence are links that load nothing until clicked
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL)
    assert len(styles) == 2  # the page's and the print stylesheet
    for style in styles:
        assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # the Content-Security-Policy blocks any other load in the browser
    csp = [
        a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(csp) == 1 and "default-src 'none'" in csp[0] and "img-src data:" in csp[0]


def test_every_image_is_an_embedded_png(page, charts, maps):
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    entries = maps[0]
    assert len(images) == len(charts) + len(entries)
    files = [*charts.values(), *(e.path(maps[2]) for e in entries)]
    for attrs, path in zip(images, files, strict=True):
        src = attrs["src"]
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == PNG_SIGNATURE
        assert data == path.read_bytes()
        assert attrs["alt"] and int(attrs["width"]) > 0 and int(attrs["height"]) > 0


def test_numbers_are_norwegian(page, content, written):
    html = written.read_text(encoding="utf-8")
    text = "".join(page.text)
    # no English decimal points and no hyphen-minus signs in anything a reader sees
    assert not re.search(r"\d\.\d", text), re.search(r".{30}\d\.\d.{30}", text)
    assert not re.search(r"(?<![\w–-])-\d", text)
    # a count in the thousands is grouped with a no-break space
    big = next(c for c in content.changes if c.indicator_id == BIG_COUNT)
    assert big.value >= 1000
    assert format_number_nb(big.value) in text and NBSP in format_number_nb(big.value)
    # a falling series shows its change with a real minus sign, a rising one with a plus
    down = next(c for c in content.changes if c.change < 0 and c.unit == "count")
    up = next(c for c in content.changes if c.change > 0 and c.unit == "percent")
    assert MINUS + format_number_nb(-down.change, down.decimals) in text
    assert "+" + format_number_nb(up.change, up.decimals) in text
    # decimals with a comma: a rate per 1000 to the indicator's decimals
    series = next(
        x for s in content.strategies for g in s.goals for x in g.series if x.unit.startswith("per_1000")
    )
    shown = format_number_nb(series.current_value, series.decimals)
    assert "," in shown and shown in text
    assert "\u00a0%" in html  # percentages as «12,5 %»


def test_tables_show_the_content_numbers(page, content):
    bfv = next(s for s in content.strategies if s.id == "bfv")
    table = page.tables["Måloppnåelse per mål, Bolig for velferd"]
    header, body = table[0], table[1:]
    assert header[:3] == ["Mål", "Serier", "Vurdert"]
    goal = bfv.goals[0]
    row = next(r for r in body if r[0].startswith(f"Hovedmål {goal.rollup_id}:"))
    expected = [format_number_nb(goal.n_series), format_number_nb(goal.n_assessed)]
    expected += [format_number_nb(goal.counts[s]) for s in STATUS_LABELS_NB]
    assert row[1 : 3 + len(STATUS_LABELS_NB)] == expected
    assert row[-1] == goal.status_nb
    county = page.tables["Fylkesoversikt, Alle trenger et trygt hjem"]
    assert [r[0] for r in county[1:]] == [name for _, name in sorted(COUNTIES)]
    hidden = page.tables["Uten verdi i 2024"]
    assert any(r[2].startswith(":") for r in hidden[1:])  # suppression shows as «:»


def test_text_is_escaped(content, charts):
    evil = "Kø <script>alert(1)</script> & «sitat»"
    first = next(iter(charts))
    tampered = dataclasses.replace(
        content,
        indicator_names={**content.indicator_names, first: evil},
        summary=(*content.summary, evil),
    )
    html = render_html(tampered, charts, RELEASE)
    assert "<script>" not in html
    assert "Kø &lt;script&gt;alert(1)&lt;/script&gt; &amp; «sitat»" in html


def test_synthetic_banner_iff_synthetic(dataset, charts):
    cat = load_catalogue()
    synthetic = render_html(report_content(*dataset, cat), charts, RELEASE)
    assert BANNER_TEXT in synthetic and "Syntetiske demodata" in synthetic

    real = build_dataset("ssb")
    content = report_content(*real, cat)
    assert not content.synthetic and content.data_origins == ("ssb",)
    html = render_html(content, charts, RELEASE)
    assert BANNER_TEXT not in html and "Syntetiske" not in html and "syntetiske" not in html
    assert "Kilde: Statistisk sentralbyrå (SSB)" in html

    # one synthetic row among real ones is enough
    values, attainment, rollup = real
    mixed = values.copy()
    mixed.loc[mixed.index[0], "data_origin"] = "synthetic"
    assert BANNER_TEXT in render_html(report_content(mixed, attainment, rollup, cat), charts, RELEASE)


def test_missing_chart_or_non_png_is_refused(content, tmp_path):
    with pytest.raises(FileNotFoundError):
        render_html(content, {"x": tmp_path / "none.png"}, RELEASE)
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a not a png")
    with pytest.raises(ValueError, match="not a PNG"):
        render_html(content, {"x": fake}, RELEASE)


def test_summary_counts_match_the_content(content):
    improved = format_number_nb(len(content.improved))
    worse = format_number_nb(len(content.deteriorated))
    assert any(f"ble {improved} indikatorserier bedre og {worse} verre" in line for line in content.summary)
    atth = next(s for s in content.strategies if s.id == "atth")
    assert sum(atth.series_status_counts.values()) == len(
        {(x.indicator_id, x.target_group) for g in atth.target_groups for x in g.series}
    )
    assert not any(math.isnan(c.change) for c in content.changes)


# --- Each chart's data table ----------------------------------------------------------------------

SYMBOLS = {"suppressed": ":", "missing": "..", "not_applicable": "."}
NO_VALUE = "–"


def expected_chart_table(values: pd.DataFrame, indicator_id: str) -> list[list[str]]:
    """The trend chart's numbers, worked out here from the dataset without the report's code:
    the indicator's main target group, the nation per year (or its status symbol) and, per year,
    the counties' min and max (two or more counties) and 25th/75th percentiles (four or more)."""
    indicator = load_catalogue().indicators[indicator_id]
    group = indicator.target_groups[0]
    decimals = indicator.decimals
    rows = values[(values["indicator_id"] == indicator_id) & (values["target_group"] == group)]
    years = range(int(rows["year"].min()), int(rows["year"].max()) + 1)
    land = {int(r["year"]): r for r in rows[rows["geo_level"] == "land"].to_dict("records")}
    shown = rows[(rows["geo_level"] == "fylke") & (rows["status"] == "shown")]
    counties = {int(y): sorted(g["value"]) for y, g in shown.groupby("year")}
    has_range = any(len(v) >= 2 for v in counties.values())
    has_iqr = any(len(v) >= 4 for v in counties.values())
    header = ["År", "Landet"]
    header += ["Fylker, lavest", "Fylker, høyest"] if has_range else []
    header += ["Midtre halvdel av fylkene, fra", "Midtre halvdel av fylkene, til"] if has_iqr else []
    table = [header]
    for year in years:
        row = land.get(year)
        if row is None:
            national = ".."
        elif row["status"] == "shown":
            national = format_number_nb(row["value"], decimals)
        else:
            national = SYMBOLS[row["status"]]
        cells = [str(year), national]
        in_year = counties.get(year, [])
        if has_range:
            pair = (min(in_year), max(in_year)) if len(in_year) >= 2 else (None, None)
            cells += [format_number_nb(v, decimals) if v is not None else NO_VALUE for v in pair]
        if has_iqr:
            pair = tuple(np.percentile(in_year, [25, 75])) if len(in_year) >= 4 else (None, None)
            cells += [format_number_nb(v, decimals) if v is not None else NO_VALUE for v in pair]
        table.append(cells)
    return table


def chart_tables(page: _Page) -> dict[int, tuple[str, list[list[str]]]]:
    out = {}
    for caption, table in page.tables.items():
        match = re.match(r"Tallene bak figur (\d+)\. (.*)", caption)
        if match:
            out[int(match.group(1))] = (match.group(2), table)
    return out


def test_every_chart_has_its_numbers_in_a_table(page, charts, dataset, written):
    values = dataset[0]
    tables = chart_tables(page)
    assert sorted(tables) == list(range(1, len(charts) + 1))
    names = load_catalogue().indicators
    for number, indicator_id in enumerate(charts, start=1):
        caption, table = tables[number]
        assert caption.startswith(names[indicator_id].name_nb)
        assert table == expected_chart_table(values, indicator_id), indicator_id
    # the survey indicator: a national value only in survey years, «.» in the others
    survey = tables[list(charts).index("bostedslose_per_1000") + 1][1]
    assert survey[0] == ["År", "Landet"]
    by_year = {r[0]: r[1] for r in survey[1:]}
    assert by_year["2015"] == "." and by_year["2016"] not in (".", "..", ":", NO_VALUE)
    # each table sits behind its labelled toggle, and the figure keeps its alt text
    html = written.read_text(encoding="utf-8")
    assert html.count('<details class="figure-data"><summary>Tallene bak figuren') == len(charts)
    alts = [attrs["alt"] for tag, attrs in page.tags if tag == "img"]
    chart_alts = [alt for alt in alts if alt.startswith("Linjediagram: ")]
    assert len(chart_alts) == len(charts) and len(alts) == len(charts) + len(MAP_IDS)  # the rest: maps


def test_chart_table_hides_what_the_chart_hides(dataset, charts):
    """A suppressed national value is «:» even when a number is still in its row, a year without
    a national row «..», and a year with too few county values has no band («–»)."""
    values, attainment, rollup = dataset
    indicator_id = "utkastelser_per_1000_leie"
    changed = values.copy()
    land = (changed["indicator_id"] == indicator_id) & (changed["geo_level"] == "land")
    changed.loc[land & (changed["year"] == 2018), "status"] = "suppressed"  # value left in: must not leak
    changed = changed[~(land & (changed["year"] == 2017))]
    fylke = (changed["indicator_id"] == indicator_id) & (changed["geo_level"] == "fylke")
    changed.loc[fylke & (changed["year"] == 2016) & (changed["geo_code"] != "03"), "status"] = "missing"
    content = report_content(changed, attainment, rollup, load_catalogue())
    html = render_html(content, {indicator_id: charts[indicator_id]}, RELEASE)
    assert "– i fylkeskolonnene: for få fylkesverdier det året til å vise spredningen." in html
    page = parse(html)
    _, table = chart_tables(page)[1]
    assert table == expected_chart_table(changed, indicator_id)
    by_year = {r[0]: r for r in table[1:]}
    hidden = changed.loc[land & (changed["year"] == 2018), "value"].iloc[0]
    assert by_year["2018"][1] == ":" and format_number_nb(hidden, 2) not in "".join(by_year["2018"])
    assert by_year["2017"][1] == ".."
    assert by_year["2016"][2:] == [NO_VALUE] * 4  # one county left: neither band
    assert by_year["2019"][2] != NO_VALUE and by_year["2019"][4:] == [NO_VALUE] * 2  # three: no quartiles


def test_chart_table_is_what_the_chart_draws(content, dataset):
    """The table and the chart read one computation: the drawn national line is the table's."""
    from pipelines.charts.indicator_chart import GID_NATIONAL, GID_RANGE

    values = dataset[0]
    cat = load_catalogue()
    for indicator_id in CHART_IDS:
        ind = cat.indicators[indicator_id]
        spec = {"id": ind.id, "name_nb": ind.name_nb, "unit": ind.unit, "direction": ind.direction,
                "source_nb": ind.source_nb, "target_groups": list(ind.target_groups)}  # fmt: skip
        fig = plot_indicator_trend(values[values["indicator_id"] == indicator_id], spec, RELEASE)
        data = content.chart_data[indicator_id]
        (line,) = [a for a in fig.findobj() if a.get_gid() == GID_NATIONAL]
        assert list(line.get_xdata()) == [r.year for r in data.rows]
        drawn = [None if math.isnan(v) else v for v in line.get_ydata()]
        assert drawn == pytest.approx([r.national for r in data.rows])
        assert data.has_range == any(a.get_gid() == GID_RANGE for a in fig.findobj())
    # every key indicator with a value has its table data; the report embeds those with a chart
    assert set(content.chart_data) == set(content.key_indicators)


def test_pinned_axe_is_the_recorded_file():
    """The axe-core that tests/test_report_browser.py injects is byte for byte the file its README
    records (version and sha256): checked here, without a browser, so an edit is noticed in every run."""
    readme = (AXE_DIR / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"axe\.min\.js sha256 \| `([0-9a-f]{64})`", readme).group(1)
    version = re.search(r"`axe-core@(\d+\.\d+\.\d+)`", readme).group(1)
    data = (AXE_DIR / "axe.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == recorded, "axe.min.js differs from the README's sha256"
    assert data.startswith(f"/*! axe v{version}".encode()), "the version in the file's header differs"
    assert b"Mozilla Public\n * License, v. 2.0" in data[:600]  # the MPL-2.0 header stays on top
    assert (AXE_DIR / "LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License")


def test_maps_have_their_text_alternative_and_numbers(page, maps, dataset):
    """One map per main goal: the alt text names the highest and lowest county, and the county values
    behind the map are in the document (a closed <details>), as the release has them."""
    entries = {e.indicator_id: e for e in maps[0]}
    figures = [a for t, a in page.tags if t == "figure" and (a.get("id") or "").startswith("kart-")]
    assert [f["id"] for f in figures] == [f"kart-{i}" for i in MAP_IDS]  # each drawn once, H1 then H2
    alts = [a["alt"] for t, a in page.tags if t == "img" and a.get("alt", "").startswith("Kart over")]
    assert alts == [entries[i].alt_nb for i in MAP_IDS]
    values = dataset[0]
    for indicator_id in MAP_IDS:
        counties = values[
            (values["indicator_id"] == indicator_id)
            & (values["geo_level"] == "fylke")
            & (values["year"] == 2024)
            & (values["target_group"] == load_catalogue().indicators[indicator_id].headline_group)
        ]
        high = counties.loc[counties["value"].idxmax(), "geo_name"]
        low = counties.loc[counties["value"].idxmin(), "geo_name"]
        assert f"Høyest blant fylkene: {high} (" in entries[indicator_id].alt_nb
        assert f"lavest: {low} (" in entries[indicator_id].alt_nb
        entry = entries[indicator_id]
        table = page.tables[f"{entry.name_nb}, {entry.target_group_nb.lower()}, 2024, per fylke"]
        decimals = load_catalogue().indicators[indicator_id].decimals
        shown = {r.geo_name: format_number_nb(r.value, decimals) for r in counties.itertuples()}
        rows = {r[0]: r[1] for r in table[1:]}
        assert {k: rows[k] for k in shown} == shown
        # the counties the dataset leaves out are missing («..»), never 0
        assert {v for k, v in rows.items() if k not in shown} == {".."}
    html = "".join(page.text)
    assert "Tallene bak kartet" in html
    assert "Se kartet over" in maps[1]  # M2's indicators were all shown: a link, not the same picture again


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)))


@pytest.mark.parametrize("origin", ["synthetic", "ssb"])
def test_the_findings_and_priorities_sections_show_the_release_tables(origin, tmp_path):
    values, attainment, rollup = build_dataset(origin)
    cat = load_catalogue()
    spec = load_findings_spec(cat)
    frames = findings_tables(values, cat, spec)
    content = report_content(values, attainment, rollup, cat)
    page = render_html(content, {}, RELEASE, "", findings_bodies(values, tmp_path))
    toc = page[page.index("<nav") : page.index("</nav>")]
    assert "Evalueringens funn mot tallene" in toc and "De to prioriterte tiltakene fra 2018" in toc
    evaluation = _text(page[page.index('id="evaluering"') : page.index('id="prioriteringer"')])
    for verdict in frames["verdicts"].itertuples(index=False):
        assert f"{verdict.statement_nb} {verdict.verdict_nb}" in evaluation
        # the mark beside every verdict on demo data, and never on real figures
        assert (f"{verdict.verdict_nb} (syntetiske demodata)" in evaluation) == (origin == "synthetic")
    assert ("sier ingenting om utviklingen i Norge" in evaluation) == (origin == "synthetic")
    for test in frames["tests"].itertuples(index=False):
        assert test.reason_nb in evaluation
    priorities = _text(page[page.index('id="prioriteringer"') : page.index('id="kart"')])
    assert " ".join(spec.before_after.caution_nb.split()) in priorities
    national = frames["trends"][
        (frames["trends"]["geo_level"] == "land") & frames["trends"]["trend_shift_nb"].notna()
    ]
    for row in national.itertuples(index=False):
        decimals = cat.indicators[row.indicator_id].decimals + 1
        shown = (
            format_signed_nb(row.average_annual_change, decimals)
            if pd.notna(row.average_annual_change)
            else None
        )
        assert shown is None or shown in priorities
        assert row.trend_shift_nb in priorities
    # one embedded figure per tested finding and per measure, each with its text alternative
    figures = re.findall(
        r'<figure id="figur-(funn|tiltak)-[^"]+" class="chart"><img src="data:image/png', page
    )
    assert len(figures) == frames["verdicts"]["testable"].sum() + len(spec.priority_measures)


def test_without_findings_the_sections_and_their_contents_lines_are_left_out(content):
    page = render_html(content, {}, RELEASE, "", {"evaluering": "", "prioriteringer": ""})
    assert 'id="evaluering"' not in page and "Evalueringens funn mot tallene" not in page
    assert 'id="prioriteringer"' not in page
