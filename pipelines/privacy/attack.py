"""An outside attacker's attack on the public release: what can be proven about hidden cells?

Uses only what is published — every number printed in the Parquet files (rows of every status),
the JSON-stat files and goal attainment — plus public knowledge: which measures each indicator is
built from (`dim_indicator_target_group`), which municipalities make up each county and
comparison group (`dim_geography`), and the relations between measures declared in the project's
own `measures.yaml`. Every measure cell printed anywhere is known (a rate with a known
denominator gives away its numerator, and the other way round); every cell that has data but is
printed nowhere is unknown, an integer ≥ 0. For each unknown cell and each declared difference
the attack then computes, by linear programming, the interval it can prove.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.formatting import round_half_up
from pipelines.privacy.cells import CELL_KEY, ROLES
from pipelines.privacy.hierarchy import sum_relations
from pipelines.privacy.intervals import HiddenCells
from pipelines.privacy.system import FamilyCell, build_problem, measure_families
from pipelines.privacy.workers import solve_all

ROW_KEY = ["indicator_id", "target_group", "geo_level", "geo_code", "year"]


@dataclass(frozen=True)
class Proven:
    """What the attacker proves about one hidden quantity: low ≤ quantity ≤ high."""

    measures: tuple[str, ...]  # one cell, or whole then parts of a declared difference
    geo_level: str
    geo_code: str
    year: int
    low: float
    high: float
    exact: bool  # computed by its own solves (not only bounded by witnesses)


@dataclass(frozen=True)
class Printed:
    """Every number the public release prints about indicator rows, in one frame."""

    rows: pd.DataFrame  # ROW_KEY + numerator, denominator, value, status (Parquet)
    values: pd.DataFrame  # ROW_KEY + value, from every other file that prints a value


def read_release(folder: Path) -> tuple[Printed, pd.DataFrame, pd.DataFrame]:
    """(printed numbers, dim_indicator_target_group, dim_geography) from a public release folder."""
    rows = pd.read_parquet(folder / "indicator_values.parquet")
    other = [_exact_where_printed(folder, rows)] if (folder / "jsonstat").exists() else []
    attainment = folder / "goal_attainment.parquet"
    if attainment.exists():
        goals = pd.read_parquet(attainment)
        for year, value in (("baseline_year", "baseline_value"), ("current_year", "current_value")):
            frame = goals[goals[value].notna()]
            other.append(
                frame[["indicator_id", "target_group", "geo_level", "geo_code"]].assign(
                    year=frame[year].astype(int), value=frame[value]
                )
            )
    values = pd.concat(other, ignore_index=True) if other else pd.DataFrame(columns=[*ROW_KEY, "value"])
    printed = Printed(rows=rows[[*ROW_KEY, *ROLES, "value", "status"]], values=values[[*ROW_KEY, "value"]])
    return (
        printed,
        pd.read_parquet(folder / "dim_indicator_target_group.parquet"),
        pd.read_parquet(folder / "dim_geography.parquet"),
    )


def _exact_where_printed(folder: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Every JSON-stat file's values (each language, every subfolder). JSON-stat prints values
    rounded to the indicator's decimals: a value that is the rounding of the number Parquet prints
    for the same row adds nothing, so it counts as that exact number; any other value is kept as
    printed (a leak of a hidden cell, or a contradiction, is still found)."""
    printed = pd.concat(
        [_jsonstat_values(path) for path in sorted((folder / "jsonstat").rglob("*.json"))], ignore_index=True
    )
    decimals = pd.read_parquet(folder / "dim_indicator.parquet", columns=["indicator_id", "decimals"])
    merged = printed.merge(
        rows[[*ROW_KEY, "value"]].rename(columns={"value": "exact"}), on=ROW_KEY, how="left"
    ).merge(decimals, on="indicator_id", how="left")
    copy = [
        not math.isnan(e) and not math.isnan(d) and round_half_up(e, int(d)) == v
        for v, e, d in zip(
            merged["value"], merged["exact"].astype(float), merged["decimals"].astype(float), strict=True
        )
    ]
    merged.loc[copy, "value"] = merged.loc[copy, "exact"]
    return merged[[*ROW_KEY, "value"]]


def _jsonstat_values(path: Path) -> pd.DataFrame:
    """The values of one JSON-stat 2.0 dataset as rows (row-major over its dimensions)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    categories = []
    for name in data["id"]:
        index = data["dimension"][name]["category"]["index"]
        codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
        categories.append(codes)
    grid = pd.MultiIndex.from_product(categories, names=data["id"]).to_frame(index=False)
    values = data["value"]
    if isinstance(values, dict):
        dense = [None] * len(grid)
        for position, value in values.items():
            dense[int(position)] = value
        values = dense
    grid["value"] = pd.array(values, dtype="Float64").astype(float)
    level = data["dimension"]["Region"].get("extension", {}).get("level", {})
    return pd.DataFrame(
        {
            "indicator_id": grid["ContentsCode"],
            "target_group": grid["Maalgruppe"],
            "geo_level": grid["Region"].map(level),
            "geo_code": grid["Region"],
            "year": grid["Tid"].astype(int),
            "value": grid["value"],
        }
    ).dropna(subset=["value"])


def known_and_hidden(
    printed: Printed, parts: pd.DataFrame, factors: dict[str, float]
) -> tuple[dict[tuple, float], set[tuple], list[str]]:
    """Known cell values, cells with data that are printed nowhere, and contradictions found.

    A printed value of a rate gives away its numerator when the denominator is known, and its
    denominator when the numerator is known and the value is not zero.
    """
    rows = printed.rows.merge(parts, on=["indicator_id", "target_group"])
    extra = printed.values.merge(
        rows[[*ROW_KEY, "numerator_measure", "denominator_measure"]], on=ROW_KEY, how="inner"
    )
    known: dict[tuple, float] = {}
    conflicts: list[str] = []

    def learn(cell: tuple, value: float) -> None:
        if cell in known and abs(known[cell] - value) > 1e-6:
            conflicts.append(f"{cell}: printed as {known[cell]} and as {value}")
        known.setdefault(cell, value)

    for role in ROLES:
        frame = rows[rows[f"{role}_measure"].notna() & rows[role].notna()]
        for cell, value in zip(_cells(frame, role), frame[role], strict=True):
            learn(cell, float(value))
    printed_values = pd.concat(
        [rows[[*ROW_KEY, "numerator_measure", "denominator_measure", "value"]], extra], ignore_index=True
    ).dropna(subset=["value"])
    for _ in range(2):  # a value can reveal a cell that makes another value reveal one more
        for r in printed_values.itertuples(index=False):
            numerator = (r.numerator_measure, r.geo_level, r.geo_code, r.year)
            if not isinstance(r.denominator_measure, str):
                learn(numerator, float(r.value))
                continue
            denominator = (r.denominator_measure, r.geo_level, r.geo_code, r.year)
            factor = factors[r.indicator_id]
            if denominator in known:
                learn(numerator, round(r.value * known[denominator] / factor, 6))
            elif numerator in known and r.value != 0:
                learn(denominator, round(known[numerator] * factor / r.value, 6))
    hidden: set[tuple] = set()
    suppressed = rows[rows["status"] == "suppressed"]
    for role in ROLES:
        frame = suppressed[suppressed[f"{role}_measure"].notna() & suppressed[role].isna()]
        hidden.update(c for c in _cells(frame, role) if c not in known)
    return known, hidden, conflicts


def _cells(frame: pd.DataFrame, role: str) -> list[tuple]:
    columns = [frame[f"{role}_measure"], frame["geo_level"], frame["geo_code"], frame["year"].astype(int)]
    return list(zip(*columns, strict=True))


def attack(
    printed: Printed,
    parts: pd.DataFrame,
    dim_geography: pd.DataFrame,
    catalogue: Catalogue,
    level: float,
) -> list[Proven]:
    """The interval the attacker proves for every hidden cell of a sensitive measure and every
    declared difference with a hidden term. ``level``: an interval at least this wide (and not
    inside 1 … min_count−1) needs no exact solve; narrower ones are solved exactly."""
    factors = {i.id: i.factor for i in catalogue.indicators.values()}
    known, hidden, _ = known_and_hidden(printed, parts, factors)
    sensitive = {m.id for m in catalogue.measures.values() if m.sensitive}
    levels = {m: catalogue.measure_level(m) for m in catalogue.measures}
    hierarchy = {lv: sum_relations(dim_geography, lv) for lv in ("kommune", "fylke", "land")}
    small = catalogue.suppression.min_count
    jobs = []
    for measures, relations in measure_families(catalogue):
        if not set(measures) & sensitive:
            continue
        years = sorted({c[3] for c in hidden if c[0] in measures})
        for year in years:
            values: dict[FamilyCell, float] = {
                c[:3]: v for c, v in known.items() if c[0] in measures and c[3] == year
            }
            unknown = {c[:3] for c in hidden if c[0] in measures and c[3] == year}
            values.update({c: math.nan for c in unknown})
            problem = build_problem(year, values, relations, hierarchy, levels, sensitive, set())
            index = problem.index()
            quantities: list[tuple[tuple[str, ...], str, str, dict[int, float]]] = [
                ((c[0],), c[1], c[2], {index[c]: 1.0}) for c in sorted(unknown) if c[0] in sensitive
            ]
            for relation in relations:
                for geo in sorted({c[1:] for c in unknown}):
                    cells = [(relation.whole, *geo), *((p, *geo) for p in relation.parts)]
                    if all(c in index for c in cells) and any(c in unknown for c in cells):
                        objective = {index[cells[0]]: 1.0, **{index[c]: -1.0 for c in cells[1:]}}
                        quantities.append(((relation.whole, *relation.parts), *geo, objective))
            jobs.append((problem, quantities, level, small))
    proven: list[Proven] = []
    for (problem, quantities, _, _), found in zip(
        jobs, solve_all(_prove, jobs, size=lambda job: len(job[1])), strict=True
    ):
        proven.extend(
            Proven(q[0], q[1], q[2], problem.year, low, high, exact)
            for q, (low, high, exact) in zip(quantities, found, strict=True)
        )
    return proven


def _prove(job: tuple) -> list[tuple[float, float, bool]]:
    """The intervals of one problem's quantities (runs in a worker)."""
    problem, quantities, level, small = job
    attacker = HiddenCells(problem, np.isnan(problem.values))
    return attacker.certify(
        [q[3] for q in quantities],
        lambda low, high: high - low >= level and not (low >= 1 and high <= small - 1),
    )


def cell_frame(proven: list[Proven]) -> pd.DataFrame:
    """The proven intervals as a frame: CELL_KEY (first measure) + relation + low/high/exact."""
    return pd.DataFrame(
        [
            (p.measures[0], p.geo_level, p.geo_code, p.year,
             " − ".join(p.measures) if len(p.measures) > 1 else None, p.low, p.high, p.exact)
            for p in proven
        ],
        columns=[*CELL_KEY, "relation", "low", "high", "exact"],
    )  # fmt: skip
