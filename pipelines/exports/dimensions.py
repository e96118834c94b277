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
                "headline_target_group": i.headline_group,
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


BRIDGE_LINKS = ("direct", "via_subgoal")


def bridge_indicator_goal(catalogue: Catalogue) -> pd.DataFrame:
    """Which goals each indicator serves: the goals declared in ``serves`` (``link`` = ``direct``)
    and every ancestor of those goals — the main goal over a priority area or result target —
    (``via_subgoal``), once per indicator × goal. A goal both declared and inherited is ``direct``.
    Without the inherited rows, a report filtered on a main goal (H1–H3) would show nothing."""
    rows: dict[tuple[str, str, str], str] = {}
    for indicator in catalogue.indicators.values():
        for ref in indicator.serves:
            rows[(indicator.id, ref.strategy, ref.goal)] = "direct"
        for ref in indicator.serves:
            for ancestor in _ancestors(catalogue, ref.strategy, ref.goal):
                rows.setdefault((indicator.id, ref.strategy, ancestor), "via_subgoal")
    return pd.DataFrame(
        [
            {
                "indicator_id": indicator_id,
                "goal_key": f"{strategy}:{goal}",
                "strategy_id": strategy,
                "goal_id": goal,
                "link": link,
            }
            for (indicator_id, strategy, goal), link in rows.items()
        ],
        columns=["indicator_id", "goal_key", "strategy_id", "goal_id", "link"],
    )


def _ancestors(catalogue: Catalogue, strategy_id: str, goal_id: str) -> list[str]:
    """The parent of a goal, its parent, and so on (none for a main goal)."""
    parents = {g.id: g.parent for g in catalogue.strategies[strategy_id].goals}
    found: list[str] = []
    parent = parents.get(goal_id)
    while parent is not None and parent not in found:
        found.append(parent)
        parent = parents.get(parent)
    return found
