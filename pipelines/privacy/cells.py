"""Measure cells: one measure at one geography in one year — the unit of protection.

The same count appears in several indicators (households with children in temporary
accommodation is a count, a numerator and a denominator), so suppression decides per cell and
every indicator row that shows a hidden cell shows it as null.
"""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue

CELL_KEY = ["measure_id", "geo_level", "geo_code", "year"]
ROLES = ("numerator", "denominator")


class InconsistentCellError(ValueError):
    """One sensitive measure cell has two different values in two indicators."""


def series_parts(catalogue: Catalogue) -> pd.DataFrame:
    """indicator_id, target_group → numerator and denominator measure."""
    rows = []
    for indicator in catalogue.indicators.values():
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            rows.append((indicator.id, group, numerator, denominator))
    return pd.DataFrame(
        rows, columns=["indicator_id", "target_group", "numerator_measure", "denominator_measure"]
    )


def role_cells(rows: pd.DataFrame, role: str) -> pd.DataFrame:
    """The measure cell behind each row's ``role`` column (rows merged with `series_parts`)."""
    return rows[[f"{role}_measure", "geo_level", "geo_code", "year"]].set_axis(CELL_KEY, axis=1)


def measure_cells(values: pd.DataFrame, parts: pd.DataFrame, sensitive: set[str]) -> pd.DataFrame:
    """Every measure cell that has a value, from the numerators and denominators of all rows.

    Rows of every status count: a rate over a zero denominator (`not_applicable`) still shows its
    parts. A sensitive cell with two different values in two indicators would publish two sums
    of different members, which the audit cannot model: that stops the run.
    """
    rows = values.merge(parts, on=["indicator_id", "target_group"])
    frames = []
    for role in ROLES:
        known = rows[rows[f"{role}_measure"].notna() & rows[role].notna()]
        frames.append(role_cells(known, role).assign(value=known[role].to_numpy()))
    cells = pd.concat(frames, ignore_index=True).drop_duplicates()
    repeated = cells[cells.duplicated(CELL_KEY, keep=False) & cells["measure_id"].isin(sensitive)]
    if not repeated.empty:
        first = repeated.iloc[0]
        raise InconsistentCellError(
            f"sensitive measure '{first.measure_id}' has {repeated[CELL_KEY].value_counts().iloc[0]} "
            f"different values at {first.geo_level} {first.geo_code} in {first.year} in different "
            "indicators (partial sums over different municipalities); suppression cannot protect it"
        )
    return cells.drop_duplicates(CELL_KEY).reset_index(drop=True)
