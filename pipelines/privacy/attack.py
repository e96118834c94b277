"""A differencing attack on the public files: can any suppressed count be recovered?

Uses only what is published: the indicator values (numerators and denominators of shown rows),
which measures each indicator × target group is built from, and the geography dimension (which
municipalities make up each county and comparison group). Every measure cell shown anywhere is
known; every cell that appears only as suppressed is unknown. The published sums along the
hierarchies are then solved as a linear system: an unknown that every solution agrees on is
recovered. Differences between target groups ("alle" minus a group) are covered too: they only
reveal a group's count if the complementary group were published, which no indicator does, and
the complement rule stops small differences being shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.privacy.hierarchy import sum_relations
from pipelines.privacy.linear import determined_unknowns


@dataclass(frozen=True)
class Recovered:
    measure_id: str
    year: int
    geo_level: str
    geo_code: str
    value: float


def published_cells(values: pd.DataFrame, parts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(known cells with values, unknown cells) per measure, from the public indicator rows."""
    rows = values.merge(parts, on=["indicator_id", "target_group"])
    key = ["measure_id", "geo_level", "geo_code", "year"]
    frames, hidden = [], []
    for role in ("numerator", "denominator"):
        measure = rows[f"{role}_measure"]
        shown = rows[(rows["status"] == "shown") & measure.notna() & rows[role].notna()]
        frames.append(shown.assign(measure_id=shown[f"{role}_measure"], value=shown[role])[[*key, "value"]])
        suppressed = rows[(rows["status"] == "suppressed") & measure.notna()]
        hidden.append(suppressed.assign(measure_id=suppressed[f"{role}_measure"])[key])
    known = pd.concat(frames).drop_duplicates(key)
    unknown = pd.concat(hidden).drop_duplicates()
    unknown = unknown.merge(known[key], on=key, how="left", indicator=True)
    return known, unknown[unknown["_merge"] == "left_only"].drop(columns="_merge")


def attack(
    values: pd.DataFrame, parts: pd.DataFrame, dim_geography: pd.DataFrame, levels: dict[str, str]
) -> list[Recovered]:
    """Every suppressed cell the published sums determine. ``levels``: measure → reporting level."""
    known, unknown = published_cells(values, parts)
    recovered: list[Recovered] = []
    relations = {level: sum_relations(dim_geography, level) for level in ("kommune", "fylke", "land")}
    known_by = {k: dict(zip(zip(g.geo_level, g.geo_code, strict=True), g.value, strict=True))
                for k, g in known.groupby(["measure_id", "year"])}  # fmt: skip
    for (measure, year), cells in unknown.groupby(["measure_id", "year"]):
        hidden = sorted(zip(cells.geo_level, cells.geo_code, strict=True))
        column = {cell: i for i, cell in enumerate(hidden)}
        shown = known_by.get((measure, year), {})
        rows, constants = [], []
        for parent, children in relations[levels[measure]]:
            if parent not in column and parent not in shown:
                continue  # the aggregate itself is not published
            # A published aggregate sums the units that have a value; a child with no value at all
            # (missing data) contributes nothing, so it drops out of the sum.
            equation = [(parent, 1.0), *((c, -1.0) for c in children if c in column or c in shown)]
            if not any(cell in column for cell, _ in equation):
                continue
            coefficients = np.zeros(len(hidden))
            constant = 0.0
            for cell, sign in equation:
                if cell in column:
                    coefficients[column[cell]] += sign
                else:
                    constant -= sign * shown[cell]
            rows.append(coefficients)
            constants.append(constant)
        if not rows:
            continue
        matrix = np.vstack(rows)
        determined = determined_unknowns(matrix)
        if determined.any():
            solution, *_ = np.linalg.lstsq(matrix, np.asarray(constants), rcond=None)
            recovered.extend(
                Recovered(measure, int(year), *hidden[i], float(solution[i]))
                for i in np.flatnonzero(determined)
            )
    return recovered
