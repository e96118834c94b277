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

from pipelines.catalogue.contracts import Contract, RecordSource
from pipelines.catalogue.models import (
    Indicator,
    Measure,
    MeasureRelation,
    Settings,
    Source,
    StatbankTable,
    Strategy,
    SuppressionRules,
    Target,
    TargetGroup,
)
from pipelines.paths import ASSETS_DIR, REPO_ROOT

M = TypeVar("M", bound=BaseModel)


class CatalogueError(ValueError):
    """A definition in ``assets/`` is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Catalogue:
    settings: Settings
    suppression: SuppressionRules
    sources: dict[str, Source]
    measures: dict[str, Measure]
    relations: list[MeasureRelation]  # measures.yaml `relations:`: Σ parts ≤ whole
    target_groups: dict[str, TargetGroup]
    indicators: dict[str, Indicator]
    strategies: dict[str, Strategy]
    targets: list[Target]
    statbank: dict[str, StatbankTable]
    contracts: dict[str, Contract]  # by source id
    records: dict[str, RecordSource]

    def measures_of(self, source_id: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.source == source_id]

    def statbank_for(self, source_id: str) -> list[StatbankTable]:
        """The StatBank definitions that feed a source in live/cache mode (none: it stays a file)."""
        return [t for t in self.statbank.values() if t.feeds_source == source_id]

    def measure_level(self, measure_id: str) -> str:
        """The geography level a measure is reported at (that of its source)."""
        return self.sources[self.measures[measure_id].source].geo_level


def display_path(path: Path) -> str:
    """A path as error messages show it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def read_yaml(path: Path, error: type[CatalogueError] = CatalogueError) -> object:
    """A YAML file's document; a missing file or invalid YAML is ``error`` naming the file."""
    where = display_path(path)
    if not path.exists():
        raise error(f"{where}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{where}: not valid YAML: {exc}") from exc


def _read_section(path: Path, key: str, kind: type) -> object:
    """The top-level ``key`` of a YAML file, which must be a ``kind`` (list or dict)."""
    where = display_path(path)
    document = read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get(key), kind):
        shape = "list" if kind is list else "mapping"
        raise CatalogueError(f"{where}: expected a top-level {shape} '{key}:'")
    return document[key]


def _read_list(path: Path, key: str, model: type[M]) -> list[M]:
    where = display_path(path)
    section = _read_section(path, key, list)
    items: list[M] = []
    for index, raw in enumerate(section):
        label = f"{key}[{index}]"
        if isinstance(raw, dict) and "id" in raw:
            label += f" ({raw['id']})"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: {label}: expected a mapping of fields")
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            raise CatalogueError(f"{where}: {label}.{describe_validation(exc)}") from exc
    return items


def _index(items: list[M], where: str, key: str) -> dict[str, M]:
    indexed: dict[str, M] = {}
    for position, item in enumerate(items):
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in indexed:
            raise CatalogueError(f"{where}: {key}[{position}].id: duplicate id '{item_id}'")
        indexed[item_id] = item
    return indexed


def _read_mapping(path: Path, key: str, model: type[M]) -> M:
    section = _read_section(path, key, dict)
    try:
        return model.model_validate(section)
    except ValidationError as exc:
        raise CatalogueError(f"{display_path(path)}: {key}.{describe_validation(exc)}") from exc


def _read_settings(path: Path) -> Settings:
    where = display_path(path)
    settings = _read_mapping(path, "settings", Settings)
    if settings.first_year > settings.last_year:
        raise CatalogueError(f"{where}: settings.first_year: {settings.first_year} is after last_year")
    return settings


def describe_validation(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}" for err in exc.errors()
    )


def load_catalogue(assets_dir: Path = ASSETS_DIR) -> Catalogue:
    """Read every definition file and check the references between them."""
    settings = _read_settings(assets_dir / "settings.yaml")
    suppression = _read_mapping(assets_dir / "suppression.yaml", "suppression", SuppressionRules)
    files = {
        "sources": assets_dir / "sources.yaml",
        "measures": assets_dir / "measures.yaml",
        "target_groups": assets_dir / "target_groups.yaml",
        "indicators": assets_dir / "indicators.yaml",
        "strategies": assets_dir / "strategies.yaml",
        "statbank": assets_dir / "statbank.yaml",
    }
    models = {
        "sources": Source,
        "measures": Measure,
        "target_groups": TargetGroup,
        "indicators": Indicator,
        "strategies": Strategy,
        "statbank": StatbankTable,
    }
    lists = {"statbank": "tables"}  # the YAML key when it differs from the catalogue field
    loaded = {
        key: _index(
            _read_list(path, lists.get(key, key), models[key]), display_path(path), lists.get(key, key)
        )
        for key, path in files.items()
    }
    relations = _read_list(files["measures"], "relations", MeasureRelation)
    files["targets"] = assets_dir / "targets.yaml"
    targets = _read_list(files["targets"], "targets", Target)
    files["contracts"] = assets_dir / "contracts.yaml"
    contracts = {c.source: c for c in _read_list(files["contracts"], "contracts", Contract)}
    where_contracts = display_path(files["contracts"])
    records = _index(_read_list(files["contracts"], "records", RecordSource), where_contracts, "records")
    catalogue = Catalogue(
        settings=settings,
        suppression=suppression,
        targets=targets,
        contracts=contracts,
        records=records,
        relations=relations,
        **loaded,
    )
    _check_references(catalogue, {k: display_path(p) for k, p in files.items()})
    return catalogue


def _check_references(cat: Catalogue, where: dict[str, str]) -> None:
    for position, source in enumerate(cat.sources.values()):
        # a survey's level is part of what it is: national estimates are never apportioned
        needed = {"voluntary": "kommune", "national_estimate": "land"}
        if source.survey is not None and source.geo_level != needed[source.survey.kind]:
            raise CatalogueError(
                f"{where['sources']}: sources[{position}] ({source.id}).survey.kind: "
                f"'{source.survey.kind}' needs geo_level '{needed[source.survey.kind]}', "
                f"not '{source.geo_level}'"
            )
        _check_available_from(cat, source, f"{where['sources']}: sources[{position}] ({source.id})")
    for position, measure in enumerate(cat.measures.values()):
        if measure.source not in cat.sources:
            raise CatalogueError(
                f"{where['measures']}: measures[{position}] ({measure.id}).source: "
                f"unknown source '{measure.source}' (known: {', '.join(sorted(cat.sources))})"
            )
    for position, relation in enumerate(cat.relations):
        _check_relation(cat, relation, f"{where['measures']}: relations[{position}]")
    for position, indicator in enumerate(cat.indicators.values()):
        _check_indicator(cat, indicator, f"{where['indicators']}: indicators[{position}] ({indicator.id})")
    for position, strategy in enumerate(cat.strategies.values()):
        label = f"{where['strategies']}: strategies[{position}] ({strategy.id})"
        goal_ids = [g.id for g in strategy.goals]
        if len(set(goal_ids)) != len(goal_ids):
            raise CatalogueError(f"{label}.goals: duplicate goal id")
        for goal in strategy.goals:
            if goal.parent is not None and goal.parent not in goal_ids:
                raise CatalogueError(f"{label}.goals ({goal.id}).parent: unknown goal '{goal.parent}'")
        if not strategy.first_year <= strategy.last_year:
            raise CatalogueError(f"{label}.first_year: after last_year")
    filled: dict[tuple[str, str], str] = {}
    for position, table in enumerate(cat.statbank.values()):
        _check_statbank_table(cat, table, f"{where['statbank']}: tables[{position}] ({table.id})", filled)
    for position, contract in enumerate(cat.contracts.values()):
        label = f"{where['contracts']}: contracts[{position}] ({contract.source})"
        if contract.source not in cat.sources:
            raise CatalogueError(f"{label}.source: unknown source '{contract.source}'")
        available_from = cat.sources[contract.source].available_from
        if available_from is not None and contract.first_year < available_from:
            raise CatalogueError(
                f"{label}.first_year: {contract.first_year} is before the source's available_from "
                f"{available_from} ({where['sources']}): set first_year: {available_from}, so a file's "
                "earlier rows are quarantined with the reason instead of loaded and then discarded"
            )
        columns = {m.column for m in cat.measures_of(contract.source)}
        for column in contract.columns:
            if column.name not in columns:
                raise CatalogueError(
                    f"{label}.columns.{column.name}: not a measure column of '{contract.source}'"
                )
        names = {c.name for c in contract.columns}
        for relation in contract.relations:
            for side in (relation.smaller, relation.larger):
                if side not in names:
                    raise CatalogueError(f"{label}.relations: '{side}' is not a column of this contract")
    for position, record in enumerate(cat.records.values()):
        if record.feeds_source not in cat.sources:
            raise CatalogueError(
                f"{where['contracts']}: records[{position}] ({record.id}).feeds_source: unknown source "
                f"'{record.feeds_source}'"
            )
    for position, target in enumerate(cat.targets):
        _check_target(cat, target, f"{where['targets']}: targets[{position}] ({target.indicator})")


def _check_available_from(cat: Catalogue, source: Source, label: str) -> None:
    """``available_from`` and ``earlier_years_note_nb`` come together, and the year lies inside the
    source's own years (``first_year``–``last_year``) and after the pipeline's first year."""
    if source.available_from is None:
        if source.earlier_years_note_nb is not None:
            raise CatalogueError(f"{label}.earlier_years_note_nb: set only together with available_from")
        return
    if source.earlier_years_note_nb is None:
        raise CatalogueError(
            f"{label}.earlier_years_note_nb: required with available_from (the Norwegian note shown "
            "for the years before it)"
        )
    first, last = cat.settings.first_year, cat.settings.last_year
    if not first < source.available_from <= last:
        raise CatalogueError(
            f"{label}.available_from: {source.available_from} must lie after the pipeline's first year "
            f"{first} and not after its last year {last} (assets/settings.yaml)"
        )
    if source.first_year is not None and source.available_from <= source.first_year:
        raise CatalogueError(
            f"{label}.available_from: {source.available_from} is not after first_year "
            f"{source.first_year}: drop one of them"
        )
    if source.last_year is not None and source.available_from > source.last_year:
        raise CatalogueError(f"{label}.available_from: {source.available_from} is after last_year")


def _check_relation(cat: Catalogue, relation: MeasureRelation, label: str) -> None:
    for field, ids in (("parts", relation.parts), ("whole", [relation.whole])):
        for measure_id in ids:
            if measure_id not in cat.measures:
                raise CatalogueError(f"{label}.{field}: unknown measure '{measure_id}'")
            if not cat.measures[measure_id].additive:
                raise CatalogueError(f"{label}.{field}: '{measure_id}' is not additive")
    if relation.whole in relation.parts or len(set(relation.parts)) != len(relation.parts):
        raise CatalogueError(f"{label}.parts: a measure appears twice in the relation")
    whole = cat.measures[relation.whole]
    for part in relation.parts:
        if cat.measures[part].unit != whole.unit:
            raise CatalogueError(
                f"{label}.parts: '{part}' is counted in {cat.measures[part].unit}, "
                f"'{whole.id}' in {whole.unit}: a part of a whole is counted in the same unit"
            )
        if cat.measure_level(part) != cat.measure_level(whole.id):
            raise CatalogueError(
                f"{label}.parts: '{part}' is reported per {cat.measure_level(part)}, "
                f"'{whole.id}' per {cat.measure_level(whole.id)}"
            )


def declared_subset(cat: Catalogue, part: str, whole: str) -> bool:
    """True when measures.yaml declares ``part`` as one of the parts of ``whole``."""
    return any(part in r.parts and r.whole == whole for r in cat.relations)


def _check_indicator(cat: Catalogue, indicator: Indicator, label: str) -> None:
    for group in indicator.target_groups:
        if group not in cat.target_groups:
            raise CatalogueError(
                f"{label}.target_groups: unknown target group '{group}' "
                f"(known: {', '.join(cat.target_groups)})"
            )
    if indicator.headline_target_group is None and "alle" not in indicator.target_groups:
        raise CatalogueError(
            f"{label}.headline_target_group: required when 'alle' is not one of the target_groups "
            f"(choose one of: {', '.join(indicator.target_groups)})"
        )
    if indicator.headline_group not in indicator.target_groups:
        raise CatalogueError(
            f"{label}.headline_target_group: '{indicator.headline_group}' is not one of the "
            f"indicator's target_groups ({', '.join(indicator.target_groups)})"
        )
    for group in indicator.group_measures:
        if group not in indicator.target_groups[1:]:
            raise CatalogueError(
                f"{label}.group_measures.{group}: not one of the indicator's target groups after the first"
            )
    for group in indicator.target_groups:
        numerator, denominator = indicator.parts(group)
        for field, measure_id in (("numerator", numerator), ("denominator", denominator)):
            if measure_id is None:
                continue
            where = (
                f"{label}.{field}"
                if group == indicator.target_groups[0]
                else f"{label}.group_measures.{group}"
            )
            if measure_id not in cat.measures:
                raise CatalogueError(f"{where}: unknown measure '{measure_id}'")
            if not cat.measures[measure_id].additive:
                raise CatalogueError(
                    f"{where}: measure '{measure_id}' is not additive, so it cannot be summed to "
                    "county and national level"
                )
    if indicator.denominator is None and indicator.unit != "count":
        raise CatalogueError(f"{label}.denominator: required unless unit is 'count'")
    if indicator.unit == "percent":
        # a share counts a subset of its denominator; the privacy audit needs that as a relation
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            if denominator is not None and not declared_subset(cat, numerator, denominator):
                raise CatalogueError(
                    f"{label}.numerator ({group}): a percentage's numerator '{numerator}' must be "
                    f"declared a part of '{denominator}' under relations: in measures.yaml"
                )
    for ref in indicator.serves:
        strategy = cat.strategies.get(ref.strategy)
        if strategy is None:
            raise CatalogueError(
                f"{label}.serves: unknown strategy '{ref.strategy}' (known: {', '.join(cat.strategies)})"
            )
        if ref.goal not in {g.id for g in strategy.goals}:
            raise CatalogueError(f"{label}.serves: strategy '{ref.strategy}' has no goal '{ref.goal}'")


def check_series_reference(
    cat: Catalogue, indicator_id: str, group: str, label: str, error: type[CatalogueError] = CatalogueError
) -> None:
    """An indicator × target group named in another file (``label.indicator``/``.target_group``):
    the indicator exists and has that target group."""
    indicator = cat.indicators.get(indicator_id)
    if indicator is None:
        raise error(f"{label}.indicator: unknown indicator '{indicator_id}'")
    if group not in indicator.target_groups:
        raise error(
            f"{label}.target_group: '{group}' is not a target group of {indicator_id} "
            f"({', '.join(indicator.target_groups)})"
        )


def _check_target(cat: Catalogue, target: Target, label: str) -> None:
    check_series_reference(cat, target.indicator, target.target_group, label)
    strategy = cat.strategies.get(target.strategy)
    if strategy is None:
        raise CatalogueError(f"{label}.strategy: unknown strategy '{target.strategy}'")
    if target.goal not in {g.id for g in strategy.goals}:
        raise CatalogueError(f"{label}.goal: strategy '{target.strategy}' has no goal '{target.goal}'")
    if (target.value is None) == (target.change is None):
        raise CatalogueError(f"{label}.value: give exactly one of 'value' and 'change'")
    if target.kind == "analytical" and not (target.author and target.reason):
        raise CatalogueError(f"{label}.author: an analytical target needs 'author' and 'reason'")
    if target.target_year <= strategy.baseline_year:
        raise CatalogueError(f"{label}.target_year: must be after the strategy's baseline year")


def _check_statbank_table(
    cat: Catalogue, table: StatbankTable, label: str, filled: dict[tuple[str, str], str]
) -> None:
    """A StatBank definition: a known source and columns, evidence that matches its confidence,
    one border set per source, and no column filled by two definitions."""
    if table.feeds_source not in cat.sources:
        raise CatalogueError(f"{label}.feeds_source: unknown source '{table.feeds_source}'")
    if table.table_id is None:
        if table.confidence != "unknown" or table.enabled:
            raise CatalogueError(
                f"{label}.table_id: null (unknown) needs confidence: unknown and enabled: false"
            )
        if not table.search:
            raise CatalogueError(f"{label}.search: an unknown table needs words to search for")
    if "ContentsCode" in table.selection:
        raise CatalogueError(f"{label}.selection.ContentsCode: give the codes under contents instead")
    for variable in table.sum_over:
        if variable not in table.selection:
            raise CatalogueError(f"{label}.sum_over: '{variable}' is not in the selection")
    columns = {m.column for m in cat.measures_of(table.feeds_source)}
    for index, content in enumerate(table.contents):
        where = f"{label}.contents[{index}]"
        if content.column not in columns:
            raise CatalogueError(
                f"{where}.column: '{content.column}' is not a measure column of source '{table.feeds_source}'"
            )
        if content.code is None and (content.confidence != "unknown" or not content.label_words):
            raise CatalogueError(
                f"{where}.code: null (unknown) needs confidence: unknown and label_words to find it by"
            )
        for variable in content.where:
            if variable not in table.selection:
                raise CatalogueError(f"{where}.where: '{variable}' is not in the selection")
        key = (table.feeds_source, content.column)
        if key in filled:
            raise CatalogueError(f"{where}.column: '{content.column}' is already filled by {filled[key]}")
        filled[key] = table.id
    borders = {t.codes_valid_in for t in cat.statbank_for(table.feeds_source)}
    if len(borders) > 1:
        raise CatalogueError(
            f"{label}.codes_valid_in: the tables feeding '{table.feeds_source}' mix borders "
            f"({sorted(map(str, borders))}); one source has one border set"
        )
