"""The declarative catalogue loads, and a broken definition names its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.catalogue import CatalogueError, load_catalogue
from pipelines.paths import ASSETS_DIR


def test_bundled_catalogue_loads() -> None:
    cat = load_catalogue()
    assert {
        "KOSboligSper10000000",
        "KOSAndeltilgjeng0000",
        "KOSandelnyavslag0000",
        "KOSandbarn3m0000",
    } <= set(cat.indicators)
    for indicator in cat.indicators.values():
        assert indicator.numerator in cat.measures
        assert indicator.denominator in cat.measures
    assert cat.settings.years[0] == 2014


@pytest.fixture()
def assets_copy(tmp_path: Path) -> Path:
    target = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, target)
    return target


def _edit(path: Path, key: str, position: int, field: str, value: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        del document[key][position][field]
    else:
        document[key][position][field] = value
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "key", "field", "value", "expected"),
    [
        (
            "indicators.yaml",
            "indicators",
            "numerator",
            "no_such_measure",
            r"indicators\[0\] .*numerator: unknown measure 'no_such_measure'",
        ),
        ("indicators.yaml", "indicators", "unit", "per_banana", r"indicators\[0\] .*unit"),
        ("indicators.yaml", "indicators", "direction", "up", r"indicators\[0\] .*direction"),
        (
            "indicators.yaml",
            "indicators",
            "target_groups",
            ["pensjonister"],
            r"target_groups: unknown target group 'pensjonister'",
        ),
        ("indicators.yaml", "indicators", "factor", None, r"indicators\[0\] .*factor: Field required"),
        (
            "indicators.yaml",
            "indicators",
            "nummerator",
            "typo",
            r"indicators\[0\] .*nummerator: Extra inputs",
        ),
        (
            "measures.yaml",
            "measures",
            "source",
            "nowhere",
            r"measures\[0\] .*source: unknown source 'nowhere'",
        ),
        ("measures.yaml", "measures", "additive", "maybe", r"measures\[0\] .*additive"),
    ],
)
def test_broken_definition_names_file_and_field(
    assets_copy: Path, file: str, key: str, field: str, value: object, expected: str
) -> None:
    _edit(assets_copy / file, key, 0, field, value)
    with pytest.raises(CatalogueError, match=rf"{file}: .*{expected}"):
        load_catalogue(assets_copy)


def test_duplicate_indicator_id_is_rejected(assets_copy: Path) -> None:
    path = assets_copy / "indicators.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["indicators"].append(dict(document["indicators"][0]))
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        CatalogueError, match=r"indicators.yaml: indicators\[\d+\].id: duplicate id 'KOSboligSper10000000'"
    ):
        load_catalogue(assets_copy)


def test_non_additive_measure_cannot_be_a_numerator(assets_copy: Path) -> None:
    _edit(assets_copy / "measures.yaml", "measures", 0, "additive", False)
    with pytest.raises(CatalogueError, match="is not additive"):
        load_catalogue(assets_copy)


def test_invalid_yaml_is_reported_with_file(assets_copy: Path) -> None:
    (assets_copy / "indicators.yaml").write_text("indicators: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match="indicators.yaml: not valid YAML"):
        load_catalogue(assets_copy)
