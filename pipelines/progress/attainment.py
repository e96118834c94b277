"""Goal attainment for every strategy × indicator × target group × geography, and roll-ups.

Baseline: the strategy's baseline year (2014 for Bolig for velferd, 2020 for Alle trenger et
trygt hjem) — or, when the series has no value then (a four-yearly survey), the first year with a
value inside the strategy period; the row says which year was used. Current: the latest year
with a value up to the strategy's last year. Only shown values count (missing, not applicable
and suppressed cells are never treated as numbers). A relative target is applied to the baseline
by :func:`pipelines.progress.targets.target_value`, the rule the charts draw their target with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Strategy, Target
from pipelines.progress.method import STATUS_LABELS_NB, STATUS_SCORES, assess_frame, summary_status
from pipelines.progress.targets import target_value

ROLLUP_LEVELS = ("land", "statsforvalter", "fylke")
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
    frames = []
    for strategy in catalogue.strategies.values():
        series = _series_for(strategy, catalogue)
        if series.empty:
            continue
        ends = _series_ends(shown[shown["year"].between(strategy.baseline_year, strategy.last_year)])
        grid = series.merge(geographies, how="cross").merge(
            ends, on=["indicator_id", "target_group", "geo_level", "geo_code"], how="left"
        )
        grid["target_value"] = target_value(
            grid["target_absolute"], grid["target_change"], grid["baseline_value"]
        )
        grid["note"] = np.where(
            grid["baseline_year"].notna() & (grid["baseline_year"] != strategy.baseline_year),
            f"no value in {strategy.baseline_year}; baseline is the first year with a value ("
            + grid["baseline_year"].astype("Int64").astype(str)
            + ")",
            None,
        )
        frames.append(grid.join(assess_frame(grid)))
    frame = pd.concat(frames, ignore_index=True)
    for column in ("baseline_year", "current_year", "target_year"):
        frame[column] = frame[column].astype("Int64")
    frame["status_nb"] = frame["status"].map(STATUS_LABELS_NB)
    return frame[ATTAINMENT_COLUMNS]


ATTAINMENT_COLUMNS = [
    "strategy_id", "indicator_id", "target_group", "geo_level", "geo_code", "geo_name", "direction",
    "baseline_year", "baseline_value", "current_year", "current_value", "target_kind", "target_value",
    "target_year", "observed_cagr", "required_cagr", "ratio", "status", "note", "data_origin", "status_nb",
]  # fmt: skip


def _series_for(strategy: Strategy, catalogue: Catalogue) -> pd.DataFrame:
    """The indicator × target group series that serve a strategy, with their targets."""
    rows = []
    for indicator in catalogue.indicators.values():
        if not any(r.strategy == strategy.id for r in indicator.serves):
            continue
        for group in indicator.target_groups:
            target = _target_for(catalogue.targets, indicator.id, group, strategy.id)
            rows.append(
                {
                    "strategy_id": strategy.id,
                    "indicator_id": indicator.id,
                    "target_group": group,
                    "direction": indicator.direction,
                    "target_kind": target.kind if target is not None else None,
                    "target_absolute": target.value if target is not None else None,
                    "target_change": target.change if target is not None else None,
                    "target_year": target.target_year if target is not None else None,
                }
            )
    return pd.DataFrame(rows).astype({"target_absolute": float, "target_change": float, "target_year": float})


def _series_ends(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (indicator, group, level, code): baseline year and value, current year and value, origin."""
    keys = ["indicator_id", "target_group", "geo_level", "geo_code"]
    grouped = frame.sort_values([*keys, "year"]).groupby(keys, sort=False)
    first = grouped[["year", "value"]].first().set_axis(["baseline_year", "baseline_value"], axis=1)
    last = grouped[["year", "value", "data_origin"]].last()
    last.columns = ["current_year", "current_value", "data_origin"]
    return (
        first.join(last)
        .reset_index()
        .astype(
            {"baseline_year": float, "current_year": float, "baseline_value": float, "current_value": float}
        )
    )


def goal_rollup(attainment: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Statuses counted per goal and per target group, for the nation, every statsforvalter region
    and every county.

    ``rollup_by`` says which (goal | target_group) and ``rollup_id`` names it; ``goal_key``
    (``strategy:goal``, as ``dim_goal``) is filled on goal rows only and ``target_group`` on target
    group rows only, so each relates to its dimension on one column.

    A goal's roll-up includes the indicators of its priority areas. Per goal, each indicator
    counts once (the series of its headline target group, ``headline_target_group``); per target
    group, every indicator series for that group counts.
    """
    scope = attainment[attainment["geo_level"].isin(ROLLUP_LEVELS)]
    headline = {i.id: i.headline_group for i in catalogue.indicators.values()}
    members = []  # (strategy, by, rollup id, name, indicator, target group or None = the first)
    for strategy in catalogue.strategies.values():
        for goal in strategy.goals:
            covered = {goal.id} | {g.id for g in strategy.goals if g.parent == goal.id}
            for indicator in catalogue.indicators.values():
                if any(r.strategy == strategy.id and r.goal in covered for r in indicator.serves):
                    members.append((strategy.id, "goal", goal.id, goal.name_nb, indicator.id,
                                    headline[indicator.id]))  # fmt: skip
        in_strategy = scope[scope["strategy_id"] == strategy.id]
        for group in catalogue.target_groups.values():
            for indicator_id in in_strategy.loc[
                in_strategy["target_group"] == group.id, "indicator_id"
            ].unique():
                members.append((strategy.id, "target_group", group.id, group.name_nb, indicator_id, group.id))
    membership = pd.DataFrame(
        members,
        columns=["strategy_id", "rollup_by", "rollup_id", "rollup_name_nb", "indicator_id", "target_group"],
    )
    rollup_keys = ["strategy_id", "rollup_by", "rollup_id", "rollup_name_nb"]
    order = membership[rollup_keys].drop_duplicates().reset_index(drop=True).reset_index(names="rollup_order")
    joined = membership.merge(scope, on=["strategy_id", "indicator_id", "target_group"]).merge(order)
    joined["score"] = joined["status"].map(STATUS_SCORES).astype(float)
    joined["origin_rank"] = joined["data_origin"].map({o: i for i, o in enumerate(ORIGIN_STRICTNESS)})
    keys = ["rollup_order", *rollup_keys, "geo_level", "geo_code", "geo_name"]
    grouped = joined.groupby(keys, sort=True)
    frame = pd.DataFrame(
        {
            "n_series": grouped.size(),
            "n_assessed": grouped["score"].count(),
            "mean_score": grouped["score"].mean(),
            "origin_rank": grouped["origin_rank"].min(),
        }  # fmt: skip
    )
    counts = pd.crosstab([joined[k] for k in keys], joined["status"])
    for status, column in STATUS_COUNT_COLUMNS.items():
        frame[column] = counts[status].astype(int) if status in counts.columns else 0
    frame = frame.reset_index()
    frame["status"] = [summary_status([] if pd.isna(m) else [m]) for m in frame["mean_score"]]
    frame["data_origin"] = frame["origin_rank"].map(dict(enumerate(ORIGIN_STRICTNESS)))
    frame["status_nb"] = frame["status"].map(STATUS_LABELS_NB)
    # One key column per dimension for BI tools (rollup_id mixes goals and target groups):
    # goal_key as dim_goal's on goal rows, target_group as dim_target_group's on group rows.
    by_goal = frame["rollup_by"] == "goal"
    frame["goal_key"] = (frame["strategy_id"] + ":" + frame["rollup_id"]).where(by_goal, None)
    frame["target_group"] = frame["rollup_id"].where(~by_goal, None)
    counted = [*STATUS_COUNT_COLUMNS.values(), "mean_score", "status", "data_origin", "status_nb"]
    columns = [*rollup_keys, "goal_key", "target_group", "geo_level", "geo_code", "geo_name", "n_series",
               "n_assessed", *counted]  # fmt: skip
    return frame[columns]


# The origin a roll-up rests on: synthetic if any part is, then file, then ssb.
ORIGIN_STRICTNESS = ("synthetic", "file", "ssb")
