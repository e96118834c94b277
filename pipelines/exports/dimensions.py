"""Dimension tables of the star schema, built from the catalogue (no warehouse needed)."""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import DIRECTION_LABELS_NB, KIND_LABELS_NB, UNIT_LABELS_EN, UNIT_LABELS_NB
from pipelines.exports import origin
from pipelines.indicators.compute import base_level


def dim_indicator(catalogue: Catalogue, origins: dict[str, dict[str, int]] | None = None) -> pd.DataFrame:
    """One row per indicator. ``origins`` (indicator → rows per data origin, from the published
    values) decides what ``source_nb`` may say: invented figures are never credited to a source."""
    origins = origins or {}
    return pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "name_nb": i.name_nb,
                "name_en": i.name_en,
                "definition_nb": i.definition_nb,
                "definition_en": i.definition_en,
                "numerator_measure": i.numerator,
                "denominator_measure": i.denominator,
                "factor": float(i.factor),
                "unit": i.unit,
                "unit_nb": UNIT_LABELS_NB[i.unit],
                "unit_en": UNIT_LABELS_EN[i.unit],
                "decimals": i.decimals,
                "direction": i.direction,
                "direction_nb": DIRECTION_LABELS_NB[i.direction],
                "kind": i.kind,
                "kind_nb": KIND_LABELS_NB[i.kind],
                "target_groups": ",".join(i.target_groups),
                "unit_level": base_level(catalogue, i.numerator, i.denominator),
                "source_nb": origin.source_text(i.source_nb, origins.get(i.id, {})),
                "data_origin": origin.origin_code(origins.get(i.id, {})),
                "source_url": i.source_url,
            }
            for i in catalogue.indicators.values()
        ]
    )


def dim_goal(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "goal_key": f"{s.id}:{g.id}",
                "strategy_id": s.id,
                "strategy_name_nb": s.name_nb,
                "strategy_name_en": s.name_en,
                "strategy_first_year": s.first_year,
                "strategy_last_year": s.last_year,
                "baseline_year": s.baseline_year,
                "goal_id": g.id,
                "goal_kind": g.kind,
                "parent_goal_id": g.parent,
                "name_nb": g.name_nb,
                "name_en": g.name_en,
            }
            for s in catalogue.strategies.values()
            for g in s.goals
        ]
    )


def dim_target_group(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "target_group": g.id,
                "name_nb": g.name_nb,
                "name_en": g.name_en,
                "definition_nb": g.definition_nb,
            }
            for g in catalogue.target_groups.values()
        ]
    )


def bridge_indicator_goal(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "goal_key": f"{r.strategy}:{r.goal}",
                "strategy_id": r.strategy,
                "goal_id": r.goal,
            }
            for i in catalogue.indicators.values()
            for r in i.serves
        ]
    )
