"""The analyst notebooks in ``notebooks/``: committed without outputs, written in Norwegian, and run
(their code cells, in order, in one namespace — no Jupyter kernel needed) against a fresh pipeline
output, reading it without ever leaving a lock on the warehouse.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import matplotlib
import pandas as pd
import pytest

from pipelines.paths import REPO_ROOT
from pipelines.warehouse import warehouse_path

matplotlib.use("Agg")

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
REQUIRED = {"01_mal_og_malgruppe.ipynb", "02_kommuneprofil.ipynb", "03_harmoniser_eget_regneark.ipynb"}
MAX_SECONDS = 20  # the brief says ~10 s each; leave room for a busy shared machine

# Words that give away an English heading, sentence or comment. ("to" is Norwegian for two, "for"
# and "under" are Norwegian too, so they are not here.)
ENGLISH_WORDS = {
    "the", "and", "of", "with", "this", "that", "these", "is", "are", "from", "which", "what", "how",
    "notebook", "overview", "introduction", "summary", "results", "setup", "loading", "step", "chart",
    "shows", "county", "counties", "municipality", "value", "values", "goal", "target", "here",
}  # fmt: skip
NORWEGIAN_WORDS = {"og", "er", "som", "med", "til", "ikke", "det", "en", "på", "av", "fra", "hver"}
NB_NUMBER = re.compile(r"^\u2212?\d{1,3}(\u00a0\d{3})*(,\d+)?$")  # "1 234,5" with a no-break space
SYMBOLS = {":", "..", "."}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def run_notebook(path: Path) -> dict[str, object]:
    """Execute the notebook's code cells in order in one namespace and return the namespace."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    for position, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "code":
            code = compile(source(cell), f"{path.name} [celle {position}]", "exec")
            exec(code, namespace)  # noqa: S102
    return namespace


def assert_warehouse_writable(warehouse: Path) -> None:
    """Open the warehouse for writing, in this process and in another, as the pipeline would.

    A DuckDB connection left open by a notebook (even a read-only one) makes the first fail with a
    configuration conflict and the second with the file lock.
    """
    duckdb.connect(str(warehouse)).close()
    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    result = subprocess.run(
        [sys.executable, "-c", probe, str(warehouse)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"the warehouse is locked after the notebook ran: {result.stderr[-500:]}"


def figure_text(fig) -> str:
    return "\n".join(t.get_text() for t in fig.texts)


def assert_house_figure(fig, min_lines: int) -> None:
    """A chart built on the house style's Agg canvas, with a title, lines and a footer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert isinstance(fig.canvas, FigureCanvasAgg)
    ax = fig.axes[0]
    assert len(ax.lines) >= min_lines
    assert fig.get_suptitle().strip()  # public since matplotlib 3.8
    assert ax.get_ylabel()
    assert "Syntetiske demodata" in figure_text(fig)  # the bundled data are synthetic


# --- what each notebook must have computed -----------------------------------------------------


def check_goal_notebook(ns: dict) -> None:
    from pipelines.progress.method import STATUS_LABELS_NB

    catalogue = ns["catalogue"]
    indicators = ns["indicators"]
    assert len(indicators) >= 2
    for indicator_id in indicators["indikator"]:
        indicator = catalogue.indicators[indicator_id]
        assert ns["malgruppe"] in indicator.target_groups
        assert any(ref.strategy == ns["strategi"] and ref.goal in ns["goal_ids"] for ref in indicator.serves)
    table = ns["value_table"]
    assert list(table.columns) == catalogue.settings.years
    assert table.index[-1] == "Landet" and len(table) == 16  # 15 counties and the nation
    cells = set(table.to_numpy().ravel())
    assert all(NB_NUMBER.match(c) or c in SYMBOLS for c in cells), cells - SYMBOLS
    assert set(ns["status_table"].stack().dropna()) <= set(STATUS_LABELS_NB.values())
    assert ns["png"][:8] == PNG_MAGIC
    fig = ns["fig"]
    assert_house_figure(fig, min_lines=16)
    national = next(line for line in fig.axes[0].lines if line.get_label() == "Landet")
    assert len(national.get_xdata()) == len(catalogue.settings.years)


def check_profile_notebook(ns: dict) -> None:
    assert ns["kommunenr"] == "1103"
    spec = ns["spec"]
    profile = ns["profile"]
    assert list(profile["indicator_id"]) == [r.indicator for r in spec.rows]
    # the comparison-group names were read from the warehouse (read-only), so the lock check means something
    assert len(ns["comparison"]) == 1 and ns["comparison"].loc[0, "kostra_group"] == "EKG12"
    assert ns["kostra_group"] == "EKG12" and "1103" in ns["member_codes"]
    shown = profile[profile["status"] == "shown"]
    assert len(shown) >= len(spec.rows) // 2
    assert shown["kommunen"].notna().all()
    assert all(NB_NUMBER.match(c) or c in SYMBOLS for c in ns["profile_table"]["kommunen"])
    assert len(ns["progress"]) == len(spec.rows)
    assert_house_figure(ns["fig"], min_lines=3)
    assert ns["png"][:8] == PNG_MAGIC
    files = ns["profile_files"]
    if (Path(ns["output_dir"]) / "profiles" / "index.csv").exists():
        # the county PDF is written by the yearly runs only (county_profile_pdfs), so not checked
        assert files["png"].exists() and files["html"].exists()


def check_harmonise_notebook(ns: dict) -> None:
    totals = ns["totals"]
    assert list(totals.index) == [2017, 2019] and totals["bevart"].all()
    harmonised = ns["harmonised"]
    assert {"3301", "5001", "1806", "1875", "4601", "0301"} == set(harmonised["kommunenr"])
    estimates = set(harmonised.loc[harmonised["is_estimate"], "kommunenr"])
    assert estimates == {"1806", "1875"}  # the Tysfjord split, and nothing else
    assert "5001" in ns["error_message"] and "2017" in ns["error_message"]
    quarantine = ns["quarantine"]
    assert list(quarantine["kommunenr"]) == ["5001", "9999", "Drammen"]
    assert quarantine["problem"].str.len().gt(0).all()


def check_first_look_notebook(ns: dict) -> None:
    assert len(ns["national_table"]) == len(ns["indicators"])
    assert len(ns["counties"]) == 15


CHECKS: dict[str, Callable[[dict], None]] = {
    "01_mal_og_malgruppe.ipynb": check_goal_notebook,
    "02_kommuneprofil.ipynb": check_profile_notebook,
    "03_harmoniser_eget_regneark.ipynb": check_harmonise_notebook,
    "indikatorer.ipynb": check_first_look_notebook,
}


# --- the files themselves ----------------------------------------------------------------------


def test_the_notebooks_are_there() -> None:
    names = {p.name for p in NOTEBOOKS}
    assert names >= REQUIRED
    assert names <= set(CHECKS), f"add a check for {names - set(CHECKS)}"
    assert (NOTEBOOK_DIR / "eksempel" / "kommunetall_2017_2019.csv").exists()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_nbformat_4_without_outputs(notebook: Path) -> None:
    document = load(notebook)
    assert document["nbformat"] == 4 and document["nbformat_minor"] >= 4
    assert document["metadata"]["kernelspec"]["language"] == "python"
    ids = []
    for cell in document["cells"]:
        assert cell["cell_type"] in {"code", "markdown", "raw"}
        assert isinstance(cell["metadata"], dict)
        assert isinstance(cell["source"], (list, str))
        if document["nbformat_minor"] >= 5:
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell["id"])
            ids.append(cell["id"])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{notebook.name}: a code cell was committed with outputs"
            assert cell["execution_count"] is None, f"{notebook.name}: a code cell has an execution count"
        else:
            assert "outputs" not in cell and "execution_count" not in cell
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    cells = document["cells"]
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).startswith("# ")
    assert "## Hva denne notatboken viser" in source(cells[0])
    markdown_cells = sum(c["cell_type"] == "markdown" for c in cells)
    assert markdown_cells >= sum(c["cell_type"] == "code" for c in cells) // 2, "explain the steps in text"


def norwegian_prose(document: dict) -> tuple[str, list[str]]:
    """The notebook's prose (markdown without code, and code comments) and its headings."""
    prose, headings = [], []
    for cell in document["cells"]:
        text = source(cell)
        if cell["cell_type"] == "markdown":
            text = re.sub(r"```.*?```", " ", text, flags=re.S)
            text = re.sub(r"`[^`]*`", " ", text)
            headings += [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
            prose.append(text)
        elif cell["cell_type"] == "code":
            prose += [m.group(1) for m in re.finditer(r"#\s?(.*)$", text, flags=re.M)]
    return "\n".join(prose), headings


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_written_in_norwegian(notebook: Path) -> None:
    prose, headings = norwegian_prose(load(notebook))
    assert re.search(r"[æøåÆØÅ]", prose)
    english = english_words(prose)
    assert not english, f"{notebook.name}: English words in the text or comments: {english}"
    words = [w.lower() for w in re.findall(r"[A-Za-zÆØÅæøå]+", prose)]
    assert sum(w in NORWEGIAN_WORDS for w in words) >= 10
    assert len(headings) >= 3
    for heading in headings:
        assert not english_words(heading), heading


def english_words(text: str) -> list[str]:
    return sorted({w.lower() for w in re.findall(r"[A-Za-zÆØÅæøå]+", text)} & ENGLISH_WORDS)


def test_the_language_check_catches_english() -> None:
    document = {
        "cells": [
            {"cell_type": "markdown", "source": "# Overview\n\nThis notebook shows the values."},
            {"cell_type": "code", "source": "x = 1  # load the data"},
        ]
    }
    prose, headings = norwegian_prose(document)
    assert headings == ["Overview"] and english_words(headings[0]) == ["overview"]
    assert english_words(prose) == ["notebook", "overview", "shows", "the", "this", "values"]
    assert not re.search(r"[æøå]", prose)


# --- running them ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebook_output(pipeline_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared pipeline output with a warehouse file of its own (the rest linked): these tests
    open the warehouse for writing to prove that nothing was left open, and a writer would collide
    with the other test worker reading the shared warehouse at that moment."""
    output = tmp_path_factory.mktemp("notebook_output")
    for entry in pipeline_run.iterdir():
        if entry.name.startswith(warehouse_path(pipeline_run).name):
            shutil.copy2(entry, output / entry.name)
        else:
            (output / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return output


@pytest.fixture
def notebook_env(notebook_output: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOLIG_OUTPUT_DIR", str(notebook_output))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(REPO_ROOT)
    return notebook_output


@pytest.mark.slow  # executes whole notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_read_only_on_a_fresh_pipeline_output(notebook: Path, notebook_env: Path) -> None:
    warehouse = warehouse_path(notebook_env)
    assert warehouse.exists()
    before = warehouse.stat()
    open_figures = _pyplot_figures()

    started = time.perf_counter()
    namespace = run_notebook(notebook)
    elapsed = time.perf_counter() - started

    assert elapsed < MAX_SECONDS, f"{notebook.name} took {elapsed:.1f} s"
    after = warehouse.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns), "the warehouse changed"
    assert_warehouse_writable(warehouse)  # nothing left open, not even a read-only connection
    assert _pyplot_figures() == open_figures, "pyplot figures left open"
    CHECKS[notebook.name](namespace)


def _pyplot_figures() -> int:
    if "matplotlib.pyplot" not in sys.modules:
        return 0
    return len(sys.modules["matplotlib.pyplot"].get_fignums())


def test_the_lock_check_catches_a_connection_left_open(notebook_env: Path) -> None:
    warehouse = warehouse_path(notebook_env)
    forgotten = duckdb.connect(str(warehouse), read_only=True)  # what a careless notebook cell does
    try:
        with pytest.raises(duckdb.Error):
            assert_warehouse_writable(warehouse)
    finally:
        forgotten.close()
    assert_warehouse_writable(warehouse)


@pytest.mark.slow  # executes whole notebooks
def test_notebooks_also_run_from_the_notebooks_folder(
    notebook_output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from ``notebooks/`` with a relative output folder, they look one folder up."""
    (tmp_path / "out").symlink_to(notebook_output, target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setenv("BOLIG_OUTPUT_DIR", "out")
    namespace = run_notebook(NOTEBOOK_DIR / "01_mal_og_malgruppe.ipynb")
    assert Path(namespace["output_dir"]) == Path("..") / "out"

    monkeypatch.chdir(NOTEBOOK_DIR)
    namespace = run_notebook(NOTEBOOK_DIR / "03_harmoniser_eget_regneark.ipynb")
    assert namespace["sheet_file"] == Path("eksempel/kommunetall_2017_2019.csv")


@pytest.mark.slow  # executes whole notebooks
def test_the_harmonise_notebook_fails_when_totals_are_not_preserved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook asserts its own claims: a harmonise that loses a household makes it fail."""
    import pipelines.geography as geography

    real = geography.harmonise

    def leaky(frame: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
        result = real(frame, *args, **kwargs)
        if "husstander" in result.columns:
            result.loc[result.index[-1], "husstander"] -= 1
        return result

    monkeypatch.setattr(geography, "harmonise", leaky)
    monkeypatch.chdir(REPO_ROOT)
    with pytest.raises(AssertionError):
        run_notebook(NOTEBOOK_DIR / "03_harmoniser_eget_regneark.ipynb")
