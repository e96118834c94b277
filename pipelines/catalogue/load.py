"""Load and validate the catalogue in ``assets/``.

Every problem is reported as a :class:`CatalogueError` whose message names the file and the
field, e.g. ``assets/indicators.yaml: indicators[2] (KOSandbarn3m0000).numerator: unknown
measure 'temp_acc'``, because analysts edit these files by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipelines.catalogue.models import Indicator, Measure, Settings, Source, TargetGroup
from pipelines.paths import ASSETS_DIR, REPO_ROOT

M = TypeVar("M", bound=BaseModel)


class CatalogueError(ValueError):
    """A definition in ``assets/`` is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Catalogue:
    settings: Settings
    sources: dict[str, Source]
    measures: dict[str, Measure]
    target_groups: dict[str, TargetGroup]
    indicators: dict[str, Indicator]

    def measures_of(self, source_id: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.source == source_id]


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _read_list(path: Path, key: str, model: type[M]) -> list[M]:
    where = _display(path)
    if not path.exists():
        raise CatalogueError(f"{where}: file not found")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise CatalogueError(f"{where}: expected a top-level list '{key}:'")
    items: list[M] = []
    for index, raw in enumerate(document[key]):
        label = f"{key}[{index}]"
        if isinstance(raw, dict) and "id" in raw:
            label += f" ({raw['id']})"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: {label}: expected a mapping of fields")
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            raise CatalogueError(f"{where}: {label}.{_describe(exc)}") from exc
    return items


def _index(items: list[M], where: str, key: str) -> dict[str, M]:
    indexed: dict[str, M] = {}
    for position, item in enumerate(items):
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in indexed:
            raise CatalogueError(f"{where}: {key}[{position}].id: duplicate id '{item_id}'")
        indexed[item_id] = item
    return indexed


def _read_settings(path: Path) -> Settings:
    where = _display(path)
    if not path.exists():
        raise CatalogueError(f"{where}: file not found")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        raise CatalogueError(f"{where}: expected a top-level mapping 'settings:'")
    try:
        settings = Settings.model_validate(document["settings"])
    except ValidationError as exc:
        raise CatalogueError(f"{where}: settings.{_describe(exc)}") from exc
    if settings.first_year > settings.last_year:
        raise CatalogueError(f"{where}: settings.first_year: {settings.first_year} is after last_year")
    return settings


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}" for err in exc.errors()
    )


def load_catalogue(assets_dir: Path = ASSETS_DIR) -> Catalogue:
    """Read every definition file and check the references between them."""
    settings = _read_settings(assets_dir / "settings.yaml")
    files = {
        "sources": assets_dir / "sources.yaml",
        "measures": assets_dir / "measures.yaml",
        "target_groups": assets_dir / "target_groups.yaml",
        "indicators": assets_dir / "indicators.yaml",
    }
    models = {"sources": Source, "measures": Measure, "target_groups": TargetGroup, "indicators": Indicator}
    loaded = {
        key: _index(_read_list(path, key, models[key]), _display(path), key) for key, path in files.items()
    }
    catalogue = Catalogue(settings=settings, **loaded)
    _check_references(catalogue, {k: _display(p) for k, p in files.items()})
    return catalogue


def _check_references(cat: Catalogue, where: dict[str, str]) -> None:
    for position, measure in enumerate(cat.measures.values()):
        if measure.source not in cat.sources:
            raise CatalogueError(
                f"{where['measures']}: measures[{position}] ({measure.id}).source: "
                f"unknown source '{measure.source}' (known: {', '.join(sorted(cat.sources))})"
            )
    for position, indicator in enumerate(cat.indicators.values()):
        label = f"{where['indicators']}: indicators[{position}] ({indicator.id})"
        for field in ("numerator", "denominator"):
            measure_id = getattr(indicator, field)
            if measure_id not in cat.measures:
                raise CatalogueError(f"{label}.{field}: unknown measure '{measure_id}'")
            if not cat.measures[measure_id].additive:
                raise CatalogueError(
                    f"{label}.{field}: measure '{measure_id}' is not additive, so it cannot be "
                    "summed to county and national level"
                )
        for group in indicator.target_groups:
            if group not in cat.target_groups:
                raise CatalogueError(
                    f"{label}.target_groups: unknown target group '{group}' "
                    f"(known: {', '.join(cat.target_groups)})"
                )
