"""Suppress small counts about vulnerable people so that none can be read or recovered.

The unit of protection is the measure cell (one measure at one geography in one year): a hidden
cell is null in every indicator row that would show it, whatever the row's status, and open
statistics that are not about vulnerable people (population, children, households) are never
hidden.

1. Primary (`primary.py`): a sensitive count of 1 … min_count−1; a whole − parts difference of
   a declared relation of 1 … min_complement−1 (all but a few, or a group against «alle»); all of
   a small group over a sensitive denominator below min_denominator. Each is a *target*.
2. Optional whole-series rule (``series_share``; off unless set).
3. Secondary and audit, per family of related measures and year: the interval an attacker can
   prove for every target from everything published (hierarchy sums, declared relations,
   counts ≥ 0 and integral) is computed by linear programming; while a target's interval is
   narrower than ``protection_level`` or lies inside 1 … min_count−1, the cheapest further cells
   that let it move are hidden (`cover.py`), and the audit runs again. A run that cannot protect
   every target within ``max_rounds`` stops with an error.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import SuppressionRules
from pipelines.privacy.cells import CELL_KEY, ROLES, measure_cells, role_cells, series_parts
from pipelines.privacy.cover import Cover
from pipelines.privacy.hierarchy import sum_relations
from pipelines.privacy.intervals import HiddenCells
from pipelines.privacy.primary import Target, primary_flags, series_flags
from pipelines.privacy.system import FamilyCell, Problem, build_problem, measure_families
from pipelines.privacy.workers import solve_all

AUDIT_COLUMNS = [
    "year", "measure_id", "relation", "geo_level", "geo_code", "reason",
    "value", "low", "high", "width", "exact", "protected", "rounds",
]  # fmt: skip

# Bump when `protect` changes what it returns, so remembered answers are not reused.
PROTECT_VERSION = "2"


class ProtectionError(RuntimeError):
    """Secondary suppression could not protect every target."""


@dataclass(frozen=True)
class SuppressionResult:
    internal: pd.DataFrame  # indicator rows with `suppression` (primary/secondary) and `suppression_reason`
    public: pd.DataFrame  # indicator rows: hidden cells nulled, status 'suppressed'
    cells: pd.DataFrame  # every hidden measure cell with its reason
    audit: pd.DataFrame  # one row per target: the interval an attacker can prove
    summary: dict[str, object] = field(default_factory=dict)  # audit figures for metadata and QC
    memo: dict[str, dict] = field(default_factory=dict)  # answers per input fingerprint used


def protected(low: float, high: float, rules: SuppressionRules) -> bool:
    """Wide enough, and not inside 1 … min_count−1."""
    return high - low >= rules.protection_level and not (low >= 1 and high <= rules.min_count - 1)


def _required_high(low: float, rules: SuppressionRules) -> float:
    high = low + rules.protection_level
    return max(high, rules.min_count) if low >= 1 else high


def protect(
    problem: Problem,
    hidden: np.ndarray,
    targets: list[tuple[dict[int, float], float]],
    rules: SuppressionRules,
    cost: np.ndarray,
) -> tuple[np.ndarray, list[tuple[float, float, bool]], int]:
    """Hide further cells until every target (objective, true value) is protected.

    Returns the final hidden mask, each target's interval (low, high, exact) and the number of
    audit rounds. Hiding more only widens intervals, so a target once protected stays protected
    and later rounds audit only the rest.
    """
    hidden = hidden.copy()
    intervals: list[tuple[float, float, bool]] = [(0.0, 0.0, False)] * len(targets)
    todo = list(range(len(targets)))
    cover: Cover | None = None
    for round_number in range(1, rules.max_rounds + 1):
        attacker = HiddenCells(problem, hidden)
        found = attacker.certify([targets[i][0] for i in todo], lambda lo, hi: protected(lo, hi, rules))
        for i, interval in zip(todo, found, strict=True):
            intervals[i] = interval
        todo = [i for i in todo if not protected(*intervals[i][:2], rules)]
        if not todo:
            return hidden, intervals, round_number
        if round_number == rules.max_rounds:
            break
        cover = cover or Cover(problem, cost)
        moves = np.zeros((len(todo), problem.values.size))  # this round's deviations, one per row
        found_moves = 0
        for i in todo:
            objective, value = targets[i]
            rise = _required_high(intervals[i][0], rules) - value
            # a deviation found for another target may already move this one far enough (the
            # next round's audit confirms it either way)
            cells, coefficients = list(objective), np.array(list(objective.values()))
            if found_moves and (moves[:found_moves, cells] @ coefficients >= rise - 1e-9).any():
                continue
            found = cover.cells_for(objective, rise, hidden)
            if found is None:
                raise ProtectionError(
                    _describe(problem, objective, intervals[i], "no hideable cell lets it move")
                )
            added, move = found
            moves[found_moves] = move
            found_moves += 1
            hidden[added] = True
    i = todo[0]
    raise ProtectionError(
        _describe(problem, targets[i][0], intervals[i], f"still exposed after {rules.max_rounds} rounds")
    )


def _describe(problem: Problem, objective: dict[int, float], interval: tuple[float, float], why: str) -> str:
    terms = " ".join(
        f"{'+' if c > 0 else '−'} {problem.cells[i][0]} {problem.cells[i][1]} {problem.cells[i][2]}"
        for i, c in objective.items()
    )
    return (
        f"cannot protect {terms.lstrip('+ ')} in {problem.year}: an attacker can prove it lies in "
        f"[{interval[0]:g}, {interval[1]:g}] and {why}"
    )


def fingerprint(
    problem: Problem, hidden: np.ndarray, targets: list, rules: SuppressionRules, key: str
) -> str:
    """What `protect` depends on: cells and values, relations, primary cells, targets and rules."""
    digest = hashlib.sha256(f"{PROTECT_VERSION}|{key}|{rules.model_dump_json()}|{problem.year}|".encode())
    for cell, value, is_hidden in zip(problem.cells, problem.values, hidden, strict=True):
        digest.update(f"{'/'.join(cell)}={value!r}{'*' if is_hidden else ''};".encode())
    for row in (problem.equal, problem.at_most):
        digest.update(row.row.tobytes() + row.col.tobytes() + row.coef.tobytes())
    digest.update(repr(targets).encode())
    return digest.hexdigest()


# Answers of this process's recent runs, by fingerprint: a second run over the same inputs in one
# process (a notebook, the direct path, tests) reuses them like the warehouse memo.
_RECENT: dict[str, dict] = {}
RECENT_ANSWERS = 2_000


def _remember(answers: dict[str, dict]) -> None:
    _RECENT.update(answers)
    for stale in list(_RECENT)[: max(0, len(_RECENT) - RECENT_ANSWERS)]:
        del _RECENT[stale]


def hiding_costs(problem: Problem, rules: SuppressionRules, uses: dict[str, int]) -> np.ndarray:
    """What hiding each cell costs readers: the rows it blanks, dearer at coarser levels and for
    larger values (a small cell loses the least information)."""
    return np.array(
        [
            rules.hiding_cost.get(level, math.inf) * uses.get(measure, 1) * (1 + math.log1p(value))
            for (measure, level, _), value in zip(problem.cells, problem.values, strict=True)
        ]
    )


def secondary_cells(
    cells: pd.DataFrame,
    flags: pd.DataFrame,
    targets: list[Target],
    catalogue: Catalogue,
    dim_geography: pd.DataFrame,
    uses: dict[str, int],
    memo: dict[str, dict] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object], dict[str, dict]]:
    """Secondary cells, the audit of every target, summary figures, and the memo answers used."""
    started = time.perf_counter()
    memo = {**_RECENT, **(memo or {})}
    rules = catalogue.suppression
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    levels = {m: catalogue.measure_level(m) for m in catalogue.measures}
    hierarchy = {level: sum_relations(dim_geography, level) for level in ("kommune", "fylke", "land")}
    key = hashlib.sha256(repr((hierarchy, catalogue.relations)).encode()).hexdigest()
    flagged = set(flags[CELL_KEY].itertuples(index=False, name=None))
    targets_by = {}
    for target in targets:
        targets_by.setdefault((target.measures[0], target.year), []).append(target)
    by_measure_year = {k: g for k, g in cells.groupby(["measure_id", "year"])}
    jobs = []  # (fingerprint, problem, hidden, targets, objectives)
    violated = broken = 0
    for measures, relations in measure_families(catalogue):
        if not set(measures) & sensitive:
            continue
        years = sorted({year for (m, year) in by_measure_year if m in measures})
        for year in years:
            values: dict[FamilyCell, float] = {}
            for measure in measures:
                frame = by_measure_year.get((measure, year))
                if frame is not None:
                    values.update(
                        zip(zip([measure] * len(frame), frame.geo_level, frame.geo_code, strict=True),
                            frame.value.astype(float), strict=True)
                    )  # fmt: skip
            family_targets = [t for m in measures for t in targets_by.get((m, year), [])]
            hidden_cells = {c for c in values if (*c, year) in flagged}
            if not family_targets and not hidden_cells:
                continue
            problem = build_problem(
                year, values, relations, hierarchy, levels, sensitive,
                set(rules.hiding_cost),
            )  # fmt: skip
            violated += problem.violated_relations
            broken += problem.broken_sums
            index = problem.index()
            hidden = np.array([c in hidden_cells for c in problem.cells], dtype=bool)
            objectives = [({index[c]: k for c, k in t.terms}, t.value) for t in family_targets]
            print_key = fingerprint(problem, hidden, objectives, rules, key)
            jobs.append((print_key, problem, hidden, family_targets, objectives))
    fresh = {print_key for print_key, *_ in jobs if print_key not in memo}
    missing = [
        (problem, hidden, objectives, rules, hiding_costs(problem, rules, uses))
        for print_key, problem, hidden, _, objectives in jobs
        if print_key in fresh
    ]
    answers = iter(solve_all(_answer, missing, size=lambda job: len(job[2])))
    added: list[tuple[str, str, str, int]] = []
    audit: list[tuple] = []
    used: dict[str, dict] = {}
    for print_key, problem, _, family_targets, _ in jobs:
        answer = next(answers) if print_key in fresh else memo[print_key]
        used[print_key] = answer
        year = problem.year
        added.extend((*cell, year) for cell in map(tuple, answer["cells"]))
        for target, (low, high, exact) in zip(family_targets, answer["intervals"], strict=True):
            audit.append(
                (year, target.measures[0], target.relation, target.geo_level, target.geo_code,
                 target.reason, target.value, low, high, high - low, exact,
                 protected(low, high, rules), answer["rounds"])
            )  # fmt: skip
    _remember({k: a for k, a in used.items() if k in fresh})
    secondary = pd.DataFrame(added, columns=CELL_KEY).assign(reason="secondary")
    report = pd.DataFrame(audit, columns=AUDIT_COLUMNS)
    summary = {
        "targets_checked": len(report),
        "targets_protected": int(report["protected"].sum()) if len(report) else 0,
        "narrowest_interval": float(report["width"].min()) if len(report) else None,
        "relation_instances_left_out": violated,
        "sums_left_out": broken,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return secondary, report, summary, used


def _answer(job: tuple) -> dict:
    """One problem's secondary cells and audit, in the memo's JSON shape (runs in a worker)."""
    problem, hidden, objectives, rules, cost = job
    final, intervals, rounds = protect(problem, hidden, objectives, rules, cost)
    return {
        "cells": [list(problem.cells[i]) for i in np.flatnonzero(final & ~hidden)],
        "intervals": [[low, high, exact] for low, high, exact in intervals],
        "rounds": rounds,
    }


def _cell_index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[CELL_KEY])


def measure_uses(parts: pd.DataFrame) -> dict[str, int]:
    """How many indicator series show each measure (hiding one of its cells blanks that many rows)."""
    return pd.concat([parts["numerator_measure"], parts["denominator_measure"]]).value_counts().to_dict()


def suppress(
    values: pd.DataFrame,
    catalogue: Catalogue,
    dim_geography: pd.DataFrame,
    memo: dict[str, dict] | None = None,
) -> SuppressionResult:
    """Apply all rules to the internal indicator table (``memo``: earlier answers by fingerprint)."""
    parts = series_parts(catalogue)
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    cells = measure_cells(values, parts, sensitive)
    flags, targets = primary_flags(cells, catalogue)
    if catalogue.suppression.series_share is not None:
        series = series_flags(cells, flags, catalogue.suppression.series_share)
        flags = pd.concat([flags, series], ignore_index=True)
    secondary, audit, summary, used = secondary_cells(
        cells, flags, targets, catalogue, dim_geography, measure_uses(parts), memo
    )
    flags = pd.concat([flags, secondary], ignore_index=True).drop_duplicates(CELL_KEY)
    reason_of = flags.set_index(CELL_KEY)["reason"]

    rows = values.merge(parts, on=["indicator_id", "target_group"], how="left")
    reasons = {}
    for role in ROLES:
        looked_up = reason_of.reindex(_cell_index(role_cells(rows, role))).to_numpy()
        reasons[role] = pd.Series(looked_up, index=rows.index).where(rows[role].notna())
    reason = reasons["numerator"].fillna(reasons["denominator"])
    hidden = reason.notna().to_numpy()
    internal = values.copy()
    internal["suppression_reason"] = reason.where(hidden).astype("object").to_numpy()
    kind = np.where(reason == "secondary", "secondary", "primary")
    internal["suppression"] = np.where(hidden, kind, None).astype("object")
    public = values.copy()
    for role in ROLES:
        public.loc[reasons[role].notna().to_numpy(), role] = np.nan
    public.loc[hidden, "value"] = np.nan
    public.loc[hidden, "status"] = "suppressed"
    summary = {**summary, **hidden_shares(internal, public)}
    return SuppressionResult(
        internal=internal,
        public=public,
        cells=flags.reset_index(drop=True),
        audit=audit,
        summary=summary,
        memo=used,
    )


def hidden_shares(internal: pd.DataFrame, public: pd.DataFrame) -> dict[str, object]:
    """Headline figures: how much of what has data is hidden, and why."""
    with_data = internal["status"].eq("shown").to_numpy()
    hidden = public["status"].eq("suppressed").to_numpy() & with_data
    secondary_only = internal["suppression"].eq("secondary").to_numpy() & with_data
    zeros = hidden & internal["numerator"].eq(0).to_numpy()
    return {
        "rows_with_data": int(with_data.sum()),
        "rows_hidden": int(hidden.sum()),
        "hidden_share": round(float(hidden.sum() / max(with_data.sum(), 1)), 4),
        "rows_hidden_by_secondary_only": int(secondary_only.sum()),
        "zeros_hidden": int(zeros.sum()),
    }


def hidden_share_table(internal: pd.DataFrame, public: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and level: rows with data, hidden by primary rules alone, hidden in all."""
    frame = internal[["indicator_id", "geo_level", "status", "suppression"]].assign(
        hidden=public["status"].eq("suppressed").to_numpy()
    )
    frame = frame[frame["status"] == "shown"]
    table = frame.groupby(["indicator_id", "geo_level"], sort=True).agg(
        rows_with_data=("hidden", "size"),
        hidden_primary=("suppression", lambda s: int((s == "primary").sum())),
        hidden=("hidden", "sum"),
    )
    table["share_primary"] = (table["hidden_primary"] / table["rows_with_data"]).round(4)
    table["share_hidden"] = (table["hidden"] / table["rows_with_data"]).round(4)
    return table.reset_index()


def memo_rows(memo: dict[str, dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {"fingerprint": list(memo), "answer": [json.dumps(a) for a in memo.values()]}, dtype="object"
    )
