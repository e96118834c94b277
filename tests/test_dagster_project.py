"""The Dagster project as Dagster users and the next maintainers expect it: public APIs only,
one asset per table and per indicator, owners and tiers on every asset, no partitions."""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from pipelines.catalogue import load_catalogue

REPO = Path(__file__).resolve().parent.parent
DEPENDENCIES = ("dagster", "dagster_webserver", "matplotlib", "duckdb", "pandas", "pyarrow", "numpy",
                "highspy", "yaml", "openpyxl", "PIL", "requests", "urllib3", "filelock",
                "jinja2", "pypdf")  # fmt: skip


# --- no private internals -------------------------------------------------------------------------


def private_uses(source: str, filename: str = "<string>") -> list[str]:
    """Imports of `_`-prefixed modules or names from a dependency; `_`-prefixed attributes read from
    a dependency's object (anything not ours); and, in a subclass of a dependency's class, private
    attributes of `self` that the class does not define itself."""
    tree = ast.parse(source, filename)
    found = []
    imported: set[str] = set()  # local names bound to a dependency's module or object
    ours: set[str] = set()  # local names bound to our own modules or objects
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = (alias.asname or alias.name).split(".")[0]
                if alias.name.split(".")[0] in DEPENDENCIES:
                    imported.add(local)
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
                else:
                    ours.add(local)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in DEPENDENCIES:
                if any(part.startswith("_") for part in node.module.split(".")):
                    found.append(f"line {node.lineno}: from {node.module} import …")
                for alias in node.names:
                    imported.add(alias.asname or alias.name)
                    if alias.name.startswith("_"):
                        found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
            else:
                ours.update(alias.asname or alias.name for alias in node.names)
    ours |= _module_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute | ast.Call | ast.Subscript):
                base = base.func if isinstance(base, ast.Call) else base.value
            name = base.id if isinstance(base, ast.Name) else None
            if name in {"self", "cls"} or (name in ours and name not in imported):
                continue
            found.append(f"line {node.lineno}: ….{node.attr} on {name or 'an expression'}")
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        if any(_root(base) in imported for base in cls.bases):
            found.extend(_inherited_private(cls))
    return found


def _inherited_private(cls: ast.ClassDef) -> list[str]:
    """`self._x` in a subclass of a dependency's class, where the class itself does not define `_x`."""
    defined = {n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in ast.walk(cls):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []  # fmt: skip
        defined.update(
            t.attr for t in targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
        )  # fmt: skip
    return [
        f"line {n.lineno}: self.{n.attr} inherited from a dependency's class"
        for n in ast.walk(cls)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
        and n.attr.startswith("_") and not n.attr.startswith("__") and n.attr not in defined
    ]  # fmt: skip


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_names(tree: ast.Module) -> set[str]:
    """Names our module defines at its top level: their private parts are ours."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_the_private_api_detector_catches_what_it_guards_against() -> None:
    assert private_uses("import dagster._daemon.controller as c\nc.DEFAULT = 1")
    assert private_uses("from dagster._core.storage import x")
    assert private_uses("from matplotlib.backends.backend_agg import _x")
    assert private_uses("import matplotlib\nmatplotlib.font_manager._get_font(1)")
    assert private_uses("def f(renderer):\n    return renderer._renderer")
    assert private_uses("def f(storage):\n    storage._forget_connections()")
    subclass = (
        "from matplotlib.backends.backend_agg import RendererAgg\n"
        "class Fast(RendererAgg):\n"
        "    def __init__(self):\n        self._mine = 1\n"
        "    def draw(self, prop):\n        return self._prepare_font(prop), self._mine\n"
    )
    assert private_uses(subclass) == ["line 6: self._prepare_font inherited from a dependency's class"]
    assert not private_uses("from pipelines.charts import indicator_chart as ic\nic._distinct([])")
    assert not private_uses("class A:\n    def f(self):\n        return self._x")
    assert not private_uses("import dagster as dg\ndg.asset")
    assert not private_uses("_CACHE = {}\ndef f():\n    return _CACHE.__len__()")


def test_no_private_internals_in_pipelines() -> None:
    problems = {
        str(path.relative_to(REPO)): uses
        for path in sorted((REPO / "pipelines").rglob("*.py"))
        if (uses := private_uses(path.read_text(encoding="utf-8"), str(path)))
    }
    assert problems == {}


def test_no_dependency_constant_is_patched_and_gone_modules_stay_gone() -> None:
    for gone in ("event_log", "daemon", "dev", "forking", "partitions"):
        assert not (REPO / "pipelines" / f"{gone}.py").exists(), gone
    for path in (REPO / "pipelines").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        assert target.value.id not in DEPENDENCIES, f"{path}: patches {target.value.id}"


# --- the asset graph ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    from pipelines.definitions import defs

    return defs.get_repository_def().asset_graph


def _nodes(graph) -> dict[str, tuple[str, str, set[str]]]:
    """key → (tier, group, upstream keys)."""
    return {
        node.key.to_user_string(): (
            node.tags.get("tier", ""),
            node.group_name,
            {key.to_user_string() for key in node.parent_keys},
        )
        for node in graph.asset_nodes
    }


def tier_violations(nodes: Mapping[str, tuple[str, str, set[str]]]) -> list[tuple[str, str]]:
    """(public asset, internal asset) pairs where the public one reads the internal one directly or
    through other assets, without passing the privacy step."""
    violations = []
    for key, (tier, group, _) in nodes.items():
        if tier != "public" or group == "privacy":
            continue  # the privacy step itself is where internal becomes public
        seen, todo = set(), list(nodes[key][2])
        while todo:
            upstream = todo.pop()
            if upstream in seen:
                continue
            seen.add(upstream)
            up_tier, up_group, up_parents = nodes[upstream]
            if up_group == "privacy":
                continue  # the only door from internal to public
            if up_tier == "internal":
                violations.append((key, upstream))
            todo.extend(up_parents)
    return violations


def test_no_public_product_reads_an_internal_table(graph) -> None:
    nodes = _nodes(graph)
    assert tier_violations(nodes) == []
    # and the check notices a product that skips the privacy step
    leaky = dict(nodes) | {"leaky_chart": ("public", "publication", {"indicator_values"})}
    found = tier_violations(leaky)
    assert ("leaky_chart", "indicator_values") in found and {key for key, _ in found} == {"leaky_chart"}
    sneaky = dict(nodes) | {
        "summary": ("public", "progress", {"goal_attainment_internal"}),
        "sneaky_report": ("public", "publication", {"summary"}),
    }
    assert ("sneaky_report", "goal_attainment_internal") in tier_violations(sneaky)


def test_every_asset_has_owners_a_tier_and_no_partitions(graph) -> None:
    for node in graph.asset_nodes:
        assert node.owners, node.key
        assert node.tags.get("tier") in {"public", "internal"}, node.key
        assert node.partitions_def is None, node.key


def test_every_warehouse_table_asset_is_named_like_its_table(graph) -> None:
    tables = {
        node.key.to_user_string(): node.metadata.get("dagster/table_name")
        for node in graph.asset_nodes
        if "duckdb" in node.kinds
    }
    assert tables and all(name == f"warehouse.main.{key}" for key, name in tables.items()), tables
    for key in ("dim_geography", "stg_measure_values", "indicator_values", "indicator_values_public",
                "suppression_audit", "goal_attainment", "goal_rollup", "goal_rollup_internal"):  # fmt: skip
        assert key in tables, key


def test_one_asset_per_indicator_found_by_its_norwegian_words(graph) -> None:
    catalogue = load_catalogue()
    nodes = {node.key.to_user_string(): node for node in graph.asset_nodes}
    for indicator in catalogue.indicators.values():
        node = nodes[f"indicator_{indicator.id}"]
        assert node.description.splitlines()[0] == f"# {indicator.name_nb}"
        assert node.group_name == f"tema_{indicator.theme}"
        assert "syntetiske" in node.description  # the source is credited for definitions, not demo figures
        assert {"stg_measure_values"} <= {key.to_user_string() for key in node.parent_keys}
        assert {check.name for check in node.check_keys} == {
            "values_within_declared_range",
            "no_large_yearly_jumps",
        }
    titles = " ".join(
        nodes[f"indicator_{i}"].description.splitlines()[0].lower() for i in catalogue.indicators
    )
    for word in ("midlertidig", "bostøtte", "startlån"):
        assert word in titles, word


def test_materialising_one_indicator_needs_only_its_upstream(graph) -> None:
    import dagster as dg

    from pipelines.definitions import defs

    key = dg.AssetKey("indicator_KOStotnatt0000")
    upstream = dg.AssetSelection.assets(key).upstream().resolve(graph)
    names = {k.to_user_string() for k in upstream}
    assert "stg_measure_values" in names and "indicator_values" not in names
    assert not any(n.startswith("indicator_") and n != key.to_user_string() for n in names)
    assert defs is not None


def test_the_code_location_imports_no_matplotlib() -> None:
    """Every Dagster process (webserver, daemon, each run) loads the definitions; only drawing
    steps need matplotlib."""
    import subprocess

    code = "import sys, pipelines.definitions; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
