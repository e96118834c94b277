"""Primary suppression: the cells that reveal too much on their own, and what each protects.

Each rule yields hidden cells and *targets*: the quantities whose interval the audit must keep
wide. A small count is its own target; a small whole − parts difference is a target although no
cell holds it (the parts are what is hidden).

* small_count: a sensitive count of 1 … min_count−1 (0 is an exact zero and is shown).
* small_difference: for each relation in measures.yaml with a sensitive part, whole − Σ parts of
  1 … min_complement−1 — "all but a few", or a target group against «alle». Unless a cell of the
  relation is already hidden as a small count, the largest sensitive part is hidden (it has the
  most room to move); the difference is a target either way.
* small_denominator: all or part of a group smaller than min_denominator (a numerator > 0 over a
  sensitive denominator below it) — the count is small even where the share is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.privacy.cells import CELL_KEY

Term = tuple[tuple[str, str, str], float]  # ((measure, geo_level, geo_code), coefficient)


@dataclass(frozen=True)
class Target:
    measures: tuple[str, ...]  # the first names the target in reports (the whole of a difference)
    terms: tuple[Term, ...]
    value: float
    geo_level: str
    geo_code: str
    year: int
    reason: str
    relation: str | None = None  # "whole − part − …" for a difference


def _numerator_min_counts(catalogue: Catalogue) -> dict[str, int]:
    """min_count per measure: the default, raised where an indicator overrides it for its numerator."""
    rules = catalogue.suppression
    result: dict[str, int] = {}
    for indicator in catalogue.indicators.values():
        if indicator.suppression is None or indicator.suppression.min_count is None:
            continue
        for group in indicator.target_groups:
            numerator = indicator.parts(group)[0]
            result[numerator] = max(result.get(numerator, rules.min_count), indicator.suppression.min_count)
    return result


def primary_flags(cells: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, list[Target]]:
    """Cells to hide (CELL_KEY + reason) and the targets the audit must protect."""
    rules = catalogue.suppression
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    flags: list[tuple] = []
    targets: list[Target] = []

    minimum = cells["measure_id"].map(_numerator_min_counts(catalogue)).fillna(rules.min_count)
    small = cells[cells["measure_id"].isin(sensitive) & (cells["value"] > 0) & (cells["value"] < minimum)]
    for measure, level, code, year, value in small[[*CELL_KEY, "value"]].itertuples(index=False):
        flags.append((measure, level, code, year, "small_count"))
        targets.append(
            Target((measure,), (((measure, level, code), 1.0),), value, level, code, year, "small_count")
        )

    small_cells = set(small[CELL_KEY].itertuples(index=False, name=None))
    wide = cells.pivot_table(index=["geo_level", "geo_code", "year"], columns="measure_id", values="value")
    for relation in catalogue.relations:
        hideable = [p for p in relation.parts if p in sensitive]
        columns = [relation.whole, *relation.parts]
        if not hideable or not set(columns) <= set(wide.columns):
            continue
        frame = wide[columns].dropna()
        total = frame[relation.parts].sum(axis=1)
        difference = frame[relation.whole] - total
        # With no parts the difference is the whole itself: a small count if it is sensitive,
        # open statistics if not. Either way the parts (zeros) need no hiding.
        frame = frame[(difference > 0) & (difference < rules.min_complement) & (total > 0)]
        label = " − ".join(columns)
        for (level, code, year), row in frame.iterrows():
            already = [m for m in columns if (m, level, code, year) in small_cells]
            if not already:
                part = max(hideable, key=lambda p: (row[p], -relation.parts.index(p)))
                flags.append((part, level, code, year, "small_difference"))
            terms = (
                ((relation.whole, level, code), 1.0),
                *(((p, level, code), -1.0) for p in relation.parts),
            )
            value = float(row[relation.whole] - sum(row[p] for p in relation.parts))
            targets.append(
                Target(tuple(columns), terms, value, level, code, int(year), "small_difference", label)
            )

    for indicator in catalogue.indicators.values():
        minimum_denominator = rules.min_denominator
        if indicator.suppression is not None and indicator.suppression.min_denominator is not None:
            minimum_denominator = indicator.suppression.min_denominator
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            if denominator not in sensitive or numerator not in sensitive:
                continue
            if not {numerator, denominator} <= set(wide.columns):
                continue
            pair = wide[[numerator, denominator]].dropna()
            pair = pair[(pair[numerator] > 0) & (pair[denominator] < minimum_denominator)]
            for (level, code, year), row in pair.iterrows():
                flags.append((numerator, level, code, year, "small_denominator"))
                targets.append(
                    Target((numerator,), (((numerator, level, code), 1.0),), float(row[numerator]),
                           level, code, int(year), "small_denominator")
                )  # fmt: skip

    frame = pd.DataFrame(flags, columns=[*CELL_KEY, "reason"])
    frame["year"] = frame["year"].astype(int)
    unique: dict = {}
    for target in targets:
        unique.setdefault((target.terms, target.year), target)
    unique_targets = list(unique.values())
    return frame.drop_duplicates(CELL_KEY).reset_index(drop=True), unique_targets


def series_flags(cells: pd.DataFrame, flags: pd.DataFrame, share: float) -> pd.DataFrame:
    """Whole series of a geography where more than ``share`` of its years are suppressed.

    Off by default (``series_share`` unset): it protects no count, and hid values such as 5 and 9
    because other years of the series were small.
    """
    series = ["measure_id", "geo_level", "geo_code"]
    marked = cells.merge(flags[CELL_KEY].assign(flag=True), on=CELL_KEY, how="left")
    marked["flag"] = marked["flag"].fillna(False).astype(bool)
    shares = marked.groupby(series)["flag"].mean()
    heavy = shares[shares > share].index
    whole = marked.set_index(series).loc[marked.set_index(series).index.isin(heavy)].reset_index()
    return whole[~whole["flag"]][CELL_KEY].assign(reason="series")
