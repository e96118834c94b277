"""End to end through the real Dagster UI: stock `dagster dev` (what `make dev` runs) and headless
Chromium, as an analyst works.

The test starts `dagster dev` in the repository root on a free localhost port with a throwaway
DAGSTER_HOME (a copy of the repo's dagster.yaml) and BOLIG_OUTPUT_DIR. In Debian's Chromium driven by
Playwright it searches for indicators by Norwegian words, opens one, clicks "Materialize all" on the
lineage page — which must start exactly one run — and waits until it has succeeded, asking the
GraphQL API and checking that the run page says the same. Then it opens the indicator again and
finds its national chart in the metadata, and checks the outputs on disk.

Screenshots go to tests/artifacts/ (git-ignored): the search, the asset graph before the click,
the run page after it, the indicator with its chart, and the page at the moment of a failure.

Run it alone:  .venv/bin/pytest -m browser -q -s      (skip it: -m "not browser")
It needs /usr/bin/chromium (Debian's `chromium`; .ci/run installs it) and skips without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.exports.public import SPREADSHEETS_ENV
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = pytest.mark.browser


REPO_ROOT = Path(__file__).resolve().parent.parent

SERVER_TIMEOUT = 60  # s until /server_info answers
# s from the click until every launched run has succeeded; "Materialize all" also draws the county
# PDFs of the profiles (county_profile_pdfs), which `make run` leaves out
RUN_TIMEOUT = 420
# What the last click → success took is written here for `make bench` (the ratio to `make run`).
TIMING_FILE = Path(__file__).resolve().parent / "artifacts" / "ui_materialize_all.json"

RUN_OK = {"SUCCESS"}
RUN_BAD = {"FAILURE", "CANCELED", "CANCELING"}
BACKFILL_OK = {"COMPLETED_SUCCESS", "COMPLETED"}
BACKFILL_BAD = {"FAILED", "FAILING", "CANCELED", "CANCELING", "COMPLETED_FAILED"}

STATUS_QUERY = """
{
  runsOrError {
    __typename
    ... on Runs { results { runId status creationTime startTime endTime tags { key value } } }
    ... on PythonError { message }
  }
  partitionBackfillsOrError {
    __typename
    ... on PartitionBackfills { results { id status timestamp numPartitions } }
    ... on PythonError { message }
  }
}
"""

# The latest observation of one asset, as the asset's page asks for it.
OBSERVATION_QUERY = """
query Observation($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset { assetObservations(limit: 1) { metadataEntries { label } } }
  }
}
"""
RUN_ERRORS_QUERY = """
query ($runId: ID!) {
  logsForRun(runId: $runId, limit: 2000) {
    ... on EventConnection {
      events { __typename ... on MessageEvent { message } ... on ErrorEvent { error { message } } }
    }
  }
}
"""


# ---------------------------------------------------------------------------------------------
# make dev (webserver + daemon)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _default_signals() -> None:
    # Started from a background job without job control, we inherit SIGINT (and maybe SIGTERM) as
    # ignored, and `make dev` would not stop on them. Give the child the default handlers back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop `make dev` and everything it started (its own process group): SIGINT, then SIGKILL."""
    for sig, grace in ((signal.SIGINT, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # The leader may be gone while a child lingers: make sure the whole group is.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextmanager
def dagster_dev(tmp_path: Path, output_dir: Path) -> Iterator[str]:
    """Stock `dagster dev` (webserver + daemon) on a free localhost port; yields its base URL."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    inbox = tmp_path / "inbox"  # empty: the inbox sensor must not start runs of its own
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOLIG_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), BOLIG_OUTPUT_DIR=str(output_dir), BOLIG_INBOX_DIR=str(inbox))
    # The quick-run setting a user may set too (README): the release without its Excel workbook and
    # CSV files, which tests/test_spreadsheet.py checks; what this test is about is the UI's run.
    env[SPREADSHEETS_ENV] = "0"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "dagster_dev.log"
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_signals,  # safe: no threads in this process yet
        )
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"make dev exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"{base_url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"make dev did not answer in {SERVER_TIMEOUT} s:\n{_tail(log_path)}")
            time.sleep(0.5)
        print(f"\nmake dev up at {base_url} (pid {proc.pid}, log {log_path})")
        yield base_url
    except BaseException:
        print(f"\n--- make dev log (tail) ---\n{_tail(log_path)}")
        raise
    finally:
        _stop_group(proc)


# ---------------------------------------------------------------------------------------------
# GraphQL


def graphql(base_url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{base_url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        payload = json.load(response)
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def run_errors(base_url: str, run_id: str) -> str:
    """The error messages of a run's event log, to say why it failed."""
    data = graphql(base_url, RUN_ERRORS_QUERY, {"runId": run_id})
    events = (data.get("logsForRun") or {}).get("events") or []
    messages = [f"{e['__typename']}: {e['error']['message'].strip()}" for e in events if e.get("error")]
    return "\n".join(messages[-5:]) or "(no error events)"


def status(base_url: str) -> tuple[list[dict], list[dict]]:
    data = graphql(base_url, STATUS_QUERY)
    runs, backfills = data["runsOrError"], data["partitionBackfillsOrError"]
    assert runs["__typename"] == "Runs", runs
    assert backfills["__typename"] == "PartitionBackfills", backfills
    return runs["results"], backfills["results"]


def wait_for_success(base_url: str, started: float) -> tuple[list[dict], list[dict]]:
    """Poll until every run (and backfill) the click launched has succeeded; fail on the first bad one.

    The instance is fresh and the inbox empty, so every run and backfill on it comes from the click.
    """
    deadline = started + RUN_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        runs, backfills = status(base_url)
        summary = (
            [(r["runId"][:8], r["status"]) for r in runs],
            [(b["id"], b["status"]) for b in backfills],
        )
        if summary != last:
            print(f"  {time.monotonic() - started:6.1f} s  runs={summary[0]} backfills={summary[1]}")
            last = summary
        for run in runs:
            if run["status"] in RUN_BAD:
                pytest.fail(
                    f"run {run['runId']} ended {run['status']}:\n{run_errors(base_url, run['runId'])}"
                )
        for backfill in backfills:
            if backfill["status"] in BACKFILL_BAD:
                pytest.fail(f"backfill {backfill['id']} ended {backfill['status']}")
        runs_done = bool(runs) and all(r["status"] in RUN_OK for r in runs)
        backfills_done = all(b["status"] in BACKFILL_OK for b in backfills)
        if runs_done and backfills_done:
            return runs, backfills
        time.sleep(0.5)
    pytest.fail(f"not every run succeeded within {RUN_TIMEOUT} s after the click: {last}")


# ---------------------------------------------------------------------------------------------
# the test


def _screenshot(page, name: str) -> Path:
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    print(f"  screenshot: {path}")
    return path


def _dismiss_welcome(page) -> None:
    """A fresh instance greets the first visitor with a "Join the Dagster community" dialog."""
    skip = page.get_by_role("button", name="Skip", exact=True)
    try:
        skip.wait_for(state="visible", timeout=4_000)
    except Exception:  # it is not always shown
        return
    skip.click()
    skip.wait_for(state="hidden")


def _check_run_page(page, base_url: str, run_id: str) -> None:
    """The run page's status tag (next to the run id in the header) says Success."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/runs/{run_id}")
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=30_000)
    for bad in ("Failure", "Canceled", "Canceling"):
        expect(page.get_by_text(bad, exact=True)).to_have_count(0)


def _guide_screenshots(page, base_url: str) -> list[Path]:
    """The pages the analysts' guide (docs/analytikerveiledning.md) shows, after a successful run:
    the charts asset with its preview, the staging asset's checks, and the schedules and sensor."""
    from playwright.sync_api import expect

    shots = []
    page.goto(f"{base_url}/assets/indicator_charts")
    expect(page.get_by_text("preview", exact=True).first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1_000)
    shots.append(_screenshot(page, "ui_charts_asset.png"))
    # The preview is Markdown with thumbnails as data: URIs; the UI must show them as images.
    page.get_by_text("Show Markdown").last.click()
    thumbnails = page.get_by_role("dialog").locator("img[src^='data:image/png;base64,']")
    expect(thumbnails.first).to_be_visible(timeout=30_000)
    widths = thumbnails.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) >= 3 and all(0 < w <= 360 for w in widths), widths  # trend, fylker, kostragrupper
    page.wait_for_timeout(1_000)  # the dialog fades in
    shots.append(_screenshot(page, "ui_chart_preview.png"))
    page.keyboard.press("Escape")
    page.goto(f"{base_url}/assets/stg_measure_values?view=checks")
    expect(page.get_by_text("every_municipality_every_year").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1_000)
    shots.append(_screenshot(page, "ui_checks.png"))
    page.goto(f"{base_url}/automation")
    expect(page.get_by_text("kostra_final_figures").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    shots.append(_screenshot(page, "ui_automation.png"))
    return shots


def _search(page, base_url: str, word: str) -> list[str]:
    """Dagster's search (the "Search" entry in the side bar) for ``word``: the result texts."""
    from playwright.sync_api import expect

    # From the run list, a page that names no assets: every asset name on it is a search result.
    page.goto(f"{base_url}/runs")
    _dismiss_welcome(page)
    page.get_by_role("button", name=re.compile(r"Search$")).click()
    page.wait_for_timeout(1_000)  # the search box opens with the focus in it
    page.keyboard.type(word)
    expect(page.get_by_text("Asset in boligsosial").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    return page.locator("body").inner_text().splitlines()


def _find_indicators_by_norwegian_words(page, base_url: str) -> Path:
    """«midlertidig», «bostøtte» and «startlån» find indicator assets and their theme groups."""
    texts = _search(page, base_url, "midlertidig")
    assert any(t.startswith("indicator_midlertidig") for t in texts), texts
    assert "tema_midlertidig_botilbud" in " ".join(texts), texts
    shot = _screenshot(page, "ui_search.png")
    page.keyboard.press("Escape")
    for word, asset in (("bostøtte", "indicator_bostotte_per_1000_husholdninger"),
                        ("startlån", "indicator_startlan_per_1000")):  # fmt: skip
        texts = _search(page, base_url, word)
        assert asset in texts, (word, texts)
        page.keyboard.press("Escape")
    # open one from the search: its page starts with the Norwegian title
    _search(page, base_url, "bostøtte")
    page.get_by_text("indicator_bostotte_per_1000_husholdninger", exact=True).first.click()
    expect_heading = page.get_by_text("Husstander med bostøtte per 1000 husholdninger").first
    expect_heading.wait_for(timeout=30_000)
    return shot


def _indicator_chart(page, base_url: str) -> Path:
    """After the run, the indicator's page shows its latest national value and its chart."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/assets/indicator_KOSandbarn3m0000")
    expect(page.get_by_text("national_chart").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("latest_national_value").first).to_be_visible()
    return _markdown_picture(page, page.get_by_text("national_chart").first, 300, "ui_indicator_chart.png")


def _markdown_picture(page, label, min_width: int, shot_name: str) -> Path:
    """Open the Markdown of the metadata row whose label is ``label``, see its embedded PNG at least
    ``min_width`` px wide, take the screenshot ``shot_name`` and close the dialog."""
    from playwright.sync_api import expect

    label.locator("xpath=ancestor::tr").get_by_text("Show Markdown").click()
    picture = page.get_by_role("dialog").locator("img[src^='data:image/png;base64,']")
    expect(picture.first).to_be_visible(timeout=30_000)
    assert picture.first.evaluate("img => img.naturalWidth") >= min_width
    page.wait_for_timeout(800)
    shot = _screenshot(page, shot_name)
    page.keyboard.press("Escape")
    return shot


def _indicator_map(page, base_url: str) -> Path:
    """The map step records each indicator's map on the indicator's own asset (an observation drawn
    from the published values): the UI's server serves it, and the asset's events show it."""
    from playwright.sync_api import expect

    data = graphql(base_url, OBSERVATION_QUERY, {"path": ["indicator_KOSandbarn3m0000"]})
    [observation] = data["assetOrError"]["assetObservations"]
    labels = {entry["label"] for entry in observation["metadataEntries"]}
    assert {"map", "map_alt_text", "map_year"} <= labels, labels
    page.goto(f"{base_url}/assets/indicator_KOSandbarn3m0000?view=events")
    expect(page.get_by_text("map_alt_text").first).to_be_visible(timeout=30_000)
    return _markdown_picture(page, page.get_by_text("map", exact=True).first, 200, "ui_indicator_map.png")


def _finding(page, base_url: str) -> Path:
    """Each finding of the 2020 evaluation is a metadata entry of `finding_verdicts`: the analyst
    opens it and sees the statement, the verdict with its synthetic-data note and the numbers. (The
    UI shows a short entry inline and a long one behind «Show Markdown».)"""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/assets/finding_verdicts?view=events")
    label = page.get_by_text("funn: midlertidig_botilbud_ned", exact=True).first
    expect(label).to_be_visible(timeout=30_000)
    row = label.locator("xpath=ancestor::tr")
    button = row.get_by_text("Show Markdown")
    shown = row
    if button.count():
        button.click()
        shown = page.get_by_role("dialog")
    expect(shown.get_by_text("Syntetiske demodata", exact=False).first).to_be_visible(timeout=30_000)
    expect(shown.get_by_text("Vurdering:", exact=False).first).to_be_visible()
    expect(
        shown.locator("td", has_text="Husstander i midlertidig botilbud i mer enn 3 måneder").first
    ).to_be_visible()
    page.wait_for_timeout(500)
    shot = _screenshot(page, "ui_finding.png")
    page.keyboard.press("Escape")
    return shot


@needs_chromium
def test_materialize_all_from_the_ui(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("ui_*.png"):
        old.unlink()
    output_dir = tmp_path / "out"
    output_dir.mkdir()

    with dagster_dev(tmp_path, output_dir) as base_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            search = _find_indicators_by_norwegian_words(page, base_url)
            page.goto(f"{base_url}/asset-groups")
            materialize = page.get_by_role("button", name="Materialize all")
            materialize.wait_for()
            _dismiss_welcome(page)
            page.wait_for_timeout(1_500)  # let the graph lay out for the picture
            before = _screenshot(page, "ui_asset_graph_before.png")

            started = time.monotonic()
            materialize.click()
            page.get_by_text(re.compile(r"Launched (\d+ )?runs?")).first.wait_for(timeout=30_000)
            runs, backfills = wait_for_success(base_url, started)
            seconds = time.monotonic() - started
            assert len(runs) == 1 and backfills == [], (runs, backfills)  # one run, no backfill
            server_span = runs[0]["endTime"] - runs[0]["creationTime"]
            print(f"  click → success: {seconds:.1f} s (run created → ended {server_span:.1f} s)")
            TIMING_FILE.write_text(json.dumps({"click_to_success_seconds": round(seconds, 1)}))

            # What the UI shows must be what is true.
            _check_run_page(page, base_url, runs[0]["runId"])
            page.wait_for_timeout(1_000)
            after = _screenshot(page, "ui_run_after.png")
            guide = [search, _indicator_chart(page, base_url), _indicator_map(page, base_url)]
            guide.append(_finding(page, base_url))
            guide += _guide_screenshots(page, base_url)
        except BaseException:
            try:
                _screenshot(page, "ui_failure.png")
            except Exception as exc:
                print(f"  (no failure screenshot: {exc})")
            raise
        finally:
            browser.close()

    # Outputs on disk (make dev is stopped: nothing holds the warehouse now).
    warehouse = output_dir / "warehouse.duckdb"
    assert warehouse.is_file() and warehouse.stat().st_size > 0, warehouse
    parquet = output_dir / "exports" / "public" / "latest" / "indicator_values.parquet"
    assert parquet.is_file(), parquet
    rows = pq.ParquetFile(parquet).metadata.num_rows
    assert rows > 0, f"{parquet} has no rows"
    charts = sorted((output_dir / "charts").glob("*.png"))
    assert charts, f"no PNG charts in {output_dir / 'charts'}"
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", chart
    print(f"  outputs: {warehouse.name}, indicator_values.parquet ({rows} rows), {len(charts)} charts")

    for shot in (before, after, *guide):
        assert shot.is_file() and shot.stat().st_size > 10_000, f"{shot} missing or trivial"
    print(f"  artifacts: {before}\n             {after}")
    # `make screenshots` sets this to refresh the pictures in the analysts' guide.
    if target := os.environ.get("BOLIG_GUIDE_SCREENSHOTS"):
        for shot in ARTIFACTS.glob("ui_*.png"):
            if shot.name != "ui_failure.png":
                shutil.copy(shot, Path(target) / shot.name)
