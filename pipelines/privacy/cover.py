"""Secondary suppression as a cost-minimising choice: which further cells to hide for one target.

A target (a hidden small count, or a small whole − parts difference) is protected when another
set of values, equal to the published ones everywhere else, moves it far enough. So hide the
cheapest set of cells that lets it move: a linear programme over deviations d = d⁺ − d⁻ of the
hideable cells that keeps every hierarchy sum and relation, never takes a count below zero,
moves the target by the required amount, and minimises Σ cost × |d|. Cells already hidden move
for free; cells that may not be hidden (open statistics, the nation) do not move. Every cell the
solution moves is hidden. Rounding the solution's support is not needed: the audit afterwards
computes the real interval, and a target still short of protection gets another round.
"""

from __future__ import annotations

import highspy
import numpy as np

from pipelines.privacy.system import Problem

MOVED = 1e-7


class Cover:
    """One reusable deviation model per problem; `cells_for` is called once per failing target."""

    def __init__(self, problem: Problem, cost: np.ndarray) -> None:
        self.problem = problem
        self.cost = cost
        self.movable = np.flatnonzero(problem.hideable)
        n = self.movable.size
        position = np.full(problem.values.size, -1)
        position[self.movable] = np.arange(n)
        self.position = position
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        # columns: d⁺ for each movable cell, then d⁻ (at most the cell's value: counts stay ≥ 0)
        inf = highspy.kHighsInf
        lower = np.zeros(2 * n)
        upper = np.concatenate([np.full(n, inf), problem.values[self.movable]])
        solver.addVars(2 * n, lower, upper)
        for rows, equality in ((problem.equal, True), (problem.at_most, False)):
            slack = -rows.residual(problem.values)  # ≥ 0 for a relation that holds
            order = np.argsort(rows.row, kind="stable")
            bounds = np.searchsorted(rows.row[order], np.arange(rows.count + 1))
            for r in range(rows.count):
                entries = order[bounds[r] : bounds[r + 1]]
                cols, coefs = position[rows.col[entries]], rows.coef[entries]
                cols, coefs = cols[cols >= 0], coefs[cols >= 0]
                if not cols.size:
                    continue
                index = np.concatenate([cols, cols + n]).astype(np.int32)
                value = np.concatenate([coefs, -coefs])
                solver.addRow(
                    0.0 if equality else -inf, 0.0 if equality else slack[r], index.size, index, value
                )
        self.target_row = solver.getNumRow()
        solver.addRow(0.0, inf, 0, np.array([], dtype=np.int32), np.array([]))
        self.solver = solver
        self.n = n
        self._target_cols: np.ndarray = np.array([], dtype=np.int32)

    def cells_for(
        self, objective: dict[int, float], rise: float, hidden: np.ndarray
    ) -> tuple[list[int], np.ndarray] | None:
        """Cells (not yet hidden) to hide so that Σ coefficient × cell can rise by ``rise``, and the
        deviation found (per cell): it moves other targets too, which then need no cover of their own.

        None when no set of hideable cells allows it (the target cannot be protected).
        """
        n = self.n
        costs = np.where(hidden[self.movable], 0.0, self.cost[self.movable])
        self.solver.changeColsCost(2 * n, np.arange(2 * n, dtype=np.int32), np.concatenate([costs, costs]))
        for col in self._target_cols:
            self.solver.changeCoeff(self.target_row, int(col), 0.0)
        cols, values = [], []
        for cell, coefficient in objective.items():
            p = self.position[cell]
            if p >= 0:
                cols += [p, p + n]
                values += [coefficient, -coefficient]
        if not cols:
            return None
        for col, value in zip(cols, values, strict=True):
            self.solver.changeCoeff(self.target_row, col, value)
        self._target_cols = np.array(cols, dtype=np.int32)
        self.solver.changeRowBounds(self.target_row, rise, highspy.kHighsInf)
        self.solver.run()
        if self.solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = np.asarray(self.solver.getSolution().col_value)
        moved = (solution[:n] + solution[n:]) > MOVED
        deviation = np.zeros(self.problem.values.size)
        deviation[self.movable] = solution[:n] - solution[n:]
        return [int(c) for c in self.movable[moved] if not hidden[c]], deviation
