"""The statsforvalter region pages (profiles/statsforvalter/<SFxx>.html), read as a reader would.

A small hand-made table (the three municipalities of tests/test_profiles.py, whose two counties
make one test region) checks the page against its input, with a suppressed region value that
carries a number that must never reach a page; the shared pipeline run checks the ten real
regions against the published release.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

from pipelines.exports.reader import open_release
from pipelines.profiles.regions import REGION_LEVEL, region_data, regions
from pipelines.profiles.render import render_profiles
from tests.test_profile_pages import LEAK, Page, _number, _tables
from tests.test_profiles import CHILDREN, COUNTIES, LAGGING, RELEASE, ROWS, YEARS, small_spec

REGION = "SF99"
REGION_NAME = "Statsforvalteren i Rogaland og Vestland"
LEAKED = ("988", "987,6", "987.6")


def _with_region(status: str = "suppressed") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The small tables of test_profile_pages with one region over both counties; the region's
    2024 value of CHILDREN is ``status`` and carries LEAK."""
    values, attainment, geography = _tables()
    geography = geography.astype({"county_code": object, "county_name": object, "kostra_group": object})
    geography["statsforvalter_code"] = np.where(
        geography["geo_level"].isin(["fylke", "kommune"]), REGION, None
    )
    geography = pd.concat(
        [
            geography,
            pd.DataFrame([{"geo_level": REGION_LEVEL, "geo_code": REGION, "geo_name": REGION_NAME}]),
        ],
        ignore_index=True,
    )
    rows = []
    for indicator, group in ROWS:
        for year in YEARS:
            hidden = indicator == CHILDREN[0] and year == 2024
            if indicator == LAGGING[0] and year == 2024:
                continue  # no 2024 values anywhere: the page shows 2023, as for the municipalities
            rows.append(
                {
                    "indicator_id": indicator,
                    "geo_level": REGION_LEVEL,
                    "geo_code": REGION,
                    "geo_name": REGION_NAME,
                    "year": year,
                    "target_group": group,
                    "value": LEAK if hidden else 19.5 + (year - 2022) * 0.25,
                    "unit": "percent",
                    "status": status if hidden else "shown",
                    "data_origin": "synthetic",
                }
            )
    values = pd.concat([values.astype(object), pd.DataFrame(rows)], ignore_index=True)
    return values, attainment, geography


@pytest.fixture(scope="module")
def spec(catalogue):
    return small_spec(catalogue)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, catalogue, spec):
    base = tmp_path_factory.mktemp("regions")
    result = render_profiles(*_with_region(), catalogue, base, RELEASE, spec=spec, dpi=60, workers=1)
    return base, result


def _region_page(base: Path, code: str) -> tuple[str, Page]:
    text = (base / "profiles" / "statsforvalter" / f"{code}.html").read_text(encoding="utf-8")
    return text, Page(text)


def _check_cells(page: Page, expected: pd.DataFrame) -> int:
    """Every cell of ``page`` against ``expected`` (row, place_code, value, status, decimals):
    a shown value is its number at the indicator's decimals, anything else a symbol only."""
    shown = 0
    for row in expected.itertuples(index=False):
        text = page.cells[(int(row.row), str(row.place_code))].strip()
        if row.status == "shown":
            assert _number(text) == pytest.approx(float(row.value), abs=0.51 * 10.0 ** -int(row.decimals))
            shown += 1
        else:
            assert text in (":", "..", "."), (row.row, row.place_code, text)
            assert page.meanings[(int(row.row), str(row.place_code))], (row.row, row.place_code)
    assert len(page.cells) == len(expected)
    return shown


def test_the_region_page_holds_the_region_the_nation_and_each_county(rendered, catalogue, spec):
    base, result = rendered
    assert base / "profiles" / "statsforvalter" / f"{REGION}.html" in result.index_pages
    values, _, geography = _with_region()
    found = regions(geography)
    assert [(r.code, r.counties) for r in found] == [(REGION, tuple(sorted(COUNTIES.items())))]
    row_years = pd.DataFrame({"row": range(len(ROWS)), "year": [2024, 2024, 2024, 2023]})
    table = region_data(values, found, catalogue, spec, row_years)
    assert list(table.drop_duplicates("place_code")["place_code"]) == [REGION, "EAK", "11", "46"]
    _, page = _region_page(base, REGION)
    # all shown but the suppressed region cell
    assert _check_cells(page, table) == len(table) - 1
    # the county and nation columns are the published county and national values, as given
    expected = values[(values["geo_code"] == "46") & (values["year"] == 2024)]
    first = expected[expected["indicator_id"] == ROWS[0][0]]["value"].iloc[0]
    assert _number(page.cells[(0, "46")]) == pytest.approx(first, abs=0.051)


def test_a_hidden_region_value_is_a_colon_and_its_number_is_nowhere(rendered, catalogue, spec, tmp_path):
    base, _ = rendered
    i = next(n for n, r in enumerate(spec.rows) if r.indicator == CHILDREN[0])
    text, page = _region_page(base, REGION)
    assert page.cells[(i, REGION)].strip() == ":"
    assert page.meanings[(i, REGION)] == "Skjult (personvern)"
    assert "«:» skjult av personvernhensyn" in text
    for path in (base / "profiles").rglob("*.html"):
        assert not any(x in path.read_text(encoding="utf-8") for x in LEAKED), path
    # the check can fail: the same cell published as shown is printed, and found
    render_profiles(*_with_region("shown"), catalogue, tmp_path, RELEASE, spec=spec, dpi=60, workers=1)
    shown = (tmp_path / "profiles" / "statsforvalter" / f"{REGION}.html").read_text(encoding="utf-8")
    assert "988" in shown


def test_region_page_structure_language_and_origin(rendered, spec):
    base, _ = rendered
    text, page = _region_page(base, REGION)
    tags = [t for t, _ in page.tags]
    assert ("html", {"lang": "nb"}) in page.tags
    assert ("a", {"class": "skip", "href": "#innhold"}) in page.tags
    for landmark in ("header", "main", "footer", "nav"):
        assert tags.count(landmark) == 1, landmark
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    assert "caption" in tags and "table" in tags
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", text).group(1)
    assert REGION_NAME in caption and REGION in caption
    scopes = [a.get("scope") for t, a in page.tags if t == "th"]
    assert scopes.count("row") == len(spec.rows) and scopes.count("col") == 1 + 2 + len(COUNTIES)
    header = text[text.index("<header>") : text.index("</header>")]
    from pipelines import formatting

    assert formatting.SYNTHETIC_NB in header
    assert "Publisert " + RELEASE in text[text.index("<footer>") :]


def test_the_national_index_links_the_region_and_the_region_its_counties(rendered):
    base, _ = rendered
    profiles = base / "profiles"
    nation = Page((profiles / "index.html").read_text(encoding="utf-8"))
    assert {u for u in nation.urls if u.startswith("statsforvalter/")} == {f"statsforvalter/{REGION}.html"}
    _, page = _region_page(base, REGION)
    assert {u for u in page.urls if u.startswith("../fylke/")} == {f"../fylke/{c}.html" for c in COUNTIES}
    for path in profiles.rglob("*.html"):
        for url in Page(path.read_text(encoding="utf-8")).urls:
            parsed = urlparse(url)
            assert not parsed.scheme and not parsed.netloc, (path.name, url)
            if parsed.path:
                assert (path.parent / parsed.path).resolve().is_file(), (path.name, url)


def test_no_region_pages_without_regions(tmp_path, catalogue, spec):
    """Geographies without the level (other vintages) give no region pages and no index links."""
    result = render_profiles(*_tables(), catalogue, tmp_path, RELEASE, spec=spec, dpi=60, workers=1)
    assert not list((tmp_path / "profiles" / "statsforvalter").glob("*.html"))
    assert "statsforvalter/" not in (tmp_path / "profiles" / "index.html").read_text(encoding="utf-8")
    assert all("statsforvalter" not in p.parts for p in result.index_pages)


# --- the shared pipeline run: the ten real regions against the published release ----------------


def test_the_ten_region_pages_print_the_published_release(pipeline_run: Path, catalogue):
    from pipelines.exports.reader import latest_release
    from pipelines.privacy.build import PUBLIC_TABLE
    from pipelines.profiles import load_profile_spec, profile_data

    profiles = pipeline_run / "profiles"
    pages = sorted((profiles / "statsforvalter").glob("*.html"))
    assert [p.stem for p in pages] == [f"SF{i:02d}" for i in range(1, 11)]
    nation = Page((profiles / "index.html").read_text(encoding="utf-8"))
    assert {u for u in nation.urls if u.startswith("statsforvalter/")} == {
        f"statsforvalter/{p.name}" for p in pages
    }
    with open_release(latest_release(pipeline_run)) as con:
        values = con.execute(f'SELECT * FROM "{PUBLIC_TABLE}"').df()
        attainment = con.execute("SELECT * FROM goal_attainment").df()
        geography = con.execute("SELECT * FROM dim_geography").df()
    spec = load_profile_spec(catalogue)
    data = profile_data(values, attainment, geography, catalogue, spec)
    table = region_data(values, regions(geography), catalogue, spec, data[["row", "year"]])
    shown = 0
    published = values.set_index(["indicator_id", "target_group", "geo_level", "geo_code", "year"])
    for path in pages:
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        expected = table[table["statsforvalter_code"] == path.stem]
        shown += _check_cells(page, expected)
        # the expected cells are the release's own rows, not a recomputation
        for row in expected.itertuples(index=False):
            key = (row.indicator_id, row.target_group, row.place_level, row.place_code, row.year)
            if key in published.index:
                assert published.loc[key, "status"] == row.status
        counties = geography[
            (geography["geo_level"] == "fylke") & (geography["statsforvalter_code"] == path.stem)
        ]["geo_code"]
        assert {u for u in page.urls if u.startswith("../fylke/")} == {f"../fylke/{c}.html" for c in counties}
        for url in page.urls:
            parsed = urlparse(url)
            if parsed.path:
                assert (path.parent / parsed.path).resolve().is_file(), (path.name, url)
        hidden = expected[expected["status"] == "suppressed"]
        for row in hidden.itertuples(index=False):
            assert page.cells[(int(row.row), str(row.place_code))].strip() == ":"
    assert shown > 100
