"""The indicator handbook (docs/indikatorer.md and .html) is generated from the catalogue and a release."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.catalogue.labels import DIRECTION_LABELS_NB, UNIT_LABELS_NB
from pipelines.charts.style import format_number_nb
from pipelines.handbook import (
    DOCS_DIR,
    HTML_NAME,
    MARKDOWN_NAME,
    ReleaseMissingError,
    read_public_values,
    render_handbook,
    write_handbook,
)
from pipelines.handbook.__main__ import main
from pipelines.paths import ASSETS_DIR

REGENERATE = (
    "is out of date with assets/*.yaml or the pipeline's output: run `make run` and then "
    "`python -m pipelines.handbook` (or `make handbook`), and commit docs/indikatorer.md and "
    "docs/indikatorer.html"
)
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def values(pipeline_run: Path) -> pd.DataFrame:
    return read_public_values(pipeline_run)


@pytest.fixture(scope="module")
def handbook(values: pd.DataFrame) -> dict[str, str]:
    return render_handbook(CATALOGUE, values)


def _md_section(markdown: str, indicator_id: str) -> str:
    start = markdown.index(f'#### <a id="{indicator_id}"></a>')
    end = markdown.find("\n#", start + 1)
    return markdown[start : end if end > 0 else None]


def _block(section: str, start: str, end: str) -> str:
    return section[section.index(start) : section.index(end)]


def _html_section(page: str, indicator_id: str) -> str:
    start = page.index(f'<h4 id="{indicator_id}">')
    end = page.find("<h", start + 1)
    return page[start:end]


# --- (1) the committed handbook is what the catalogue and a fresh run give ------------------------


def test_committed_handbook_is_in_sync_with_catalogue(pipeline_run: Path, tmp_path: Path) -> None:
    written = write_handbook(pipeline_run, tmp_path)
    assert sorted(p.name for p in written) == sorted([MARKDOWN_NAME, HTML_NAME])
    for path in written:
        committed = DOCS_DIR / path.name
        assert committed.is_file(), f"docs/{path.name} is missing: {REGENERATE}"
        assert path.read_bytes() == committed.read_bytes(), f"docs/{path.name} {REGENERATE}"


# --- (2) a catalogue change that is not regenerated makes the sync test fail ----------------------


def test_changed_catalogue_no_longer_matches_committed_handbook(pipeline_run: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, assets)
    indicators = assets / "indicators.yaml"
    text = indicators.read_text(encoding="utf-8")
    old = "    name_nb: Husstander i natthjem\n"
    assert text.count(old) == 1
    indicators.write_text(
        text.replace(old, "    name_nb: Husstander som har brukt natthjem\n"), encoding="utf-8"
    )
    changed = load_catalogue(assets)
    assert changed.indicators["KOStotnatt0000"].name_nb == "Husstander som har brukt natthjem"

    written = write_handbook(pipeline_run, tmp_path / "docs", catalogue=changed)
    for path in written:
        assert path.read_bytes() != (DOCS_DIR / path.name).read_bytes(), path.name
        assert "Husstander som har brukt natthjem" in path.read_text(encoding="utf-8")


# --- (3) every indicator with its formula, unit, direction and latest value ----------------------


def _expected_formulas(indicator_id: str) -> list[tuple[str, ...]]:
    """For each target group: the pieces its formula must show (measure names and ids, factor)."""
    indicator = CATALOGUE.indicators[indicator_id]
    formulas = []
    for group in indicator.target_groups:
        pieces = []
        for measure_id in indicator.parts(group):
            if measure_id is not None:
                pieces += [CATALOGUE.measures[measure_id].name_nb, measure_id]
        if indicator.factor != 1:
            pieces.append(f"× {indicator.factor:g}")
        formulas.append(tuple(pieces))
    return formulas


def _latest_main_value(values: pd.DataFrame, indicator_id: str) -> pd.Series:
    indicator = CATALOGUE.indicators[indicator_id]
    rows = values[
        (values.indicator_id == indicator_id)
        & (values.geo_level == "land")
        & (values.geo_code == "EAK")
        & (values.target_group == indicator.target_groups[0])
        & (values.status == "shown")
    ]
    return rows.sort_values("year").iloc[-1]


@pytest.mark.parametrize("indicator_id", list(CATALOGUE.indicators))
def test_every_indicator_has_formula_unit_direction_and_value(
    handbook: dict[str, str], values: pd.DataFrame, indicator_id: str
) -> None:
    indicator = CATALOGUE.indicators[indicator_id]
    markdown = handbook[MARKDOWN_NAME]
    section = _md_section(markdown, indicator_id)
    assert f"`{indicator_id}`" in section.splitlines()[0]
    assert indicator.name_nb in section and indicator.name_en in section
    assert indicator.definition_nb in section
    formula_lines = _block(section, "- **Formel", "- **Enhet:**").splitlines()
    for pieces in _expected_formulas(indicator_id):
        assert any(all(piece in line for piece in pieces) for line in formula_lines), pieces
    assert f"**Enhet:** {UNIT_LABELS_NB[indicator.unit]}" in section
    assert f"**Retning:** {DIRECTION_LABELS_NB[indicator.direction]}" in section
    for group in indicator.target_groups:
        assert CATALOGUE.target_groups[group].name_nb in section
    for ref in indicator.serves:
        assert f"(#mal-{ref.strategy}-{ref.goal})" in section

    latest = _latest_main_value(values, indicator_id)
    value_line = next(line for line in section.splitlines() if "**Siste nasjonale verdi:**" in line)
    assert f"**{format_number_nb(latest.value, indicator.decimals)}" in value_line
    assert f"({latest.year}," in value_line
    assert ("syntetiske demodata" in value_line) == (latest.data_origin == "synthetic")
    assert latest.data_origin == "synthetic"  # the bundled demo data

    # the index table at the top carries the same value
    row = next(
        line for line in markdown.splitlines() if line.startswith(f"| [{indicator_id}](#{indicator_id})")
    )
    assert f"{format_number_nb(latest.value, indicator.decimals)} ({latest.year})" in row
    assert UNIT_LABELS_NB[indicator.unit] in row and DIRECTION_LABELS_NB[indicator.direction] in row

    html_section = _html_section(handbook[HTML_NAME], indicator_id)
    assert f"<strong>Retning:</strong> {DIRECTION_LABELS_NB[indicator.direction]}" in html_section
    assert f"<strong>Enhet:</strong> {UNIT_LABELS_NB[indicator.unit]}" in html_section


def test_targets_and_sensitive_measures_are_described(handbook: dict[str, str]) -> None:
    markdown = handbook[MARKDOWN_NAME]
    for target in CATALOGUE.targets:
        goals = _block(_md_section(markdown, target.indicator), "- **Tallfestede mål:**", "- **Prikking:**")
        lines = [line for line in goals.splitlines() if f"(#mal-{target.strategy}-{target.goal})" in line]
        assert len(lines) == 1, (target.indicator, target.strategy)
        kind = "**Offisielt mål:**" if target.kind == "official" else "**Analytisk mål (ikke vedtatt):**"
        assert kind in lines[0] and f"innen {target.target_year}" in lines[0]
        assert CATALOGUE.target_groups[target.target_group].name_nb.lower() in lines[0]
        if target.value is not None:
            assert f"{format_number_nb(target.value)}" in lines[0]
        else:
            assert f"{format_number_nb(target.change * 100)}\u00a0% fra utgangsåret" in lines[0]
        if target.kind == "analytical":
            assert target.author in lines[0] and target.reason in lines[0]
    for indicator in CATALOGUE.indicators.values():
        section = _md_section(markdown, indicator.id)
        measures = {m for g in indicator.target_groups for m in indicator.parts(g) if m is not None}
        sensitive = [m for m in measures if CATALOGUE.measures[m].sensitive]
        prikking = section[section.index("**Prikking:**") :]
        if sensitive:
            assert all(f"`{m}`" in prikking for m in sensitive)
            assert f"1–{CATALOGUE.suppression.min_count - 1} skjules" in prikking
        else:
            assert "prikkes ikke" in prikking


def test_latest_value_skips_suppressed_years_and_marks_only_synthetic_data(values: pd.DataFrame) -> None:
    indicator_id = "KOSboligSper10000000"
    national = (values.indicator_id == indicator_id) & (values.geo_level == "land")
    newest = values[national].year.max()
    changed = values.copy()
    hide = national & (changed.year == newest)
    changed.loc[hide, "status"] = "suppressed"
    changed.loc[hide, "value"] = float("nan")
    changed["data_origin"] = "ssb"
    markdown = render_handbook(CATALOGUE, changed)[MARKDOWN_NAME]
    previous = values[national & (values.year == newest - 1)].value.item()
    value_line = next(
        line for line in _md_section(markdown, indicator_id).splitlines() if "Siste nasjonale verdi" in line
    )
    assert f"**{format_number_nb(previous, 1)} per 1000 innbyggere** ({newest - 1}," in value_line
    assert "Statistisk sentralbyrå" in value_line
    assert "syntetiske demodata" not in markdown.lower()


# --- (4) the HTML page is self-contained, valid UTF-8 and well formed --------------------------


VOID = {"meta", "br", "hr", "img", "link", "input", "wbr"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name == "id":
                self.ids.append(value or "")
            if name == "href":
                self.hrefs.append(value or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_html_is_self_contained_valid_utf8_and_well_formed(handbook: dict[str, str]) -> None:
    raw = handbook[HTML_NAME].encode("utf-8")
    page = raw.decode("utf-8", errors="strict")
    assert page.startswith('<!DOCTYPE html>\n<html lang="nb">')
    assert '<meta charset="utf-8">' in page and "<style>" in page
    assert "æ" in page and "ø" in page and "å" in page  # real characters, not entities
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    # nothing is loaded from elsewhere: no scripts, stylesheets, frames, fonts or CSS urls; the only
    # images are the maps the handbook writes beside itself (docs/kart/)
    assert not checker.tags & {
        "script",
        "link",
        "iframe",
        "object",
        "embed",
        "video",
        "audio",
        "source",
    }
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert sources and all(re.fullmatch(r"kart/[A-Za-z0-9_]+\.png", src) for src in sources), sources
    assert page.count("<img ") == len(sources)
    assert not [a for a in checker.attributes if a[1] in {"srcset", "style"} or a[1].startswith("on")]
    assert "@import" not in page and "url(" not in page
    # every in-page link points at an element of the page; ids are unique
    assert len(checker.ids) == len(set(checker.ids))
    internal = {h[1:] for h in checker.hrefs if h.startswith("#")}
    assert internal and internal <= set(checker.ids)
    assert all(h.startswith(("#", "https://")) for h in checker.hrefs)
    assert set(CATALOGUE.indicators) <= set(checker.ids)


def test_markdown_anchors_resolve(handbook: dict[str, str]) -> None:
    markdown = handbook[MARKDOWN_NAME]
    anchors = re.findall(r'<a id="([^"]+)"></a>', markdown)
    assert len(anchors) == len(set(anchors))
    links = set(re.findall(r"\]\(#([^)]+)\)", markdown))
    assert links and links <= set(anchors)
    assert markdown.startswith("<!-- Generert av `python -m pipelines.handbook`")


# --- (5) no release → a clear error ------------------------------------------------------------


def test_missing_release_gives_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ReleaseMissingError, match=r"make run"):
        write_handbook(tmp_path, tmp_path / "docs")
    assert not (tmp_path / "docs").exists()
    assert main([str(tmp_path), "--out", str(tmp_path / "docs")]) == 1
    error = capsys.readouterr().err
    assert "No public release found" in error and "`make run`" in error
    assert str(tmp_path / "exports" / "public" / "latest" / "indicator_values.parquet") in error
