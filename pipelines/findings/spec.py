"""Load and validate ``assets/findings.yaml``: the 2020 evaluation's findings and how to test them.

Analysts edit the file by hand, so every problem is a :class:`FindingsSpecError` (a
:class:`~pipelines.catalogue.CatalogueError`) whose message names the file and the field, e.g.
``assets/findings.yaml: findings[2] (startlan_barnefamilier_opp).tests[0].indicator: unknown
indicator 'startlan'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.catalogue import Catalogue, CatalogueError
from pipelines.catalogue.load import check_series_reference, describe_validation, display_path, read_yaml
from pipelines.paths import ASSETS_DIR

FINDINGS_FILE = ASSETS_DIR / "findings.yaml"
SNAKE_CASE = r"^[a-z][a-z0-9_]*$"
# An expected change that contradicts an indicator's direction would call a worsening «støttet».
CONTRADICTS = {"increase": "lower_is_better", "decrease": "higher_is_better"}


class FindingsSpecError(CatalogueError):
    """``findings.yaml`` is missing, malformed or refers to something the catalogue lacks."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evaluation(_Strict):
    title_nb: str = Field(min_length=5)
    authors: str = Field(min_length=3)
    client: str = Field(min_length=3)
    year: int = Field(ge=2014, le=2030)
    method_nb: str = Field(min_length=10)
    urls: list[str] = Field(min_length=1)
    unknown_nb: str = Field(min_length=10)


class Rule(_Strict):
    regional_level: str = "fylke"
    flat_band: float = Field(ge=0, lt=1)
    support_share: float = Field(gt=0, le=1)
    reject_share: float = Field(ge=0, lt=1)
    min_regions_share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Rule:
        if self.reject_share >= self.support_share:
            raise ValueError("reject_share must be below support_share")
        return self


class Period(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    first_year: int = Field(ge=2014, le=2030)
    last_year: int = Field(ge=2014, le=2030)
    label_nb: str = Field(min_length=3)


class BeforeAfter(_Strict):
    periods: list[Period] = Field(min_length=2)
    min_changes: int = Field(ge=1)
    caution_nb: str = Field(min_length=20)


class Series(_Strict):
    """One indicator for one target group."""

    indicator: str = Field(min_length=1)
    target_group: str = Field(min_length=1)


class FindingTest(Series):
    expected: Literal["increase", "decrease"]


class PriorityMeasure(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str = Field(min_length=10)
    name_en: str = Field(min_length=10)
    tests: list[Series] = Field(min_length=1)


class Citation(_Strict):
    where: str | None = None  # chapter or page; null = not known
    basis_nb: str = Field(min_length=5)


class FindingPeriod(_Strict):
    first_year: int = Field(default=2014, ge=2014, le=2030)
    last_year: int = Field(default=2020, ge=2014, le=2030)


class Finding(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    statement_nb: str = Field(min_length=10)
    statement_en: str = Field(min_length=10)
    citation: Citation
    period: FindingPeriod = FindingPeriod()
    tests: list[FindingTest] = Field(default_factory=list)
    untestable_reason_nb: str | None = Field(default=None, min_length=10)

    @property
    def testable(self) -> bool:
        return bool(self.tests)


class FindingsSpec(_Strict):
    evaluation: Evaluation
    rule: Rule
    before_after: BeforeAfter
    priority_measures: list[PriorityMeasure] = Field(min_length=1)
    findings: list[Finding] = Field(min_length=1)

    def finding(self, finding_id: str) -> Finding:
        return next(f for f in self.findings if f.id == finding_id)


def load_findings_spec(catalogue: Catalogue, path: Path = FINDINGS_FILE) -> FindingsSpec:
    """Read ``findings.yaml`` and check every reference against ``catalogue``."""
    document = read_yaml(Path(path), FindingsSpecError)
    return findings_spec_from_mapping(document, catalogue, display_path(Path(path)))


def findings_spec_from_mapping(document: object, catalogue: Catalogue, where: str) -> FindingsSpec:
    """Validate an already parsed ``findings.yaml`` document; ``where`` names it in errors."""
    if not isinstance(document, dict):
        raise FindingsSpecError(f"{where}: expected a mapping with evaluation, rule, before_after, "
                                "priority_measures and findings")  # fmt: skip
    try:
        spec = FindingsSpec.model_validate(document)
    except ValidationError as exc:
        raise FindingsSpecError(f"{where}: {_label(document, exc)}") from exc
    _check_references(spec, catalogue, where)
    return spec


def _label(document: dict, exc: ValidationError) -> str:
    """The first error's path with the entry's id named, as the catalogue's messages do."""
    first = exc.errors()[0]
    parts: list[str] = []
    node: object = document
    for step in first["loc"]:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict) and "id" in node:
                parts[-1] += f" ({node['id']})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return f"{'.'.join(parts) or '(document)'}: {first['msg']}" + (
        f" (and {len(exc.errors()) - 1} more: {describe_validation(exc)})" if len(exc.errors()) > 1 else ""
    )


def _check_series(series: Series, catalogue: Catalogue, label: str) -> None:
    check_series_reference(catalogue, series.indicator, series.target_group, label, FindingsSpecError)


def _check_references(spec: FindingsSpec, catalogue: Catalogue, where: str) -> None:
    years = catalogue.settings
    levels = ("fylke", "statsforvalter")
    if spec.rule.regional_level not in levels:
        raise FindingsSpecError(
            f"{where}: rule.regional_level: '{spec.rule.regional_level}' is not one of {', '.join(levels)}"
        )
    for position, period in enumerate(spec.before_after.periods):
        label = f"{where}: before_after.periods[{position}] ({period.id})"
        if period.first_year > period.last_year:
            raise FindingsSpecError(f"{label}.first_year: after last_year")
        if period.first_year < years.first_year or period.last_year > years.last_year:
            raise FindingsSpecError(
                f"{label}: {period.first_year}–{period.last_year} lies outside the pipeline's years "
                f"{years.first_year}–{years.last_year} (assets/settings.yaml)"
            )
    for position, measure in enumerate(spec.priority_measures):
        for index, series in enumerate(measure.tests):
            _check_series(
                series, catalogue, f"{where}: priority_measures[{position}] ({measure.id}).tests[{index}]"
            )
    seen: set[str] = set()
    for position, finding in enumerate(spec.findings):
        label = f"{where}: findings[{position}] ({finding.id})"
        if finding.id in seen:
            raise FindingsSpecError(f"{label}.id: duplicate id '{finding.id}'")
        seen.add(finding.id)
        if finding.testable == (finding.untestable_reason_nb is not None):
            raise FindingsSpecError(
                f"{label}: give either tests (indicators that test the finding) or "
                "untestable_reason_nb (why the indicators cannot), not both and not neither"
            )
        if finding.period.first_year >= finding.period.last_year:
            raise FindingsSpecError(f"{label}.period.first_year: not before last_year")
        for index, test in enumerate(finding.tests):
            test_label = f"{label}.tests[{index}]"
            _check_series(test, catalogue, test_label)
            direction = catalogue.indicators[test.indicator].direction
            if CONTRADICTS[test.expected] == direction:
                raise FindingsSpecError(
                    f"{test_label}.expected: '{test.expected}' contradicts the indicator's direction "
                    f"'{direction}' (indicators.yaml): a finding of improvement cannot expect a worsening"
                )
