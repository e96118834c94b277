"""The declarative catalogue loads, and a broken definition names its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.catalogue import CatalogueError, load_catalogue
from pipelines.paths import ASSETS_DIR

KOSTRA_INDICATORS_IN_DOMAIN_BRIEF = {
    "KOSboligSper10000000",
    "KOSEidavsamlet0000",
    "KOSAndeltilgjeng0000",
    "KOSandelnyavslag0000",
    "KOSantnyinnflytt0000",
    "KOSandnyinnflytt0001",
    "KOSnyinnflyttfly0000",
    "KOSventelistetil0000",
    "KOStotmidlbo0000",
    "KOSandmidlbo14d0000",
    "KOSmidlbobarn0000",
    "KOSandbarn3m0000",
    "KOStotnatt0000",
    "KOSfainansstartp0000",
    "K1179762623P00004792",
}


def test_bundled_catalogue_loads() -> None:
    cat = load_catalogue()
    assert len(cat.indicators) >= 25
    assert set(cat.indicators) >= KOSTRA_INDICATORS_IN_DOMAIN_BRIEF
    assert all(cat.indicators[i].kind == "kostra" for i in KOSTRA_INDICATORS_IN_DOMAIN_BRIEF)
    for indicator in cat.indicators.values():
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            assert numerator in cat.measures
            assert denominator is None or denominator in cat.measures
    assert cat.settings.years[0] == 2014


def test_every_indicator_has_a_headline_target_group_declared_unless_it_has_alle() -> None:
    cat = load_catalogue()
    for indicator in cat.indicators.values():
        assert indicator.headline_group in indicator.target_groups, indicator.id
        if "alle" not in indicator.target_groups:
            assert indicator.headline_target_group is not None, indicator.id
    without_alle = [i for i in cat.indicators.values() if "alle" not in i.target_groups]
    assert len(without_alle) == 20  # the count: each now says which group stands for it


def test_every_goal_priority_area_and_target_group_is_covered() -> None:
    cat = load_catalogue()
    served = {(r.strategy, r.goal) for i in cat.indicators.values() for r in i.serves}
    for strategy in cat.strategies.values():
        for goal in strategy.goals:
            children = {g.id for g in strategy.goals if g.parent == goal.id}
            assert (strategy.id, goal.id) in served or any((strategy.id, c) in served for c in children), (
                goal.id
            )
    groups = {g for i in cat.indicators.values() for g in i.target_groups}
    assert groups == set(cat.target_groups)


def test_official_and_analytical_targets() -> None:
    cat = load_catalogue()
    official = {(t.indicator, t.strategy) for t in cat.targets if t.kind == "official"}
    assert ("KOSandbarn3m0000", "bfv") in official  # RM2
    assert ("bostedslose_per_1000", "atth") in official  # zero vision
    assert ("begjaeringer_fravikelse_per_1000_leie", "bfv") in official  # −50 % yardstick
    assert ("utkastelser_per_1000_leie", "bfv") in official  # −30 % yardstick
    for target in cat.targets:
        if target.kind == "analytical":
            assert target.author and target.reason


@pytest.fixture()
def assets_copy(tmp_path: Path) -> Path:
    target = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, target)
    return target


def _edit(path: Path, key: str, position: int, field: str, value: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        document[key][position].pop(field, None)
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
        ("indicators.yaml", "indicators", "unit", None, r"indicators\[0\] .*unit: Field required"),
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
        (
            "indicators.yaml",
            "indicators",
            "serves",
            [{"strategy": "bfv", "goal": "H9"}],
            r"serves: strategy 'bfv' has no goal 'H9'",
        ),
        (
            "indicators.yaml",
            "indicators",
            "serves",
            [{"strategy": "x", "goal": "H1"}],
            r"serves: unknown strategy 'x'",
        ),
        (
            "indicators.yaml",
            "indicators",
            "group_measures",
            {"unge": {"numerator": "homeless"}},
            r"group_measures.unge: not one of",
        ),
        (
            "indicators.yaml",
            "indicators",
            "denominator",
            None,
            r"denominator: required unless unit is 'count'",
        ),
        (
            "targets.yaml",
            "targets",
            "indicator",
            "nope",
            r"targets\[0\] .*indicator: unknown indicator 'nope'",
        ),
        (
            "targets.yaml",
            "targets",
            "change",
            -0.5,
            r"targets\[0\] .*give exactly one of 'value' and 'change'",
        ),
        ("targets.yaml", "targets", "goal", "Z1", r"targets\[0\] .*goal: strategy 'bfv' has no goal 'Z1'"),
        (
            "indicators.yaml",
            "indicators",
            "headline_target_group",
            "unge",
            r"indicators\[0\] .*headline_target_group: 'unge' is not one of the indicator's target_groups",
        ),
        (
            "indicators.yaml",
            "indicators",
            "target_groups",
            ["unge", "barnefamilier"],
            r"indicators\[0\] .*headline_target_group: required when 'alle' is not one of the target_groups",
        ),
        ("strategies.yaml", "strategies", "baseline_year", "soon", r"strategies\[0\] .*baseline_year"),
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


def test_analytical_target_needs_author_and_reason(assets_copy: Path) -> None:
    path = assets_copy / "targets.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    analytical = next(i for i, t in enumerate(document["targets"]) if t["kind"] == "analytical")
    del document["targets"][analytical]["reason"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        CatalogueError, match=rf"targets.yaml: targets\[{analytical}\] .*needs 'author' and 'reason'"
    ):
        load_catalogue(assets_copy)


def _position(path: Path, key: str, field: str, value: str) -> int:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(i for i, entry in enumerate(document[key]) if entry[field] == value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("earlier_years_note_nb", None, r"earlier_years_note_nb: required with available_from"),
        ("available_from", None, r"earlier_years_note_nb: set only together with available_from"),
        ("available_from", 2014, r"available_from: 2014 must lie after the pipeline's first year 2014"),
        ("available_from", 2031, r"available_from: Input should be less than or equal to 2030"),
        ("available_from", "soon", r"available_from: Input should be a valid integer"),
    ],
)
def test_broken_available_from_names_file_and_field(
    assets_copy: Path, field: str, value: object, expected: str
) -> None:
    """IMDi per municipality from 2022: `available_from` and its Norwegian note come together."""
    path = assets_copy / "sources.yaml"
    position = _position(path, "sources", "id", "refugee_settlement")
    if field == "available_from" and value is None:  # the note alone
        _edit(path, "sources", position, "available_from", None)
    else:
        _edit(path, "sources", position, field, value)
    with pytest.raises(
        CatalogueError, match=rf"sources.yaml: sources\[{position}\] \(refugee_settlement\)\.{expected}"
    ):
        load_catalogue(assets_copy)


def test_a_contract_may_not_accept_years_its_source_does_not_have(assets_copy: Path) -> None:
    path = assets_copy / "contracts.yaml"
    position = _position(path, "contracts", "source", "refugee_settlement")
    _edit(path, "contracts", position, "first_year", 2014)
    with pytest.raises(
        CatalogueError,
        match=rf"contracts.yaml: contracts\[{position}\] \(refugee_settlement\).first_year: 2014 is before "
        r"the source's available_from 2022",
    ):
        load_catalogue(assets_copy)


def test_refugee_settlement_is_available_from_2022_with_a_norwegian_note() -> None:
    source = load_catalogue().sources["refugee_settlement"]
    assert source.available_from == 2022 and source.first_loaded_year == 2022
    assert "fra 2022" in source.earlier_years_note_nb
