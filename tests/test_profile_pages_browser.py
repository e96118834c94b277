"""The municipality profile pages in a real browser (Debian's headless Chromium via Playwright):
what only a browser can tell — the page at 320 px, the skip link, printing, no requests elsewhere.

Run it alone:  .venv/bin/pytest tests/test_profile_pages_browser.py -q -n 0   (skip it: -m "not browser")
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipelines.formatting import SYNTHETIC_NB
from pipelines.profiles import load_profile_spec
from pipelines.profiles.render import render_profiles
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.test_profiles import RELEASE, _national_tables

pytestmark = pytest.mark.browser


@needs_chromium
def test_profile_page_at_320_px_by_keyboard_and_on_paper(tmp_path: Path, catalogue) -> None:
    from playwright.sync_api import sync_playwright

    spec = load_profile_spec(catalogue)  # the bundled profiles.yaml: a full-length page
    values, goals, geography = _national_tables(spec)
    keep = {"4601", "4602"}
    geography = geography[(geography["geo_level"] != "kommune") | geography["geo_code"].isin(keep)]
    result = render_profiles(values, goals, geography, catalogue, tmp_path, RELEASE, spec=spec, dpi=60,
                             workers=1)  # fmt: skip
    url = next(p for p in result.pages if p.stem == "4601").resolve().as_uri()

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 320, "height": 640})
            page.set_default_timeout(15_000)
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url, wait_until="load")

            assert page.evaluate("document.documentElement.lang") == "nb"
            assert page.get_by_text(SYNTHETIC_NB).first.is_visible()
            # nothing sticks out sideways at 320 px: the table scrolls in its own box
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            box = page.locator(".table-scroll")
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")
            assert page.locator("caption").count() == 1
            # the skip link is the first stop of the keyboard and takes it to the content
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip"
            assert page.locator(".skip").is_visible()
            page.keyboard.press("Enter")
            assert page.evaluate("document.activeElement.id") == "innhold"
            # the table's box can be reached and scrolled with the keyboard
            box.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("document.querySelector('.table-scroll').scrollLeft > 0")

            # printed, the whole profile fits one A4 landscape sheet
            pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
            assert len(pdf.pages) == 1
            box_pt = pdf.pages[0].mediabox
            assert float(box_pt.width) > float(box_pt.height)
        finally:
            browser.close()

    assert problems == []
    assert [u for u in requests if u != url] == []  # nothing fetched from elsewhere
