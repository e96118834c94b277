"""The steering report in a real browser: Debian's headless Chromium driven by Playwright.

The report is built from the small warehouse-shaped dataset of tests/test_report.py, opened via
file:// and checked for what only a browser can tell: no console errors or page errors, no broken
images, and no request for anything but the file itself (the charts are data: URIs). A full-page
screenshot goes to tests/artifacts/report_<year>.png (git-ignored).

Run it alone:  .venv/bin/pytest tests/test_report_browser.py -q      (skip it: -m "not browser")
It needs /usr/bin/chromium (Debian's `chromium`) and skips without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.catalogue import load_catalogue
from pipelines.report import report_content, write_report
from pipelines.report.html import BANNER_TEXT
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.test_report import RELEASE, build_dataset, render_charts

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1280, "height": 900}

IMAGES_JS = """Array.from(document.images).map(
  i => ({complete: i.complete, width: i.naturalWidth, src: i.src.slice(0, 30)}))"""


@needs_chromium
def test_report_renders_offline_without_errors(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    values, attainment, rollup = build_dataset("synthetic")
    charts = render_charts(values, tmp_path / "charts")
    content = report_content(values, attainment, rollup, load_catalogue())
    report = write_report(content, charts, tmp_path / "base", RELEASE)
    # The charts were embedded: the report must not need the PNG files any more.
    for chart in charts.values():
        chart.unlink()
    url = report.resolve().as_uri()

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report_{content.year}.png"
    shot.unlink(missing_ok=True)

    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(15_000)
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(url, wait_until="load")

            images = page.evaluate(IMAGES_JS)
            assert len(images) == len(charts)
            broken = [i for i in images if not i["complete"] or i["width"] <= 0]
            assert broken == [], broken
            assert all(i["src"].startswith("data:image/png;base64,") for i in images)

            assert page.evaluate("document.documentElement.lang") == "nb"
            assert page.evaluate("document.characterSet") == "UTF-8"
            assert page.title() == f"Styringsinformasjon {content.year}"
            assert page.get_by_text(BANNER_TEXT, exact=True).is_visible()
            # Nothing sticks out sideways: wide tables scroll inside their own box.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            # The series behind a goal open on a click.
            details = page.locator("details").first
            details.locator("summary").click()
            assert details.locator("table").is_visible()

            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    errors = [(kind, text) for kind, text in console if kind == "error"]
    assert errors == [], errors
    assert page_errors == []
    outside = [u for u in requests if u != url and not u.startswith("data:")]
    assert outside == [], outside
    assert failed == [], failed
    assert url in requests
    assert shot.is_file() and shot.stat().st_size > 10_000, shot
    print(f"  screenshot: {shot}")
