"""The municipality profiles as accessible HTML pages and as vector county PDFs.

The pages are parsed with the standard library's HTML parser and the PDFs read back with pypdf:
what a reader, a screen reader or a search finds must be the numbers of ``profile_data``, the
hidden values as «:» and never their number, and nothing fetched from elsewhere.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from pipelines import formatting
from pipelines.profiles import html as ph
from pipelines.profiles import load_profile_spec, profile_data
from pipelines.profiles import page as pg
from pipelines.profiles.render import render_county_pdfs, render_profiles
from tests.test_profiles import (
    CHILDREN,
    COUNTIES,
    MUNICIPALITIES,
    RELEASE,
    _geography,
    _goal_attainment,
    _national_tables,
    _values,
    small_spec,
)

LEAK = 987.65  # carried by a suppressed cell: it must never reach a page (percent, 0 decimals: «988»)


def _tables(status: str = "suppressed") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The small test tables, with Kinn's suppressed 2024 value carrying LEAK (or shown, ``status``)."""
    values = _values()
    hidden = (
        (values["indicator_id"] == CHILDREN[0]) & (values["geo_code"] == "4602") & (values["year"] == 2024)
    )
    assert values.loc[hidden, "status"].eq("suppressed").all()
    values.loc[hidden, "value"] = LEAK
    values.loc[hidden, "status"] = status
    return values, _goal_attainment(), _geography()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, catalogue, spec):
    base = tmp_path_factory.mktemp("pages")
    result = render_profiles(*_tables(), catalogue, base, RELEASE, spec=spec, dpi=60, workers=1)
    return base, result


@pytest.fixture(scope="module")
def spec(catalogue):
    return small_spec(catalogue)


@pytest.fixture(scope="module")
def data(catalogue, spec):
    return profile_data(*_tables(), catalogue, spec)


class Page(HTMLParser):
    """What a profile page holds: its cells by (row, column) as read (text hidden with the ``vh``
    class counted apart), every link and source, the headings, landmarks and SVG labels."""

    def __init__(self, text: str):
        super().__init__()
        self.cells: dict[tuple[int, str], str] = {}
        self.meanings: dict[tuple[int, str], str] = {}
        self.urls: list[str] = []
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict]] = []
        self.svg_labels: list[str] = []
        self._row: int | None = None
        self._cell: tuple[int, str] | None = None
        self._hidden_depth = 0
        self._stack: list[bool] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self.urls += [a[k] for k in ("href", "src") if k in a]
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "tr" and "data-row" in a:
            self._row = int(a["data-row"])
        if tag == "td" and "data-col" in a and self._row is not None:
            self._cell = (self._row, a["data-col"])
            self.cells[self._cell], self.meanings[self._cell] = "", ""
        if tag == "svg" and a.get("role") == "img":
            self.svg_labels.append(a.get("aria-label", ""))
        if tag not in ("rect", "circle", "path", "meta", "br"):  # void or self-closed here
            hidden = "vh" in a.get("class", "").split()
            self._stack.append(hidden)
            self._hidden_depth += hidden

    def handle_endtag(self, tag):
        if tag in ("rect", "circle", "path", "meta", "br"):
            return
        if self._stack:
            self._hidden_depth -= self._stack.pop()
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            if self._hidden_depth:
                self.meanings[self._cell] += data
            else:
                self.cells[self._cell] += data


def _page(base: Path, kommunenr: str) -> Page:
    return Page((base / "profiles" / "kommune" / f"{kommunenr}.html").read_text(encoding="utf-8"))


def _number(text: str) -> float:
    return float(text.replace(formatting.NBSP, "").replace(formatting.MINUS_SIGN, "-").replace(",", "."))


def test_every_municipality_has_a_page_whose_table_holds_the_profile_data(rendered, data, spec):
    base, result = rendered
    assert sorted(p.stem for p in result.pages) == sorted(MUNICIPALITIES)
    columns = {"value": ("value", "status"), "county": ("county_value", "county_status"),
               "nation": ("national_value", "national_status")}  # fmt: skip
    checked = 0
    for kommunenr in MUNICIPALITIES:
        page = _page(base, kommunenr)
        rows = data[data["kommunenr"] == kommunenr].sort_values("row")
        assert len(rows) == len(spec.rows)
        for row in rows.itertuples(index=False):
            for column, (value_col, status_col) in columns.items():
                text = page.cells[(row.row, column)].strip()
                if getattr(row, status_col) == "shown":
                    # the printed number is the value rounded to the indicator's decimals
                    assert _number(text) == pytest.approx(
                        getattr(row, value_col), abs=0.51 * 10.0**-row.decimals
                    )
                    checked += 1
                else:
                    assert text in (":", "..", "."), (kommunenr, row.row, column, text)
            change = page.cells[(row.row, "change")]
            if isinstance(row.trend, str):
                assert formatting.format_signed_nb(row.change, row.decimals) in change
    assert checked > 20


def test_html_page_prints_what_the_png_page_draws(rendered, data, spec, context):
    """Both come from one profile_data table: every value, change and status reads the same."""
    base, _ = rendered
    for kommunenr in MUNICIPALITIES:
        fig = pg.build_profile_figure(data, kommunenr, context, dpi=60)
        drawn = {
            a.get_gid(): a.get_text() for a in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_gid())
        }
        page = _page(base, kommunenr)
        for i in range(len(spec.rows)):
            for column in ("value", "county", "nation"):
                assert page.cells[(i, column)].strip() == drawn[pg.row_gid(column, i)]
            assert " ".join(drawn[pg.row_gid("change", i)].split()) in page.cells[(i, "change")]
            assert " ".join(drawn[pg.row_gid("status", i)].split()) == page.cells[(i, "status")].strip()


@pytest.fixture(scope="module")
def context(catalogue, spec):
    return pg.page_context(catalogue, spec, RELEASE)


def test_a_hidden_value_is_a_colon_with_its_meaning_and_its_number_is_nowhere(rendered, catalogue, spec,
                                                                               tmp_path):  # fmt: skip
    base, _ = rendered
    i = next(n for n, r in enumerate(spec.rows) if r.indicator == CHILDREN[0])
    page = _page(base, "4602")
    assert page.cells[(i, "value")].strip() == ":"
    assert page.meanings[(i, "value")] == "Skjult (personvern)"
    text = (base / "profiles" / "kommune" / "4602.html").read_text(encoding="utf-8")
    assert "«:» skjult av personvernhensyn" in text
    assert "kommunen skjult (personvern)" in page.svg_labels[i]
    leaked = ("988", "987,6", "987.6")
    for path in (base / "profiles").rglob("*.html"):
        assert not any(x in path.read_text(encoding="utf-8") for x in leaked), path
    # the check can fail: the same cell published as shown is printed, and found
    shown = render_profiles(*_tables("shown"), catalogue, tmp_path, RELEASE, spec=spec, dpi=60, workers=1)
    assert "988" in Path(shown.pages[1]).read_text(encoding="utf-8")


def test_names_are_escaped_and_would_not_be_without_autoescape(data, context):
    rows = data[data["kommunenr"] == "4601"].assign(kommune_name="Bergen <b>&amp; Co</b>")
    view = ph.municipality_view(rows, context, 2024)
    escaped = ph.render(ph.MUNICIPALITY_TEMPLATE, view)
    assert "<b>" not in escaped and "Bergen &lt;b&gt;&amp;amp; Co&lt;/b&gt;" in escaped
    raw = ph.render(ph.MUNICIPALITY_TEMPLATE, view, ph.environment(autoescape=False))
    assert "Bergen <b>&amp; Co</b>" in raw  # the tag would be markup


def test_structure_language_landmarks_and_origin(rendered, spec):
    base, _ = rendered
    text = (base / "profiles" / "kommune" / "4601.html").read_text(encoding="utf-8")
    page = Page(text)
    tags = [t for t, _ in page.tags]
    assert ("html", {"lang": "nb"}) in page.tags
    head = text[: text.index("</head>")]
    assert head.count("<title>") == 1 and "<title>Bergen (4601) — boligsosial profil 2024</title>" in head
    for landmark in ("header", "main", "footer", "nav"):
        assert tags.count(landmark) == 1, landmark
    # one h1, and no heading level skipped
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    assert "caption" in tags
    scopes = [a.get("scope") for t, a in page.tags if t == "th"]
    assert scopes.count("row") == len(spec.rows) and scopes.count("col") == 7
    assert len(page.svg_labels) == len(spec.rows) and all(page.svg_labels)
    assert re.search(r"kommunen 17,0; fylket 19,0; landet 21,0", page.svg_labels[0])
    # the synthetic mark is in the header landmark, before the main content
    header = text[text.index("<header>") : text.index("</header>")]
    assert formatting.SYNTHETIC_NB in header
    assert "Publisert " + RELEASE in text[text.index("<footer>") :]
    # the status says itself in words; its colour square is decoration
    assert "Tilbakegang" in page.cells[(1, "status")] and "Målet er nådd" in page.cells[(2, "status")]


def test_indexes_link_every_county_and_municipality_and_every_link_resolves(rendered):
    base, result = rendered
    profiles = base / "profiles"
    nation = Page((profiles / "index.html").read_text(encoding="utf-8"))
    assert {u for u in nation.urls if u.startswith("fylke/")} == {f"fylke/{c}.html" for c in COUNTIES}
    assert {u for u in nation.urls if u.startswith("kommune/")} == {
        f"kommune/{k}.html" for k in MUNICIPALITIES
    }
    for code in COUNTIES:
        county = Page((profiles / "fylke" / f"{code}.html").read_text(encoding="utf-8"))
        members = {k for k, (_, c, _) in MUNICIPALITIES.items() if c == code}
        assert {u for u in county.urls if u.startswith("../kommune/")} == {
            f"../kommune/{k}.html" for k in members
        }
    pages = list(profiles.rglob("*.html"))
    assert len(pages) == len(MUNICIPALITIES) + len(COUNTIES) + 1
    for path in pages:
        text = path.read_text(encoding="utf-8")
        for url in Page(text).urls:
            parsed = urlparse(url)
            assert not parsed.scheme and not parsed.netloc, (path.name, url)  # nothing from elsewhere
            if parsed.path:
                assert (path.parent / parsed.path).resolve().is_file(), (path.name, url)
        assert "@import" not in text and not re.search(r"url\(", text)


def test_png_is_at_least_150_dpi(tmp_path, catalogue, spec):
    assert pg.DEFAULT_DPI >= 150
    result = render_profiles(*_tables(), catalogue, tmp_path, RELEASE, spec=spec, workers=1)
    with Image.open(result.pngs[0]) as image:
        assert image.size == (
            int(pg.PAGE_SIZE_IN[0] * pg.DEFAULT_DPI),  # A4 at 150 dpi: 1753 × 1240
            int(pg.PAGE_SIZE_IN[1] * pg.DEFAULT_DPI),
        )
        assert min(image.info["dpi"]) >= 149.9


def _fonts(reader: PdfReader) -> list:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts += (
                [d.get_object() for d in font["/DescendantFonts"]] if "/DescendantFonts" in font else [font]
            )
    return fonts


def test_county_pdf_has_real_text_embedded_fonts_title_and_language(tmp_path, catalogue):
    """The bundled profiles.yaml, six municipalities of Vestland (generated values): every name
    and every indicator title can be found in the PDF's text."""
    spec = load_profile_spec(catalogue)
    values, goals, geography = _national_tables(spec)
    vestland = geography[(geography["geo_level"] == "kommune") & (geography["county_code"] == "46")]
    keep = set(vestland["geo_code"].iloc[:6]) | {"4601"}
    geography = geography[(geography["geo_level"] != "kommune") | geography["geo_code"].isin(keep)]
    pdfs = render_county_pdfs(values, goals, geography, catalogue, tmp_path, RELEASE, spec=spec, workers=1)
    assert [p.name for p in pdfs] == ["46.pdf"]

    reader = PdfReader(pdfs[0])
    assert len(reader.pages) == len(keep)
    text = "\n".join(page.extract_text() for page in reader.pages)
    names = geography[geography["geo_code"].isin(keep)]["geo_name"]
    for name in names:
        assert name in text, name
    for row in spec.rows:
        assert " ".join(row.label_nb.split()) in " ".join(text.split()), row.label_nb
    assert formatting.SYNTHETIC_NB.split(" – ")[0] in text
    assert reader.metadata.title == "Boligsosiale kommuneprofiler 2024 – Vestland"
    assert formatting.SYNTHETIC_NB in reader.metadata.subject and reader.metadata.author
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nb-NO" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    # A4 landscape
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((841.89, 595.28), abs=1.5)
    # every font is an embedded TrueType program, none a Type 3 outline font
    fonts = _fonts(reader)
    assert fonts and all(f["/Subtype"] == "/CIDFontType2" for f in fonts)
    assert all("/FontFile2" in f["/FontDescriptor"] for f in fonts)
    # pages follow kommunenr, as index.csv says
    order = [re.search(r"\((\d{4})\)", page.extract_text()).group(1) for page in reader.pages]
    assert order == sorted(keep)


def test_county_pdf_shows_a_hidden_value_as_a_colon_only(tmp_path, catalogue, spec):
    pdfs = render_county_pdfs(*_tables(), catalogue, tmp_path, RELEASE, spec=spec, workers=1)
    assert sorted(p.stem for p in pdfs) == sorted(COUNTIES)
    kinn = PdfReader(tmp_path / "profiles" / "fylke" / "46.pdf").pages[1].extract_text()
    assert "Kinn (4602)" in kinn and "«:» skjult" in kinn and "988" not in kinn
    shown = render_county_pdfs(
        *_tables("shown"), catalogue, tmp_path / "shown", RELEASE, spec=spec, workers=1
    )
    assert "988" in PdfReader(shown[1]).pages[1].extract_text()
    # a stale county's PDF goes
    stale = tmp_path / "profiles" / "fylke" / "99.pdf"
    stale.write_bytes(b"%PDF-old")
    render_county_pdfs(*_tables(), catalogue, tmp_path, RELEASE, spec=spec, workers=1)
    assert not stale.exists()


@pytest.mark.filterwarnings("ignore:Parameter `include_sources`")  # Dagster's selection parser (beta)
def test_the_yearly_job_draws_the_county_pdfs_and_make_run_and_the_suites_runs_do_not():
    import dagster as dg

    from pipelines.definitions import all_assets, defs
    from pipelines.materialize import is_yearly_only
    from pipelines.metadata import QUICK_RUN_SELECTION
    from pipelines.schedules import yearly_update

    pdfs, pages = dg.AssetKey("county_profile_pdfs"), dg.AssetKey("municipality_profiles")
    graph = defs.resolve_asset_graph()
    yearly = yearly_update.selection.resolve(graph)
    quick = dg.AssetSelection.from_string(QUICK_RUN_SELECTION).resolve(graph)
    assert pdfs in yearly and pages in yearly
    assert yearly - quick == {pdfs}  # `make run` leaves out the PDFs and nothing else
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    run_target = makefile[makefile.index("\nrun:") : makefile.index("\nrun-year:")]
    assert f"--select '{QUICK_RUN_SELECTION}'" in run_target
    # the suite's whole runs (pipelines.materialize) leave out the same assets
    assert {key for a in all_assets if is_yearly_only(a) for key in a.keys} == {pdfs}
