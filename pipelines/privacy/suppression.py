"""Suppress small counts about vulnerable people so that none can be read or recovered.

Works on measure cells — one measure at one geography in one year — because the same count
appears in several indicators (households with children in temporary accommodation is both a
count and a denominator); a cell hidden in one place is hidden everywhere.

1. Primary: a sensitive count of 1 … min_count−1; a numerator whose complement (denominator −
   numerator) is 1 … min_complement−1; a numerator over a sensitive denominator below
   min_denominator; a target-group count whose difference from "alle" is small.
2. Whole series: a geography's series of a measure when more than series_share of its years
   are primarily suppressed.
3. Secondary: further cells until no suppressed cell is determined by the published sums along
   kommune → fylke → land and the comparison groups (checked with linear algebra, not only by
   one-at-a-time differences), repeated until nothing changes.

An indicator row is suppressed when its numerator or denominator cell is.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Indicator, SuppressionRules
from pipelines.privacy.hierarchy import Cell, sum_relations
from pipelines.privacy.linear import determined_unknowns

CELL_KEY = ["measure_id", "geo_level", "geo_code", "year"]
PRIMARY_REASONS = ("small_count", "small_complement", "small_denominator", "small_group_difference")


@dataclass(frozen=True)
class SuppressionResult:
    internal: pd.DataFrame  # indicator rows with `suppression` (primary/secondary) and `suppression_reason`
    public: pd.DataFrame  # indicator rows, suppressed numbers nulled and status 'suppressed'
    cells: pd.DataFrame  # flagged measure cells with reason
    memo: dict[str, list[Cell]] = field(default_factory=dict)  # secondary cells per fingerprint used


# Bump when `protect` changes what it returns, so remembered answers are not reused.
PROTECT_VERSION = "1"


def protection_fingerprint(values: dict[Cell, float], hidden: set[Cell], relations_key: str) -> str:
    """What `protect` depends on: every cell's value, the hidden cells and the sum relations."""
    digest = hashlib.sha256(f"{PROTECT_VERSION}|{relations_key}|".encode())
    for cell in sorted(values):
        digest.update(f"{cell[0]}:{cell[1]}={values[cell]!r}{'*' if cell in hidden else ''};".encode())
    return digest.hexdigest()


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


def measure_cells(values: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """Every known measure value, from the numerators and denominators of the indicator rows."""
    rows = values.merge(parts, on=["indicator_id", "target_group"])
    known = rows[rows["numerator"].notna()]
    cells = pd.concat(
        [
            known[["numerator_measure", "geo_level", "geo_code", "year", "numerator"]].set_axis(
                [*CELL_KEY, "value"], axis=1
            ),
            known.loc[
                known["denominator_measure"].notna(),
                ["denominator_measure", "geo_level", "geo_code", "year", "denominator"],
            ].set_axis([*CELL_KEY, "value"], axis=1),
        ]
    )
    return cells.dropna(subset=["value"]).drop_duplicates(CELL_KEY).reset_index(drop=True)


def _rules(catalogue: Catalogue, indicator: Indicator) -> SuppressionRules:
    rules = catalogue.suppression
    if indicator.suppression is None:
        return rules
    overrides = {k: v for k, v in indicator.suppression.model_dump().items() if v is not None}
    return rules.model_copy(update=overrides)


def primary_flags(cells: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Cells to suppress by the primary rules: CELL_KEY + reason."""
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    indexed = cells.set_index(CELL_KEY)["value"]
    flagged: list[pd.DataFrame] = []

    small = cells[
        cells["measure_id"].isin(sensitive)
        & (cells["value"] > 0)
        & (cells["value"] < catalogue.suppression.min_count)
    ]
    flagged.append(small[CELL_KEY].assign(reason="small_count"))

    for indicator in catalogue.indicators.values():
        rules = _rules(catalogue, indicator)
        for group in indicator.target_groups:
            numerator, denominator = indicator.parts(group)
            if indicator.suppression is not None and numerator in sensitive:
                own = cells[
                    (cells["measure_id"] == numerator)
                    & (cells["value"] > 0)
                    & (cells["value"] < rules.min_count)
                ]
                flagged.append(own[CELL_KEY].assign(reason="small_count"))
            if denominator is None or not ({numerator, denominator} & sensitive):
                continue
            pair = _pair(indexed, numerator, denominator)
            complement = pair["denominator"] - pair["numerator"]
            flagged.append(
                _numerator_cells(
                    pair[(complement > 0) & (complement < rules.min_complement)],
                    numerator,
                    "small_complement",
                )
            )
            if denominator in sensitive:
                small_den = pair[(pair["denominator"] > 0) & (pair["denominator"] < rules.min_denominator)]
                flagged.append(_numerator_cells(small_den, numerator, "small_denominator"))
        first = indicator.target_groups[0]
        if first == "alle":
            for group in indicator.target_groups[1:]:
                for position in (0, 1):
                    whole, part = indicator.parts(first)[position], indicator.parts(group)[position]
                    if part is None or whole is None or part == whole or part not in sensitive:
                        continue
                    pair = _pair(indexed, part, whole)
                    difference = pair["denominator"] - pair["numerator"]
                    flagged.append(
                        _numerator_cells(
                            pair[(difference > 0) & (difference < rules.min_complement)],
                            part,
                            "small_group_difference",
                        )
                    )
    result = pd.concat(flagged, ignore_index=True)
    return result.drop_duplicates(CELL_KEY).reset_index(drop=True)


def _pair(indexed: pd.Series, numerator: str, denominator: str) -> pd.DataFrame:
    num = indexed.xs(numerator, level="measure_id") if numerator in indexed.index.levels[0] else None
    den = indexed.xs(denominator, level="measure_id") if denominator in indexed.index.levels[0] else None
    if num is None or den is None:
        empty = pd.MultiIndex.from_arrays([[], [], []], names=CELL_KEY[1:])
        return pd.DataFrame({"numerator": [], "denominator": []}, index=empty)
    return pd.concat({"numerator": num, "denominator": den}, axis=1, join="inner")


def _numerator_cells(pair: pd.DataFrame, measure: str, reason: str) -> pd.DataFrame:
    frame = pair.index.to_frame(index=False)
    frame.insert(0, "measure_id", measure)
    return frame.assign(reason=reason)[[*CELL_KEY, "reason"]]


def series_flags(cells: pd.DataFrame, flags: pd.DataFrame, share: float) -> pd.DataFrame:
    """Whole series of a geography where more than ``share`` of its years are suppressed."""
    series = ["measure_id", "geo_level", "geo_code"]
    marked = cells.merge(flags[CELL_KEY].assign(flag=True), on=CELL_KEY, how="left")
    marked["flag"] = marked["flag"].fillna(False).astype(bool)
    shares = marked.groupby(series)["flag"].mean()
    heavy = shares[shares > share].index
    whole = marked.set_index(series).loc[marked.set_index(series).index.isin(heavy)].reset_index()
    new = whole[~whole["flag"]][CELL_KEY].assign(reason="series")
    return new


def secondary_flags(
    cells: pd.DataFrame,
    flags: pd.DataFrame,
    catalogue: Catalogue,
    dim_geography: pd.DataFrame,
    memo: dict[str, list[Cell]] | None = None,
) -> tuple[pd.DataFrame, dict[str, list[Cell]]]:
    """Further cells so that no suppressed cell is determined by the published sums.

    ``memo`` holds earlier answers of `protect` by the fingerprint of its inputs: a run that adds
    one reporting year reuses the answer for every (measure, year) whose cells did not change
    instead of solving it again. Returns the cells and the answers this run used.
    """
    memo = memo or {}
    used: dict[str, list[Cell]] = {}
    added = []
    flagged = set(map(tuple, flags[CELL_KEY].itertuples(index=False, name=None)))
    relations_by_level = {
        level: sum_relations(dim_geography, level) for level in ("kommune", "fylke", "land")
    }
    relations_keys = {
        level: hashlib.sha256(repr(relations).encode()).hexdigest()
        for level, relations in relations_by_level.items()
    }
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    ordered = cells[cells["measure_id"].isin(sensitive)].sort_values(["measure_id", "year"], kind="stable")
    columns = [ordered[c].tolist() for c in ("measure_id", "year", "geo_level", "geo_code", "value")]
    for (measure, year), group in itertools.groupby(zip(*columns, strict=True), key=lambda r: r[:2]):
        level = catalogue.measure_level(measure)
        values = {(geo_level, geo_code): value for _, _, geo_level, geo_code, value in group}
        hidden = {cell for cell in values if (measure, *cell, year) in flagged}
        if not hidden:
            continue
        fingerprint = protection_fingerprint(values, hidden, relations_keys[level])
        answer = memo.get(fingerprint)
        if answer is None:
            answer = protect(values, hidden, relations_by_level[level])
        used[fingerprint] = answer
        added.extend((measure, *cell, year) for cell in answer)
    return pd.DataFrame(added, columns=CELL_KEY).assign(reason="secondary"), used


def protect(
    values: dict[Cell, float], hidden: set[Cell], relations: list[tuple[Cell, list[Cell]]]
) -> list[Cell]:
    """Cells to hide in addition to ``hidden`` so that no hidden cell is determined; deterministic.

    First the classic rule, cheaply: no sum may have exactly one hidden cell. Then the full check:
    no hidden cell may be determined by any combination of the sums (three overlapping groupings
    can pin a cell that no single sum reveals). Each step hides the cheapest published cell (see
    HIDING_COST) in a sum through a cell at risk.
    """
    cells = sorted(values)
    index = {cell: i for i, cell in enumerate(cells)}
    # A published aggregate sums the units that have a value, so a child without a value (missing
    # data) contributes nothing: it is left out of the sum rather than voiding it.
    rows = [
        [index[parent], *(index[c] for c in children if c in index)]
        for parent, children in relations
        if parent in index
    ]
    if not rows:
        return []
    coefficients = np.zeros((len(rows), len(cells)))
    for r, (parent, *children) in enumerate(rows):
        coefficients[r, children] = -1.0
        coefficients[r, parent] = 1.0
    member = coefficients != 0
    is_hidden = np.array([cell in hidden for cell in cells])
    # cheapest first: level cost, then value, then the cell itself (stable, deterministic)
    order = sorted(range(len(cells)), key=lambda i: (HIDING_COST[cells[i][0]], values[cells[i]], cells[i]))
    rank = np.empty(len(cells), dtype=int)
    rank[order] = np.arange(len(cells))
    added: list[Cell] = []

    def cheapest_open(equations: np.ndarray) -> int | None:
        candidates = member[equations].any(axis=0) & ~is_hidden
        if not candidates.any():
            return None
        return int(np.flatnonzero(candidates)[np.argmin(rank[candidates])])

    def hide(i: int) -> None:
        is_hidden[i] = True
        added.append(cells[i])

    while True:
        single = np.flatnonzero(member[:, is_hidden].sum(axis=1) == 1)
        if single.size == 0:
            break
        choice = cheapest_open(single[:1])
        if choice is None:
            break
        hide(choice)
    while True:
        unknown = np.flatnonzero(is_hidden)
        active = member[:, unknown].any(axis=1)
        determined = determined_unknowns(coefficients[np.ix_(active, unknown)])
        if not determined.any():
            return added
        choice = None
        for target in unknown[determined]:
            choice = cheapest_open(np.flatnonzero(member[:, target]))
            if choice is not None:
                break
        if choice is None:
            # Every sum through the exposed cells is already hidden: the exposure comes from a
            # combination of other sums. Hide the cheapest cell that breaks it.
            choice = _breaking_cell(coefficients, member, is_hidden, rank, unknown[determined][0])
        if choice is None:
            raise RuntimeError(
                "cannot protect the suppressed cells: every cell of their sums is already hidden"
            )
        hide(choice)


def _breaking_cell(
    coefficients: np.ndarray, member: np.ndarray, is_hidden: np.ndarray, rank: np.ndarray, target: int
) -> int | None:
    """The cheapest open cell whose hiding leaves ``target`` undetermined (tried in cost order)."""
    active_rows = member[:, is_hidden].any(axis=1)
    candidates = np.flatnonzero(member[active_rows].any(axis=0) & ~is_hidden)
    for candidate in candidates[np.argsort(rank[candidates])][:200]:
        trial = is_hidden.copy()
        trial[candidate] = True
        unknown = np.flatnonzero(trial)
        rows = member[:, unknown].any(axis=1)
        determined = determined_unknowns(coefficients[np.ix_(rows, unknown)])
        if not determined[np.searchsorted(unknown, target)]:
            return int(candidate)
    return None


# What hiding a cell costs readers: comparison-group aggregates least (they duplicate what
# municipalities show), then municipalities, counties, and the nation only as a last resort.
HIDING_COST = {
    "kostragruppe": 1,
    "sentralitet": 1,
    "storrelsesgruppe": 1,
    "kommune": 2,
    "fylke": 5,
    "land": 1000,
}


def suppress(
    values: pd.DataFrame,
    catalogue: Catalogue,
    dim_geography: pd.DataFrame,
    memo: dict[str, list[Cell]] | None = None,
) -> SuppressionResult:
    """Apply all rules to the internal indicator table (``memo``: see `secondary_flags`)."""
    parts = series_parts(catalogue)
    cells = measure_cells(values, parts)
    primary = primary_flags(cells, catalogue)
    series = series_flags(cells, primary, catalogue.suppression.series_share)
    before_secondary = pd.concat([primary, series], ignore_index=True)
    secondary, used = secondary_flags(cells, before_secondary, catalogue, dim_geography, memo)
    flags = pd.concat([before_secondary, secondary], ignore_index=True).drop_duplicates(CELL_KEY)

    rows = values.merge(parts, on=["indicator_id", "target_group"], how="left")
    reason_of = flags.set_index(CELL_KEY)["reason"]
    key = ["geo_level", "geo_code", "year"]
    num_reason = pd.Series(
        reason_of.reindex(
            pd.MultiIndex.from_frame(rows[["numerator_measure", *key]].set_axis(CELL_KEY, axis=1))
        ).to_numpy(),
        index=rows.index,
    )
    den_reason = pd.Series(
        reason_of.reindex(
            pd.MultiIndex.from_frame(rows[["denominator_measure", *key]].set_axis(CELL_KEY, axis=1))
        ).to_numpy(),
        index=rows.index,
    )
    reason = num_reason.fillna(den_reason)
    hidden = reason.notna() & rows["status"].eq("shown")
    internal = values.copy()
    internal["suppression_reason"] = reason.where(hidden).astype("object")
    internal["suppression"] = np.where(
        hidden, np.where(reason == "secondary", "secondary", "primary"), None
    ).astype("object")
    public = values.copy()
    for column in ("numerator", "denominator", "value"):
        public.loc[hidden.to_numpy(), column] = np.nan
    public.loc[hidden.to_numpy(), "status"] = "suppressed"
    return SuppressionResult(internal=internal, public=public, cells=flags.reset_index(drop=True), memo=used)
