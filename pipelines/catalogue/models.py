"""Typed shapes of the YAML files in ``assets/``.

Unknown fields are errors (``extra="forbid"``) so that a misspelt key in a YAML file is
reported instead of silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Identifier = str  # validated by pattern where it matters

DataOrigin = Literal["ssb", "file", "synthetic"]
Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
IndicatorKind = Literal["kostra", "strategy_main", "reconstruction"]
Unit = Literal[
    "percent",
    "per_1000_inhabitants",
    "per_1000_households",
    "per_1000_children",
    "count",
    "nok_per_inhabitant",
]

SNAKE_CASE = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Settings(_Strict):
    first_year: int = Field(ge=2014)
    last_year: int = Field(le=2030)
    geography_vintage: int = Field(default=2024, ge=2014, le=2025)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class Survey(_Strict):
    """How a survey source relates to the municipalities it covers.

    ``voluntary``: municipalities choose whether to take part (BrukerPlan). A blank cell means the
    municipality did not take part that year: ``..`` with ``note_nb``, never 0; every aggregate
    says how many took part (``units_reported``).
    ``national_estimate``: the figures are the survey's national estimates (the homelessness
    survey corrects for municipalities that did not answer): marked as estimates with
    ``note_nb``, never apportioned to municipalities or counties. ``about_nb`` says this to readers.
    """

    kind: Literal["voluntary", "national_estimate"]
    about_nb: str = Field(min_length=10)  # what the survey's figures are (report, handbook)
    note_nb: str = Field(min_length=10)  # the note on each gap (voluntary) or estimate
    evidence: str = Field(min_length=3)


class Source(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    producer_nb: str
    url: str
    path: str
    key_columns: list[str] = Field(min_length=2, max_length=2)
    data_origin: DataOrigin | Literal["column"]
    # "row_year": each row's municipality code is the one valid on 1 January of its year (as
    # data are collected); a year (e.g. 2024): every code is valid in that year's borders.
    codes_valid_in: Literal["row_year"] | int = "row_year"
    geo_level: Literal["kommune", "fylke", "land"] = "kommune"
    # Rows outside these years are outside what the pipeline covers; they are counted, not loaded.
    first_year: int | None = None
    last_year: int | None = None
    survey: Survey | None = None
    # The first year the producer publishes at this level (IMDi per municipality: 2022). Earlier
    # years are not available: every measure of the source is staged as missing (`..`) with
    # ``earlier_years_note_nb``, never 0; rows of earlier years in a file are counted, not loaded.
    available_from: int | None = Field(default=None, ge=2014, le=2030)
    earlier_years_note_nb: str | None = Field(default=None, min_length=10)

    @property
    def first_loaded_year(self) -> int | None:
        """The first year whose rows are loaded: the later of ``first_year`` and ``available_from``."""
        years = [y for y in (self.first_year, self.available_from) if y is not None]
        return max(years) if years else None


Confidence = Literal["confirmed", "likely", "unknown"]
TABLE_ID = r"^\d{5}$"


class StatbankContent(_Strict):
    """One statistic of a StatBank table and the source column it fills.

    ``code`` is the ContentsCode; ``null`` while it is unknown, and then ``label_words`` are the
    words its label must contain: discovery lists the candidates, and a live run takes the one
    code whose label has them all and none of ``label_excludes`` (or none, naming the candidates)
    and says so in its metadata.
    ``where`` picks one value of another variable (e.g. ``EierStatus: "4"`` for renters).
    ``factor`` turns SSB's unit into the measure's (1000 kr → kr: 1000). ``first_year``: the
    first year the code has figures (a code introduced later, e.g. 2020); earlier years are ``..``.
    """

    code: str | None = None
    column: str
    confidence: Confidence
    evidence: str = Field(min_length=3)
    label_words: list[str] = Field(default_factory=list)
    label_excludes: list[str] = Field(default_factory=list)  # whole words the label must not have
    where: dict[str, str] = Field(default_factory=dict)
    unit: str | None = None
    decimals: int | None = Field(default=None, ge=0)
    factor: float = 1.0
    first_year: int | None = None


class StatbankTable(_Strict):
    """A StatBank table (or one query of it) that feeds a source in live and cache mode.

    ``table_id`` is null while the table is unknown; ``search`` then holds the words (or KOSTRA
    codes) to look for with ``python -m pipelines.ssb.discover``. ``enabled: false`` keeps a table
    out of live requests: its columns come from the cache, or stay missing (``..``) with a note.
    """

    id: str = Field(pattern=SNAKE_CASE)
    table_id: str | None = Field(default=None, pattern=TABLE_ID)
    confidence: Confidence
    evidence: str = Field(min_length=3)
    enabled: bool = True
    note: str | None = None
    title_nb: str
    search: list[str] = Field(default_factory=list)
    feeds_source: str
    selection: dict[str, list[str]] = Field(default_factory=dict)  # besides ContentsCode
    codelist: dict[str, str] = Field(default_factory=dict)
    output_values: dict[str, Literal["aggregated", "single"]] = Field(default_factory=dict)
    sum_over: list[str] = Field(default_factory=list)  # variables whose selected values are summed
    region_variable: str
    region_prefix: str = ""
    time_variable: str = "Tid"
    year_shift: int = 0  # stored year = time code + year_shift (07459's 1 January Y+1 → 31.12 Y)
    contents: list[StatbankContent] = Field(min_length=1)
    codes_valid_in: Literal["row_year"] | int
    first_year: int | None = None  # the first year the table holds; earlier years are `..`
    last_year: int | None = None  # a closed table's last year
    earlier_years_note: str | None = None  # why years before first_year are missing
    kostra: bool = False  # KOSTRA's cycle: preliminary figures 15 March, final 15 June

    @property
    def known_contents(self) -> list[StatbankContent]:
        return [c for c in self.contents if c.code is not None]

    @property
    def ref(self) -> str:
        return f"statbank:{self.table_id or 'ukjent'}"


class Measure(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    unit: str
    additive: bool
    sensitive: bool = False
    may_be_negative: bool = False  # counts never are; net expenditure can be
    source: str
    column: str
    year_offset: int = 0
    reference_date: str
    frequency: Literal["yearly", "monthly", "four_yearly"]
    years: list[int] | None = None


class TargetGroup(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    definition_nb: str


class SuppressionRules(_Strict):
    min_count: int = Field(ge=1)
    min_complement: int = Field(ge=1)
    min_denominator: int = Field(ge=1)
    # None: no whole-series rule (the interval audit proves protection without it)
    series_share: float | None = Field(default=None, gt=0, le=1)
    protection_level: int = Field(default=5, ge=1)
    # What hiding one cell at a level costs readers, relative to a municipality; a level left
    # out (the nation) is never hidden.
    hiding_cost: dict[str, float] = Field(default_factory=lambda: {"kommune": 1.0})
    max_rounds: int = Field(default=5, ge=1)


class MeasureRelation(_Strict):
    """Σ parts ≤ whole at every geography and year: the parts are disjoint subsets of the whole."""

    parts: list[str] = Field(min_length=1)
    whole: str
    note: str | None = None


class SuppressionOverride(_Strict):
    """Stricter rules for one indicator's numerator (a difference rule belongs to a relation)."""

    min_count: int | None = Field(default=None, ge=1)
    min_denominator: int | None = Field(default=None, ge=1)


class IndicatorChecks(_Strict):
    """Data-quality expectations for an indicator (see pipelines/checks)."""

    plausible_min: float | None = None
    plausible_max: float | None = None
    max_yearly_change_pct: float | None = None  # warn when the national or a county value jumps more


class GoalRef(_Strict):
    strategy: str
    goal: str


class GroupMeasures(_Strict):
    numerator: str | None = None
    denominator: str | None = None


class Indicator(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name_nb: str
    name_en: str
    theme: str = Field(pattern=SNAKE_CASE)  # the indicator's group in the Dagster UI
    definition_nb: str
    definition_en: str
    numerator: str
    denominator: str | None = None
    factor: float = Field(default=1, gt=0)
    unit: Unit
    decimals: int = Field(ge=0, le=3)
    direction: Direction
    target_groups: list[str] = Field(min_length=1)
    # The group a report shows when it shows one series per indicator; None = "alle", allowed only
    # when "alle" is one of target_groups (checked in load.py, which names file and field).
    headline_target_group: str | None = None
    group_measures: dict[str, GroupMeasures] = Field(default_factory=dict)
    kind: IndicatorKind
    source_nb: str
    source_url: str
    serves: list[GoalRef] = Field(min_length=1)
    suppression: SuppressionOverride | None = None
    checks: IndicatorChecks | None = None

    @property
    def headline_group(self) -> str:
        """The declared headline target group, or "alle" when none is declared."""
        return self.headline_target_group or "alle"

    def parts(self, target_group: str) -> tuple[str, str | None]:
        """(numerator, denominator) measure ids for one of the indicator's target groups."""
        override = self.group_measures.get(target_group)
        if override is None:
            return self.numerator, self.denominator
        return override.numerator or self.numerator, override.denominator or self.denominator


class Goal(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9]+$")
    kind: Literal["goal", "priority_area", "result_target"]
    parent: str | None = None
    name_nb: str
    name_en: str


class Strategy(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    first_year: int
    last_year: int
    baseline_year: int
    url: str
    goals: list[Goal] = Field(min_length=1)


class Target(_Strict):
    indicator: str
    target_group: str
    strategy: str
    goal: str
    kind: Literal["official", "analytical"]
    # Either an absolute value or a relative change from the baseline (-0.5 = halve it).
    value: float | None = None
    change: float | None = None
    target_year: int
    source_nb: str
    author: str | None = None  # required for analytical targets: who set it
    reason: str | None = None  # required for analytical targets: why
