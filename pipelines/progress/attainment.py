"""Goal attainment for every strategy × indicator × target group × geography, and roll-ups.

Baseline: the strategy's baseline year (2014 for Bolig for velferd, 2020 for Alle trenger et
trygt hjem) — or, when the series has no value then (a four-yearly survey), the first year with a
value inside the strategy period; the row says which year was used. Current: the latest year with
a value up to the strategy's last year. Only shown values count (missing, not applicable and
suppressed cells are never treated as numbers).
"""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Strategy, Target
from pipelines.progress.method import STATUS_LABELS_NB, STATUS_SCORES, assess, summary_status

ROLLUP_LEVELS = ("land", "fylke")
STATUS_COUNT_COLUMNS = {
    "target_achieved": "n_target_achieved",
    "substantial_progress": "n_substantial_progress",
    "moderate_progress": "n_moderate_progress",
    "limited_progress": "n_limited_progress",
    "deterioration": "n_deterioration",
    "insufficient_data": "n_insufficient_data",
    "not_assessed": "n_not_assessed",
}


def _target_for(targets: list[Target], indicator: str, group: str, strategy: str) -> Target | None:
    return next(
        (t for t in targets if (t.indicator, t.target_group, t.strategy) == (indicator, group, strategy)),
        None,
    )


def goal_attainment(values: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per strategy × indicator × target group × geography with its progress status."""
    shown = values[(values["status"] == "shown") & values["value"].notna()]
    geographies = values[["geo_level", "geo_code", "geo_name"]].drop_duplicates()
    rows = []
    for strategy in catalogue.strategies.values():
        in_period = shown[shown["year"].between(strategy.baseline_year, strategy.last_year)]
        ends = _series_ends(in_period)
        serving = [
            i for i in catalogue.indicators.values() if any(r.strategy == strategy.id for r in i.serves)
        ]
        for indicator in serving:
            for group in indicator.target_groups:
                target = _target_for(catalogue.targets, indicator.id, group, strategy.id)
                rows.extend(_assess_geographies(strategy, indicator, group, target, geographies, ends))
    frame = pd.DataFrame(rows)
    frame["status_nb"] = frame["status"].map(STATUS_LABELS_NB)
    return frame


def _series_ends(frame: pd.DataFrame) -> dict[tuple[str, str, str, str], tuple]:
    """(indicator, group, level, code) → (baseline year, value, current year, value, data origin)."""
    keys = ["indicator_id", "target_group", "geo_level", "geo_code"]
    ordered = frame.sort_values([*keys, "year"])
    grouped = ordered.groupby(keys, sort=False)
    first = grouped[["year", "value"]].first()
    last = grouped[["year", "value", "data_origin"]].last()
    joined = first.join(last, lsuffix="_base", rsuffix="_current")
    return {
        key: (int(by), float(bv), int(cy), float(cv), origin)
        for key, (by, bv, cy, cv, origin) in zip(
            joined.index, joined.itertuples(index=False, name=None), strict=True
        )
    }


def _assess_geographies(
    strategy: Strategy,
    indicator,
    group: str,
    target: Target | None,
    geographies: pd.DataFrame,
    ends: dict[tuple[str, str, str, str], tuple],
) -> list[dict[str, object]]:
    rows = []
    for geo_level, geo_code, geo_name in geographies.itertuples(index=False):
        end = ends.get((indicator.id, group, geo_level, geo_code))
        base_year, base_value, current_year, current_value, origin = end or (None, None, None, None, None)
        target_value = None
        if target is not None:
            if target.value is not None:
                target_value = target.value
            elif base_value is not None:
                target_value = base_value * (1 + target.change)
        progress = assess(
            indicator.direction,
            base_year,
            base_value,
            current_year,
            current_value,
            target_value,
            target.target_year if target is not None else None,
        )
        note = None
        if base_year is not None and base_year != strategy.baseline_year:
            note = (
                f"no value in {strategy.baseline_year}; baseline is the first year with a value ({base_year})"
            )
        rows.append(
            {
                "strategy_id": strategy.id,
                "indicator_id": indicator.id,
                "target_group": group,
                "geo_level": geo_level,
                "geo_code": geo_code,
                "geo_name": geo_name,
                "direction": indicator.direction,
                "baseline_year": base_year,
                "baseline_value": base_value,
                "current_year": current_year,
                "current_value": current_value,
                "target_kind": target.kind if target is not None else None,
                "target_value": target_value,
                "target_year": target.target_year if target is not None else None,
                "observed_cagr": progress.observed_cagr,
                "required_cagr": progress.required_cagr,
                "ratio": progress.ratio,
                "status": progress.status,
                "note": note,
                "data_origin": origin,
            }
        )
    return rows


def goal_rollup(attainment: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Statuses counted per goal and per target group, for the nation and every county.

    A goal's roll-up includes the indicators of its priority areas. Per goal, each indicator
    counts once (its first target group's series); per target group, every indicator series for
    that group counts.
    """
    scope = attainment[attainment["geo_level"].isin(ROLLUP_LEVELS)]
    rows = []
    for strategy in catalogue.strategies.values():
        in_strategy = scope[scope["strategy_id"] == strategy.id]
        main_series = in_strategy[
            in_strategy["target_group"]
            == in_strategy["indicator_id"].map(lambda i: catalogue.indicators[i].target_groups[0])
        ]
        for goal in strategy.goals:
            covered = {goal.id} | {g.id for g in strategy.goals if g.parent == goal.id}
            members = [
                i.id for i in catalogue.indicators.values()
                if any(r.strategy == strategy.id and r.goal in covered for r in i.serves)
            ]  # fmt: skip
            subset = main_series[main_series["indicator_id"].isin(members)]
            rows.extend(_rollup_rows(subset, strategy.id, "goal", goal.id, goal.name_nb))
        for group in catalogue.target_groups.values():
            subset = in_strategy[in_strategy["target_group"] == group.id]
            if not subset.empty:
                rows.extend(_rollup_rows(subset, strategy.id, "target_group", group.id, group.name_nb))
    frame = pd.DataFrame(rows)
    frame["status_nb"] = frame["status"].map(STATUS_LABELS_NB)
    return frame


def _rollup_rows(subset: pd.DataFrame, strategy_id: str, by: str, rollup_id: str, name: str) -> list[dict]:
    rows = []
    for (geo_level, geo_code, geo_name), group in subset.groupby(["geo_level", "geo_code", "geo_name"]):
        counts = group["status"].value_counts()
        scores = [STATUS_SCORES[s] for s in group["status"] if s in STATUS_SCORES]
        row = {
            "strategy_id": strategy_id,
            "rollup_by": by,
            "rollup_id": rollup_id,
            "rollup_name_nb": name,
            "geo_level": geo_level,
            "geo_code": geo_code,
            "geo_name": geo_name,
            "n_series": len(group),
            "n_assessed": len(scores),
            **{column: int(counts.get(status, 0)) for status, column in STATUS_COUNT_COLUMNS.items()},
            "mean_score": sum(scores) / len(scores) if scores else None,
            "status": summary_status(scores),
            "data_origin": _strictest_origin(group["data_origin"]),
        }
        rows.append(row)
    return rows


def _strictest_origin(origins: pd.Series) -> str | None:
    """The origin a roll-up rests on: synthetic if any part is, then file, then ssb."""
    present = set(origins.dropna())
    return next((o for o in ("synthetic", "file", "ssb") if o in present), None)
