"""What an attacker knows about the cells of one family of measures in one year, as linear algebra.

A family is a set of measures tied together by the relations in ``measures.yaml`` (households in
temporary accommodation, with children, for more than 3 months …); a measure without relations
is a family of its own. Within a family and a year every published cell is a constant and every
hidden cell an unknown ≥ 0, tied together by

* the sums of the geography hierarchy, per measure: a county, KOSTRA group, centrality class or
  size band is the sum of its municipalities, the nation the sum of each partition;
* the declared relations, per geography: Σ parts ≤ whole.

Years are independent: no measure is a sum over years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import MeasureRelation
from pipelines.privacy.hierarchy import Cell

FamilyCell = tuple[str, str, str]  # (measure_id, geo_level, geo_code)


def measure_families(catalogue: Catalogue) -> list[tuple[list[str], list[MeasureRelation]]]:
    """Measures grouped by the relations between them (connected components), with their relations."""
    parent = {m: m for m in catalogue.measures}

    def root(m: str) -> str:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for relation in catalogue.relations:
        for part in relation.parts:
            parent[root(part)] = root(relation.whole)
    members: dict[str, list[str]] = {}
    for measure in catalogue.measures:
        members.setdefault(root(measure), []).append(measure)
    families = []
    for measures in members.values():
        own = [r for r in catalogue.relations if r.whole in measures]
        families.append((sorted(measures), own))
    return sorted(families)


@dataclass(frozen=True)
class Rows:
    """Sparse rows Σ coefficient × x[cell] (op) 0, as triplets."""

    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    count: int

    @classmethod
    def build(cls, rows: list[list[tuple[int, float]]]) -> Rows:
        row = [r for r, entries in enumerate(rows) for _ in entries]
        col = [c for entries in rows for c, _ in entries]
        coef = [v for entries in rows for _, v in entries]
        return cls(np.array(row, dtype=np.int64), np.array(col, dtype=np.int64), np.array(coef), len(rows))

    def residual(self, values: np.ndarray) -> np.ndarray:
        """Σ coefficient × value per row."""
        return np.bincount(self.row, weights=self.coef * values[self.col], minlength=self.count)


@dataclass(frozen=True)
class Problem:
    """The cells of one family in one year and the linear relations between them."""

    year: int
    cells: list[FamilyCell]
    values: np.ndarray
    hideable: np.ndarray  # a sensitive cell at a level that may be hidden
    equal: Rows  # hierarchy sums: Σ coef·x = 0
    at_most: Rows  # declared relations: Σ parts − whole ≤ 0
    violated_relations: int  # relation instances the data break (left out: they prove nothing)
    broken_sums: int = 0  # hierarchy sums the data break (left out likewise)

    def index(self) -> dict[FamilyCell, int]:
        return {cell: i for i, cell in enumerate(self.cells)}


def build_problem(
    year: int,
    values: dict[FamilyCell, float],
    relations: list[MeasureRelation],
    hierarchy: dict[str, list[tuple[Cell, list[Cell]]]],
    levels: dict[str, str],
    sensitive: set[str],
    hideable_levels: set[str],
) -> Problem:
    """``values``: every cell of the family with a value; ``hierarchy``: sum relations per base level;
    ``levels``: each measure's reporting level."""
    cells = sorted(values)
    index = {cell: i for i, cell in enumerate(cells)}
    measures = sorted({cell[0] for cell in cells})
    equal: list[list[tuple[int, float]]] = []
    for measure in measures:
        for parent, children in hierarchy[levels[measure]]:
            top = index.get((measure, *parent))
            if top is None:
                continue  # the aggregate itself is not published
            # A published aggregate sums the units that have a value; a child with no value at all
            # (missing data) contributes nothing, so it drops out of the sum.
            members = [index[(measure, *c)] for c in children if (measure, *c) in index]
            equal.append([(top, 1.0), *((m, -1.0) for m in members)])
    array = np.array([values[c] for c in cells], dtype=float)
    # A sum the data do not satisfy (a partial or corrected figure) proves nothing to an attacker
    # and would make the true values infeasible: it is left out and counted.
    sums = Rows.build(equal)
    residual = sums.residual(np.nan_to_num(array))
    unknown = np.bincount(sums.row, weights=np.isnan(array)[sums.col], minlength=sums.count) > 0
    holds = (np.abs(residual) <= 1e-6) | unknown
    broken_sums = int((~holds).sum())
    equal = [row for row, keep in zip(equal, holds, strict=True) if keep]
    at_most: list[list[tuple[int, float]]] = []
    violated = 0
    geographies = sorted({cell[1:] for cell in cells})
    for relation in relations:
        for geo in geographies:
            whole = index.get((relation.whole, *geo))
            parts = [index[(p, *geo)] for p in relation.parts if (p, *geo) in index]
            if whole is None or not parts:
                continue
            if array[parts].sum() > array[whole] + 1e-9:
                violated += 1
                continue
            at_most.append([*((p, 1.0) for p in parts), (whole, -1.0)])
    hideable = np.array([c[0] in sensitive and c[1] in hideable_levels for c in cells], dtype=bool)
    return Problem(
        year=year,
        cells=cells,
        values=array,
        hideable=hideable,
        equal=Rows.build(equal),
        at_most=Rows.build(at_most),
        violated_relations=violated,
        broken_sums=broken_sums,
    )
