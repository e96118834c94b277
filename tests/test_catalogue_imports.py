"""The catalogue is the bottom layer: it may import only itself and ``pipelines.paths``.

Everything else — the inbox, sources, indicators, exports — reads the catalogue, so an import the
other way would make a cycle waiting to happen (the catalogue once took its contract shapes from
the inbox). ``pipelines.paths`` is allowed because the catalogue must find ``assets/`` and
``paths`` itself imports nothing from ``pipelines``; that is checked here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.paths import REPO_ROOT

CATALOGUE = REPO_ROOT / "pipelines" / "catalogue"
ALLOWED = ("pipelines.catalogue", "pipelines.paths")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every import in ``source``, anywhere in it, relative ones made absolute.

    ``from a import b`` is reported as ``a.b``: ``b`` may be a module (``from pipelines import
    inbox``), and if it is a name in ``a`` the check below judges ``a`` the same way.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def outside_imports(source: str, module: str, allowed=ALLOWED, is_package: bool = False) -> list[str]:
    """Imports of a ``pipelines`` module that is not in ``allowed`` (nor inside one of them)."""
    problems = []
    for line, name in imported_modules(source, module, is_package):
        if name != "pipelines" and not name.startswith("pipelines."):
            continue  # the standard library or a third-party package
        if any(name == a or name.startswith(a + ".") for a in allowed):
            continue
        problems.append(f"{module}:{line} imports {name}")
    return problems


def test_the_catalogue_imports_nothing_above_it() -> None:
    files = sorted(CATALOGUE.rglob("*.py"))
    assert len(files) >= 4  # __init__, load, models, contracts: the walk really found the package
    problems = [
        problem
        for path in files
        for problem in outside_imports(
            path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert problems == []


def test_paths_is_really_below_the_catalogue() -> None:
    paths = REPO_ROOT / "pipelines" / "paths.py"
    assert outside_imports(paths.read_text(encoding="utf-8"), "pipelines.paths", allowed=()) == []


@pytest.mark.parametrize(
    "source",
    [
        "from pipelines.inbox.contract import Contract",
        "import pipelines.inbox.read",
        "from pipelines import inbox",
        "from ..inbox import contract",
        "from ..sources.load import load_source",
        "def late():\n    from pipelines.indicators import compute\n",
        "if TYPE_CHECKING:\n    from pipelines.resources import SourceSettings\n",
    ],
)
def test_the_check_catches_an_upward_import(source: str) -> None:
    assert outside_imports(source, "pipelines.catalogue.load") != []


@pytest.mark.parametrize(
    "source",
    [
        "from pipelines.catalogue.models import Source",
        "from pipelines.paths import ASSETS_DIR",
        "from pipelines import paths",
        "from . import models",
        "from .contracts import Contract",
        "import yaml\nfrom pydantic import BaseModel",
    ],
)
def test_the_check_allows_the_catalogue_and_paths(source: str) -> None:
    assert outside_imports(source, "pipelines.catalogue.load") == []
