"""The steering report in a real browser: Debian's headless Chromium driven by Playwright.

The report is built from the small warehouse-shaped dataset of tests/test_report.py, opened via
file:// and checked for what only a browser can tell:

- no console errors or page errors, no broken images, and no request for anything but the file
  itself (the charts are data: URIs);
- axe-core (pinned in tests/fixtures/axe, see its README) finds no violation of the WCAG 2.1 A/AA
  rules or the best practices;
- reflow (WCAG 1.4.10): at 320 CSS px nothing scrolls sideways but the data tables, each inside its
  own focusable scroll region;
- print: an A4 PDF holds every table whole (the last column's header is on the page, not cut off
  to the right) and the series and figure data that are collapsed on screen. A copy without the
  print stylesheet fails the same checks, so they are seen to bite.

Screenshots and the PDF go to tests/artifacts/ (git-ignored).

Run it alone:  .venv/bin/pytest tests/test_report_browser.py -q      (skip it: -m "not browser")
It needs /usr/bin/chromium (Debian's `chromium`) and skips without it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from pipelines.catalogue import load_catalogue
from pipelines.geography.levels import dim_geography
from pipelines.maps.build import draw_maps
from pipelines.report import report_content, write_report
from pipelines.report.html import BANNER_TEXT, PRINT_CSS, png_data_uri
from pipelines.report.maps_section import maps_section_body
from pipelines.report.regions_section import regions_section_body
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.test_report import MAP_IDS, RELEASE, build_dataset, findings_bodies, render_charts

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10: 320 CSS px wide

AXE_DIR = Path(__file__).resolve().parent / "fixtures" / "axe"
AXE = AXE_DIR / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_RUN_JS = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"

# A4 portrait minus the margins the print stylesheet sets, in CSS px (96 per inch).
A4_WIDTH_MM = 210
PRINT_MARGIN_MM = int(re.search(r"@page\s*\{[^}]*margin:\s*(\d+)mm", PRINT_CSS).group(1))
PRINT_WIDTH_PX = int((A4_WIDTH_MM - 2 * PRINT_MARGIN_MM) / 25.4 * 96)
PT_PER_MM = 72 / 25.4
# The widest table (goal roll-ups) and its last column; the series tables behind <details>.
LAST_HEADER = "Samlet status"
SERIES_HEADER = "Utgangsverdi"  # only in the series tables, which are collapsed on screen
FIGURE_DATA_CAPTION = "Tallene bak figur 1."

IMAGES_JS = """Array.from(document.images).map(
  i => ({complete: i.complete, width: i.naturalWidth, src: i.src.slice(0, 30)}))"""
# Every table whose right edge lies beyond the page's content width: one that loses columns.
TABLES_OUT_JS = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll('table'))
    .map(t => ({caption: t.caption ? t.caption.textContent : '', right: t.getBoundingClientRect().right}))
    .filter(t => t.right > width + 0.5);
}"""
# Tables not inside a focusable, named scroll region.
UNWRAPPED_JS = """Array.from(document.querySelectorAll('table')).filter(t => {
  const box = t.parentElement;
  return !(box.classList.contains('table-scroll') && box.getAttribute('role') === 'region'
           && box.getAttribute('tabindex') === '0' && box.getAttribute('aria-label'));
}).map(t => t.caption ? t.caption.textContent : t.outerHTML.slice(0, 60))"""
# Elements outside the tables' scroll regions that stick out past the viewport.
STICKING_OUT_JS = """Array.from(document.querySelectorAll('body *'))
  .filter(e => !e.closest('.table-scroll'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
               || (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                   && getComputedStyle(e).overflowX === 'visible'))
  .map(e => e.tagName + (e.className ? '.' + e.className : '') + ': ' + e.textContent.slice(0, 40))"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """(path, content, charts, maps, findings figures) of the report of the test dataset, its chart
    files removed afterwards."""
    tmp = tmp_path_factory.mktemp("report")
    values, attainment, rollup = build_dataset("synthetic")
    charts = render_charts(values, tmp / "charts")
    content = report_content(values, attainment, rollup, load_catalogue())
    # Two maps with their county tables, drawn as the map step draws them: axe, the reflow and the
    # print checks cover the «Kart» section too.
    entries, _ = draw_maps(values, load_catalogue(), tmp / "maps", RELEASE, indicators=list(MAP_IDS), dpi=40)
    maps = maps_section_body(load_catalogue(), entries, tmp / "maps", png_data_uri)
    # The evaluation's findings and the 2018 priorities, judged on the same rows.
    bodies = findings_bodies(values, tmp / "base")
    # A page per statsforvalter region (the dataset has no region values: «..» cells, which still
    # exercise the markup, the print page breaks and the reflow).
    regions = {
        "geography": dim_geography(2024),
        "rollup": rollup[rollup["rollup_by"] == "goal"],
        "values": values,
    }
    bodies["regioner"] = regions_section_body(regions, load_catalogue())
    path = write_report(content, charts, tmp / "base", RELEASE, maps, bodies)
    # The charts and maps were embedded: the report must not need the PNG files any more.
    for chart in charts.values():
        chart.unlink()
    for entry in entries:
        entry.path(tmp / "maps").unlink()
    # each finding's and each measure's figure, with its numbers behind «Tallene bak figuren»
    n_findings = sum(body.count("<figure") for body in bodies.values())
    return path, content, len(charts), len(entries), n_findings


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@needs_chromium
def test_report_renders_offline_without_errors(report, browser) -> None:
    path, content, n_charts, n_maps, n_findings = report
    url = path.resolve().as_uri()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report_{content.year}.png"
    shot.unlink(missing_ok=True)

    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.set_default_timeout(15_000)
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(url, wait_until="load")

        images = page.evaluate(IMAGES_JS)
        assert len(images) == n_charts + n_maps + n_findings
        broken = [i for i in images if not i["complete"] or i["width"] <= 0]
        assert broken == [], broken
        assert all(i["src"].startswith("data:image/png;base64,") for i in images)

        assert page.evaluate("document.documentElement.lang") == "nb"
        assert page.evaluate("document.characterSet") == "UTF-8"
        assert page.title() == f"Styringsinformasjon {content.year}"
        assert page.get_by_text(BANNER_TEXT, exact=True).is_visible()
        # The banner is inside a landmark (the page header).
        assert page.evaluate(
            "!!document.querySelector('.banner').closest('header, main, footer, nav, [role=region]')"
        )
        # Nothing sticks out sideways: wide tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # The series behind a goal open on a click.
        details = page.locator("details").first
        assert not details.locator("table").is_visible()
        details.locator("summary").click()
        assert details.locator("table").is_visible()
        # Each chart has its data table, behind «Tallene bak figuren», and each map behind «Tallene
        # bak kartet».
        figure_data = page.locator("details.figure-data")
        assert figure_data.count() == n_charts + n_maps + n_findings
        assert page.locator("details.figure-data", has_text="Tallene bak kartet").count() == n_maps
        assert not figure_data.first.locator("table").is_visible()
        figure_data.first.locator("summary").click()
        assert figure_data.first.locator("table").is_visible()

        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()

    errors = [(kind, text) for kind, text in console if kind == "error"]
    assert errors == [], errors
    assert page_errors == []
    outside = [u for u in requests if u != url and not u.startswith("data:")]
    assert outside == [], outside
    assert failed == [], failed
    assert url in requests
    assert shot.is_file() and shot.stat().st_size > 10_000, shot
    print(f"  screenshot: {shot}")


def _axe(browser, url: str) -> dict[int, dict]:
    """axe-core's results per viewport width (desktop, then 320 px) for the page at ``url``."""
    # The report's CSP forbids every script, axe's included; the test lifts it for axe alone.
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.add_script_tag(path=str(AXE))
        assert page.evaluate("axe.version") in AXE.read_text(encoding="utf-8")[:40]
        results = {}
        for viewport in (VIEWPORT, NARROW):
            page.set_viewport_size(viewport)
            results[viewport["width"]] = page.evaluate(AXE_RUN_JS, AXE_TAGS)
        return results
    finally:
        context.close()


def _violations(result: dict) -> list[tuple]:
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]]


@needs_chromium
def test_report_has_no_axe_violations(report, browser, tmp_path) -> None:
    """axe-core: WCAG 2.1 A/AA and best practices, at desktop and at 320 px width."""
    path, *_ = report
    results = _axe(browser, path.resolve().as_uri())
    for width, result in results.items():
        assert _violations(result) == [], f"axe at {width} px: {_violations(result)}"
        # the rules did run (a page that failed to load would pass with nothing checked)
        assert len(result["passes"]) > 20
        assert "region" in {r["id"] for r in result["passes"]}
    # at 320 px the wide tables scroll, and their boxes are focusable
    assert "scrollable-region-focusable" in {r["id"] for r in results[NARROW["width"]]["passes"]}

    # The check bites: the banner back outside any landmark, and scroll boxes without tabindex.
    html = path.read_text(encoding="utf-8")
    banner = re.search(r'<p class="banner".*?</p>\n', html).group(0)
    broken = html.replace(banner, "").replace("<body>\n", "<body>\n" + banner)
    broken = broken.replace('class="table-scroll" role="region"', 'class="table-scroll"')
    broken = broken.replace(' tabindex="0">', ">")
    copy = tmp_path / "broken.html"
    copy.write_text(broken, encoding="utf-8")
    results = _axe(browser, copy.resolve().as_uri())
    assert "region" in {v["id"] for v in results[VIEWPORT["width"]]["violations"]}
    assert "scrollable-region-focusable" in {v["id"] for v in results[NARROW["width"]]["violations"]}


@needs_chromium
def test_report_reflows_at_320_px(report, browser) -> None:
    """WCAG 1.4.10: at 320 CSS px the page does not scroll sideways; the wide tables scroll inside
    their own focusable, named region."""
    path, content, *_ = report
    page = browser.new_page(viewport=NARROW)
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        assert page.evaluate(UNWRAPPED_JS) == []
        assert page.evaluate(STICKING_OUT_JS) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # the wide tables really are wider than the screen, and scroll in their box
        scrolling = page.evaluate(
            "Array.from(document.querySelectorAll('.table-scroll'))"
            ".filter(b => b.scrollWidth > b.clientWidth).length"
        )
        assert scrolling >= 4
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report_{content.year}_320px.png"))
    finally:
        page.close()


def _print_checks(page, pdf_path: Path) -> dict:
    """Print media at the A4 content width: the tables sticking out, whether the collapsed series
    and figure data show; then the A4 PDF's text and where the last column's header lies."""
    from pypdf import PdfReader

    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH_PX, "height": 1000})
    out = {
        "tables_out": page.evaluate(TABLES_OUT_JS),
        "series_visible": page.locator("details:not(.figure-data) table").first.is_visible(),
        "figure_data_visible": page.locator("details.figure-data table").first.is_visible(),
    }
    page.pdf(path=str(pdf_path), format="A4")
    reader = PdfReader(pdf_path)
    runs: list[tuple[float, float, str]] = []  # (x of the run's start, page width, text) in pt

    for pdf_page in reader.pages:
        width = float(pdf_page.mediabox.width)

        def visit(text, cm, tm, font, size, width=width):
            if text.strip():
                runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], width, text))

        pdf_page.extract_text(visitor_text=visit)
    # NFKC: Chromium's PDFs write «fi» as a ligature; lines and cells joined by single spaces
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    out["text"] = " ".join(text.split())
    out["pages"] = len(reader.pages)
    out["last_header_x"] = [(x, w) for x, w, t in runs if LAST_HEADER in " ".join(t.split())]
    return out


@needs_chromium
def test_report_prints_whole_tables_on_a4(report, browser, tmp_path) -> None:
    path, content, n_charts, n_maps, n_findings = report
    html = path.read_text(encoding="utf-8")
    assert PRINT_CSS in html
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        printed = _print_checks(page, ARTIFACTS / f"report_{content.year}.pdf")
    finally:
        page.close()
    assert printed["tables_out"] == []
    assert printed["series_visible"] and printed["figure_data_visible"]
    text = printed["text"]
    # every roll-up table's last column is printed, on the page (left of the right margin)
    assert text.count(LAST_HEADER) >= 4, text[:2000]
    assert printed["last_header_x"], "no text run holds the last column's header"
    margin = PRINT_MARGIN_MM * PT_PER_MM
    for x, width in printed["last_header_x"]:
        assert margin - 1 <= x <= width - margin - 20, (x, width)
    # the series (collapsed on screen) and each chart's data table are printed
    assert SERIES_HEADER in text
    assert FIGURE_DATA_CAPTION in text and f"Tallene bak figur {n_charts}." in text
    assert "Samlet status" in text and "For lite data" in text
    print(f"  {printed['pages']} A4 pages: {ARTIFACTS / f'report_{content.year}.pdf'}")

    # The same report without its print stylesheet loses the checks: a wide table runs past the
    # page's right edge (its last column cut off on paper) and the series stay closed.
    bare = tmp_path / "bare.html"
    bare.write_text(html.replace(PRINT_CSS, ""), encoding="utf-8")
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(bare.resolve().as_uri(), wait_until="load")
        unprinted = _print_checks(page, tmp_path / "bare.pdf")
    finally:
        page.close()
    assert any(t["caption"].startswith("Måloppnåelse per mål") for t in unprinted["tables_out"])
    # Chromium leaves the cut-off header out of the PDF: only the county intro's «Samlet status …»
    assert unprinted["text"].count(LAST_HEADER) < 4
    assert not unprinted["series_visible"] and not unprinted["figure_data_visible"]
    assert SERIES_HEADER not in unprinted["text"]
    assert FIGURE_DATA_CAPTION not in unprinted["text"]
