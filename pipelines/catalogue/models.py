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
    # Rows outside these years are outside what the pipeline covers; they are counted, not loaded.
    first_year: int | None = None
    last_year: int | None = None


class Measure(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    unit: str
    additive: bool
    source: str
    column: str
    year_offset: int = 0
    reference_date: str
    frequency: Literal["yearly", "monthly", "four_yearly"]


class TargetGroup(_Strict):
    id: str = Field(pattern=SNAKE_CASE)
    name_nb: str
    name_en: str
    definition_nb: str


class Indicator(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name_nb: str
    name_en: str
    definition_nb: str
    definition_en: str
    numerator: str
    denominator: str
    factor: float = Field(gt=0)
    unit: Unit
    decimals: int = Field(ge=0, le=3)
    direction: Direction
    target_groups: list[str] = Field(min_length=1)
    kind: IndicatorKind
    source_nb: str
    source_url: str
