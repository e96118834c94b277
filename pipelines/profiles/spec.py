"""Load and validate ``assets/profiles.yaml``: which indicators a municipality profile shows.

Analysts edit the file by hand, so every problem is a :class:`ProfileSpecError` (a
:class:`~pipelines.catalogue.CatalogueError`) whose message names the file and the field, e.g.
``assets/profiles.yaml: profiles.indicators[3] (KOSxyz).indicator: unknown indicator 'KOSxyz'``.
The catalogue's own loader reads a fixed set of files, so this small loader follows its
conventions instead of extending it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipelines.catalogue import Catalogue, CatalogueError
from pipelines.catalogue.load import describe_validation, display_path, read_yaml
from pipelines.paths import ASSETS_DIR

PROFILES_FILE = ASSETS_DIR / "profiles.yaml"
TOP_KEY = "profiles"


class ProfileSpecError(CatalogueError):
    """``profiles.yaml`` is missing, malformed or refers to something the catalogue lacks."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RawRow(_Strict):
    indicator: str = Field(min_length=1)
    target_group: str | None = None
    label_nb: str | None = Field(default=None, min_length=1, max_length=80)


class _RawProfile(_Strict):
    status_strategies: list[str] = Field(min_length=1)
    source_nb: str | None = Field(default=None, min_length=1)
    indicators: list[dict] = Field(min_length=1)


@dataclass(frozen=True)
class ProfileRow:
    """One row of the profile: an indicator for one target group."""

    indicator: str
    target_group: str
    label_nb: str


@dataclass(frozen=True)
class ProfileSpec:
    rows: tuple[ProfileRow, ...]
    status_strategies: tuple[str, ...]
    source_nb: str


def load_profile_spec(catalogue: Catalogue, path: Path = PROFILES_FILE) -> ProfileSpec:
    """Read ``profiles.yaml`` and check every reference against ``catalogue``."""
    document = read_yaml(Path(path), ProfileSpecError)
    return profile_spec_from_mapping(document, catalogue, display_path(Path(path)))


def profile_spec_from_mapping(document: object, catalogue: Catalogue, where: str) -> ProfileSpec:
    """Validate an already parsed ``profiles.yaml`` document; ``where`` names it in errors."""
    if not isinstance(document, dict) or not isinstance(document.get(TOP_KEY), dict):
        raise ProfileSpecError(f"{where}: expected a top-level mapping '{TOP_KEY}:'")
    try:
        raw = _RawProfile.model_validate(document[TOP_KEY])
    except ValidationError as exc:
        raise ProfileSpecError(f"{where}: {TOP_KEY}.{describe_validation(exc)}") from exc

    for position, strategy in enumerate(raw.status_strategies):
        if strategy not in catalogue.strategies:
            raise ProfileSpecError(
                f"{where}: {TOP_KEY}.status_strategies[{position}]: unknown strategy '{strategy}' "
                f"(known: {', '.join(catalogue.strategies)})"
            )

    rows: list[ProfileRow] = []
    seen: dict[tuple[str, str], int] = {}
    for position, entry in enumerate(raw.indicators):
        label = f"{TOP_KEY}.indicators[{position}]"
        if isinstance(entry, dict) and isinstance(entry.get("indicator"), str):
            label += f" ({entry['indicator']})"
        try:
            row = _RawRow.model_validate(entry)
        except ValidationError as exc:
            raise ProfileSpecError(f"{where}: {label}.{describe_validation(exc)}") from exc
        indicator = catalogue.indicators.get(row.indicator)
        if indicator is None:
            raise ProfileSpecError(f"{where}: {label}.indicator: unknown indicator '{row.indicator}'")
        group = row.target_group or indicator.target_groups[0]
        if group not in catalogue.target_groups:
            raise ProfileSpecError(
                f"{where}: {label}.target_group: unknown target group '{group}' "
                f"(known: {', '.join(catalogue.target_groups)})"
            )
        if group not in indicator.target_groups:
            raise ProfileSpecError(
                f"{where}: {label}.target_group: '{group}' is not a target group of {row.indicator} "
                f"(its groups: {', '.join(indicator.target_groups)})"
            )
        if not any(ref.strategy in raw.status_strategies for ref in indicator.serves):
            raise ProfileSpecError(
                f"{where}: {label}.indicator: {row.indicator} serves none of status_strategies "
                f"({', '.join(raw.status_strategies)}), so it has no progress status"
            )
        key = (row.indicator, group)
        if key in seen:
            raise ProfileSpecError(
                f"{where}: {label}.target_group: {row.indicator} for '{group}' is already "
                f"indicators[{seen[key]}]"
            )
        seen[key] = position
        rows.append(ProfileRow(row.indicator, group, (row.label_nb or indicator.name_nb).strip()))

    if raw.source_nb:
        source = raw.source_nb.strip()
    else:
        sources = dict.fromkeys(catalogue.indicators[r.indicator].source_nb for r in rows)
        source = "; ".join(sources)
    return ProfileSpec(rows=tuple(rows), status_strategies=tuple(raw.status_strategies), source_nb=source)
