"""Follow municipality codes through the reforms to one chosen vintage of borders.

The history is data (``data/reference/municipality_changes.csv``, from KLASS 131): each row
says that on 1 January of ``valid_from_year`` the unit ``from_code`` went (wholly, or with a
population ``weight`` when it was split) to ``to_code``. A code valid on 1 January of year Y
is mapped to vintage V ≥ Y by applying, year by year, every change dated Y+1 … V.

Splits are apportioned by population weight and the result is flagged as an estimate — except
where ``split_lineage.csv`` records that a split restored older borders (2024: old Haram
became new Haram again), in which case the old unit's series goes wholly to its new unit.

Mapping to an *older* vintage (data newer than the borders) is supported only where each newer
code lies wholly inside one older unit (renumberings, and splits undone by summing); a newer
code formed by merging several older units would need weights, and raises an error instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipelines.geography.reference import read_reference_csv
from pipelines.paths import REFERENCE_DIR


class GeographyError(ValueError):
    """A municipality code cannot be mapped as asked."""


@dataclass(frozen=True)
class History:
    valid_codes: dict[int, frozenset[str]]  # year -> codes valid on 1 January
    names: dict[tuple[int, str], str]  # (year, code) -> name
    edges: dict[tuple[int, str], list[tuple[str, float, bool]]]  # (year, from) -> [(to, weight, split)]
    lineage: dict[tuple[int, str, str], str]  # (split year, split code, ancestor) -> to_code

    @property
    def years(self) -> list[int]:
        return sorted(self.valid_codes)

    def valid_years(self, code: str) -> list[int]:
        return [year for year, codes in self.valid_codes.items() if code in codes]


@lru_cache(maxsize=4)
def load_history(reference_dir: Path = REFERENCE_DIR) -> History:
    by_year = read_reference_csv("municipalities_by_year.csv", reference_dir)
    valid = {int(y): frozenset(g["code"]) for y, g in by_year.groupby("year")}
    names = {(int(y), c): n for y, c, n in by_year[["year", "code", "name"]].itertuples(index=False)}

    changes = read_reference_csv("municipality_changes.csv", reference_dir)
    changes = changes[changes["change_type"] != "rename"]
    changes = changes.assign(
        weight=changes["weight"].astype(float), year=changes["valid_from_year"].astype(int)
    )
    edges: dict[tuple[int, str], list[tuple[str, float, bool]]] = defaultdict(list)
    for (year, from_code), group in changes.groupby(["year", "from_code"]):
        is_split = len(group) > 1
        # Normalise split weights so that totals are preserved exactly (the published weights
        # are rounded to four decimals and may sum to 0.9999).
        total = group["weight"].sum() if is_split else 1.0
        for to_code, weight in group[["to_code", "weight"]].itertuples(index=False):
            edges[(int(year), from_code)].append((to_code, weight / total if is_split else 1.0, is_split))

    lineage_file = read_reference_csv("split_lineage.csv", reference_dir)
    lineage = {
        (int(r.split_year), r.split_from_code, r.lineage_code): r.to_code
        for r in lineage_file.itertuples(index=False)
    }
    return History(valid, names, dict(edges), lineage)


def _forward(history: History, year: int, code: str, vintage: int) -> dict[str, tuple[float, bool]]:
    """Where the unit ``code`` of 1 January ``year`` lies in ``vintage``: {code: (weight, estimate)}."""
    # Each packet: (current code, weight, estimated?, ancestors seen on the way)
    packets = [(code, 1.0, False, (code,))]
    for step_year in range(year + 1, vintage + 1):
        moved = []
        for current, weight, estimated, ancestors in packets:
            targets = history.edges.get((step_year, current))
            if not targets:
                moved.append((current, weight, estimated, ancestors))
                continue
            restored = next(
                (
                    history.lineage[(step_year, current, a)]
                    for a in ancestors
                    if (step_year, current, a) in history.lineage
                ),
                None,
            )
            if restored is not None:
                moved.append((restored, weight, estimated, (*ancestors, restored)))
                continue
            for to_code, share, is_split in targets:
                moved.append((to_code, weight * share, estimated or is_split, (*ancestors, to_code)))
        packets = moved
    result: dict[str, tuple[float, bool]] = {}
    for current, weight, estimated, _ in packets:
        previous_weight, previous_estimate = result.get(current, (0.0, False))
        result[current] = (previous_weight + weight, previous_estimate or estimated)
    return result


@lru_cache(maxsize=16)
def crosswalk(vintage: int = 2024, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Every (year, code) valid on 1 January 2014–2025 mapped to ``vintage`` borders.

    Columns: year, code, code_target, weight, is_estimate. Weights of one (year, code) sum to 1.
    """
    history = load_history(reference_dir)
    if vintage not in history.valid_codes:
        raise GeographyError(f"no municipality list for vintage {vintage} (known: {history.years})")
    rows: list[tuple[int, str, str, float, bool]] = []
    for year in history.years:
        if year <= vintage:
            for code in sorted(history.valid_codes[year]):
                for target, (weight, estimate) in sorted(_forward(history, year, code, vintage).items()):
                    rows.append((year, code, target, weight, estimate))
        else:
            rows.extend(_backward(history, year, vintage))
    frame = pd.DataFrame(rows, columns=["year", "code", "code_target", "weight", "is_estimate"])
    unknown = set(frame["code_target"]) - history.valid_codes[vintage]
    if unknown:
        raise GeographyError(f"code history ends in codes not valid in {vintage}: {sorted(unknown)}")
    return frame


def _backward(history: History, year: int, vintage: int) -> list[tuple[int, str, str, float, bool]]:
    """Codes of a year after the vintage, mapped back where each lies wholly in one older unit."""
    receives: dict[str, set[str]] = defaultdict(set)
    for old in history.valid_codes[vintage]:
        for new in _forward(history, vintage, old, year):
            receives[new].add(old)
    rows = []
    for code in sorted(history.valid_codes[year]):
        sources = receives.get(code, set())
        if len(sources) == 1:
            rows.append((year, code, next(iter(sources)), 1.0, False))
        # A code formed from several older units cannot be mapped back without weights; it is
        # left out here and reported by harmonise() if data arrive for it.
    return rows
