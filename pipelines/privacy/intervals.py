"""The interval an attacker can prove for a hidden quantity, by linear programming (HiGHS).

Everything published is a constant; every hidden cell is an unknown ≥ 0; the family's hierarchy
sums and declared relations hold. For a target — a hidden cell, or a whole − parts difference —
an attacker's best bounds from these facts are the minimum and maximum of the target over that
polytope, rounded inward to whole numbers because counts are integers. HiGHS computes them.

Two solves per target would be the plain way. Most targets are wide, and any feasible point is a
witness that an attacker cannot rule out, so `certify` first solves a few joint programmes (push
every pending target up at once, then down) and keeps each point as a witness for every target;
only targets the witnesses cannot show to be wide get their own two solves, which are exact.
A certified interval is therefore never wider than what an attacker can prove.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import highspy
import numpy as np

from pipelines.privacy.system import Problem, Rows

TOLERANCE = 1e-6
# In joint programmes no hidden cell rises more than this above its value (keeps them bounded;
# a bounded point is still a feasible one).
JOINT_CAP = 1000.0
JOINT_ROUNDS = 8
JOINT_LIFT = 10.0  # a single-cell target is lifted at most this far in a joint programme

Objective = dict[int, float]  # cell index → coefficient


def _csr(
    rows: Rows, keep: np.ndarray, column: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row starts, columns, values and the kept row ids of ``rows`` restricted to columns ``keep``."""
    selected = keep[rows.col]
    row, col, coef = rows.row[selected], column[rows.col[selected]], rows.coef[selected]
    kept_rows = np.unique(row)
    renumber = np.full(rows.count, -1)
    renumber[kept_rows] = np.arange(kept_rows.size)
    order = np.argsort(renumber[row], kind="stable")
    row, col, coef = renumber[row][order], col[order], coef[order]
    starts = np.searchsorted(row, np.arange(kept_rows.size + 1))
    return starts, col, coef, kept_rows


def round_inward(low: float, high: float) -> tuple[float, float]:
    """Integer bounds from real ones (infinite bounds stay infinite)."""
    if math.isfinite(low):
        low = math.ceil(low - TOLERANCE)
    if math.isfinite(high):
        high = math.floor(high + TOLERANCE)
    return float(low), float(high)


class HiddenCells:
    """The attacker's linear programme over the hidden cells of one problem."""

    def __init__(self, problem: Problem, hidden: np.ndarray) -> None:
        self.problem = problem
        self.hidden = hidden.copy()
        self.column = np.cumsum(hidden) - 1  # cell index → LP column (where hidden)
        self.size = int(hidden.sum())
        self.hidden_values = problem.values[hidden]
        known = np.where(hidden, 0.0, problem.values)
        starts_eq, col_eq, val_eq, rows_eq = _csr(problem.equal, hidden, self.column)
        starts_le, col_le, val_le, rows_le = _csr(problem.at_most, hidden, self.column)
        rhs_eq = -problem.equal.residual(known)[rows_eq]
        rhs_le = -problem.at_most.residual(known)[rows_le]
        self.solver = highspy.Highs()
        for option, value in (("output_flag", False), ("presolve", "off"), ("simplex_strategy", 4)):
            # re-solves after an objective change start from the last basis: no presolve, primal
            self.solver.setOptionValue(option, value)
        lp = highspy.HighsLp()
        lp.num_col_ = self.size
        lp.num_row_ = rows_eq.size + rows_le.size
        lp.col_cost_ = np.zeros(self.size)
        lp.col_lower_ = np.zeros(self.size)
        lp.col_upper_ = np.full(self.size, highspy.kHighsInf)
        lp.row_lower_ = np.concatenate([rhs_eq, np.full(rows_le.size, -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([rhs_eq, rhs_le])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.concatenate([starts_eq, starts_le[1:] + starts_eq[-1]])
        lp.a_matrix_.index_ = np.concatenate([col_eq, col_le]).astype(np.int32)
        lp.a_matrix_.value_ = np.concatenate([val_eq, val_le])
        self.solver.passModel(lp)
        self._costed = np.array([], dtype=np.int32)
        if np.isnan(self.hidden_values).any():
            # an attacker does not know the true values: any point that fits what is published
            # serves as the first witness
            _, point = self._solve(np.zeros(self.size), maximise=False)
            self.hidden_values = point

    def _vector(self, objective: Objective) -> tuple[np.ndarray, float]:
        """The objective as a dense vector over LP columns, and its constant from published cells."""
        vector = np.zeros(self.size)
        constant = 0.0
        for cell, coefficient in objective.items():
            if self.hidden[cell]:
                vector[self.column[cell]] += coefficient
            else:
                constant += coefficient * self.problem.values[cell]
        return vector, constant

    def _solve(self, vector: np.ndarray, maximise: bool) -> tuple[float, np.ndarray | None]:
        """(optimum, point) of vector · x; the point is None when unbounded."""
        used = np.flatnonzero(vector).astype(np.int32)
        stale = np.setdiff1d(self._costed, used).astype(np.int32)
        if stale.size:
            self.solver.changeColsCost(stale.size, stale, np.zeros(stale.size))
        if used.size:
            self.solver.changeColsCost(used.size, used, vector[used])
        self._costed = used
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        self.solver.changeObjectiveSense(sense)
        self.solver.run()
        status = self.solver.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return (math.inf if maximise else -math.inf), None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the interval audit's solver stopped with {status} in {self.problem.year}")
        point = np.asarray(self.solver.getSolution().col_value)
        return float(self.solver.getInfo().objective_function_value), point

    def bounds(self, objective: Objective) -> tuple[float, float]:
        """Exactly what an attacker can prove: [min, max] of the objective, rounded inward."""
        vector, constant = self._vector(objective)
        if not vector.any():
            return constant, constant
        low, _ = self._solve(vector, maximise=False)
        high, _ = self._solve(vector, maximise=True)
        return round_inward(low + constant, high + constant)

    def certify(self, objectives: list[Objective], wide_enough: Callable) -> list[tuple[float, float, bool]]:
        """(low, high, exact) per objective, where [low, high] ⊆ what an attacker can prove.

        ``wide_enough(low, high)`` says when a witnessed interval needs no exact solve.
        """
        vectors = [self._vector(o) for o in objectives]
        matrix = np.array([v for v, _ in vectors]).reshape(len(vectors), self.size)
        constants = np.array([c for _, c in vectors])
        truth = matrix @ self.hidden_values + constants
        low, high = truth.copy(), truth.copy()
        pending = np.array([bool(v.any()) for v, _ in vectors])
        if pending.any() and self.size:
            # A target that is one cell needs only to reach its value + the level: capping it there
            # lets one joint point lift many targets at once instead of a few very far.
            upper = self.hidden_values + JOINT_CAP
            for i, (vector, constant) in enumerate(vectors):
                if np.count_nonzero(vector) == 1 and constant == 0 and vector.max() == 1:
                    column = np.flatnonzero(vector)[0]
                    upper[column] = min(upper[column], truth[i] + JOINT_LIFT)
            columns = np.arange(self.size, dtype=np.int32)
            self.solver.changeColsBounds(self.size, columns, np.zeros(self.size), upper)
            rng = np.random.default_rng(len(objectives))
            for round_number in range(JOINT_ROUNDS):
                before = int(pending.sum())
                # pushing down certifies few targets beyond the first round: counts start near 0
                for maximise in (True, False) if round_number == 0 else (True,):
                    count = int(pending.sum())
                    weights = np.ones(count) if round_number == 0 else rng.uniform(0.5, 1.5, count)
                    direction = weights @ matrix[pending]
                    _, point = self._solve(direction, maximise)
                    if point is not None:
                        seen = matrix @ point + constants
                        np.maximum(high, seen, out=high)
                        np.minimum(low, seen, out=low)
                    pending &= ~np.array(
                        [wide_enough(*round_inward(lo, hi)) for lo, hi in zip(low, high, strict=True)]
                    )
                    if not pending.any():
                        break
                if not pending.any() or pending.sum() > 0.95 * before:
                    break
            self.solver.changeColsBounds(
                self.size, columns, np.zeros(self.size), np.full(self.size, highspy.kHighsInf)
            )
        result = []
        for i, (vector, constant) in enumerate(vectors):
            if not pending[i]:
                result.append((*round_inward(low[i], high[i]), not vector.any()))
                continue
            top, _ = self._solve(vector, maximise=True)
            if wide_enough(*round_inward(low[i], top + constant)):
                result.append((*round_inward(low[i], top + constant), False))
                continue
            bottom, _ = self._solve(vector, maximise=False)
            result.append((*round_inward(bottom + constant, top + constant), True))
        return result
