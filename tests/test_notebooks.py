"""The analyst notebooks run against a fresh pipeline output (their code cells, in order)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path("notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, pipeline_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOLIG_OUTPUT_DIR", str(pipeline_run))
    document = json.loads(notebook.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {}
    for cell in document["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)  # noqa: S102
    assert NOTEBOOKS, "no notebooks found"


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS
