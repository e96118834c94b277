"""Shared plumbing of the synthetic demo-data generators (everything except KOSTRA form 13's core).

Reading the reference data (municipalities, counties, population), random-noise shapes, checks of
a table of national targets against ``data/reference/published_national_figures.csv``, and the
one way every demo CSV is written (UTF-8, header, comma, ``\\n`` line endings, no index).

All helpers are deterministic: given the same inputs and the same random generator state they
return the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.formatting import round_half_up
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

YEARS: tuple[int, ...] = tuple(range(2014, 2025))
DATA_ORIGIN = "synthetic"

NationalTargets = Mapping[str, Mapping[int, int]]


@dataclass(frozen=True)
class PublishedCount:
    """A published national count: ``column`` sums to ``value × scale`` (e.g. billions → kroner)."""

    column: str
    scale: int = 1


@dataclass(frozen=True)
class PublishedPercent:
    """A published national share: ``100 × numerator / denominator`` rounds half up to it."""

    numerator: str
    denominator: str


def load_municipalities(reference_dir: Path) -> pd.DataFrame:
    """The 2024 municipalities: columns ``code`` and ``county_code`` (text), sorted by code."""
    municipalities = pd.read_csv(Path(reference_dir) / "municipalities_2024.csv", dtype=str)
    if municipalities["code"].duplicated().any():
        raise ValueError("duplicate municipality codes in municipalities_2024.csv")
    frame = municipalities[["code", "county_code"]].sort_values("code", kind="stable")
    return frame.reset_index(drop=True)


def load_population(reference_dir: Path, codes: Sequence[str], years: Iterable[int]) -> np.ndarray:
    """Population on 1 January of each of ``years`` (2024 borders), shape ``(len(codes), len(years))``.

    For "inhabitants at 31.12 of year Y" pass ``Y + 1``. Float, because some early figures on
    2024 borders are fractional estimates for split municipalities. Gaps or non-positive values
    raise :class:`ValueError`.
    """
    population = pd.read_csv(
        Path(reference_dir) / "population_municipality_2024borders.csv", dtype={"code": str}
    )
    wide = population.pivot(index="code", columns="year", values="population")
    years = list(years)
    missing_years = [y for y in years if y not in wide.columns]
    if missing_years:
        raise ValueError(f"population missing for 1 January {missing_years}")
    missing_codes = sorted(set(codes) - set(wide.index))
    if missing_codes:
        raise ValueError(f"population missing for municipalities {missing_codes[:10]}")
    values = wide.loc[list(codes), years].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("population has missing or non-positive values")
    return values


def ar1_log_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float, rho: float) -> np.ndarray:
    """Multiplicative noise ``exp(e)``, ``e`` a stationary AR(1) along axis 1 (sd ``sigma``, corr ``rho``)."""
    shocks = rng.standard_normal(shape)
    e = np.empty(shape)
    e[:, 0] = sigma * shocks[:, 0]
    innovation = sigma * np.sqrt(1.0 - rho**2)
    for t in range(1, shape[1]):
        e[:, t] = rho * e[:, t - 1] + innovation * shocks[:, t]
    return np.exp(e)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def exact_multinomial(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` units drawn multinomially with probabilities ∝ ``weights`` (int64, sums to total).

    Random rather than proportional: small units get 0 in most years and now and then 1–3, as
    rare events really fall. Units with weight 0 always get 0.
    """
    weights = np.asarray(weights, dtype=float)
    if total < 0 or np.any(weights < 0) or not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        raise ValueError("need a non-negative total and finite non-negative weights with a positive sum")
    draw = rng.multinomial(int(total), weights / weights.sum())
    if int(draw.sum()) != total:  # cannot happen; guards future edits
        raise RuntimeError("multinomial draw does not sum to its total")
    return draw.astype(np.int64)


def published_figures(reference_dir: Path, measures: Iterable[str], years: Iterable[int]) -> pd.DataFrame:
    """Rows ``measure, year, value`` of the published national figures for ``measures`` in ``years``."""
    figures = pd.read_csv(
        Path(reference_dir) / "published_national_figures.csv",
        dtype={"measure": str, "unit": str, "geo": str},
    )
    keep = figures["measure"].isin(set(measures)) & figures["year"].isin(set(years))
    return figures.loc[keep, ["measure", "year", "value"]].reset_index(drop=True)


def check_published(
    targets: NationalTargets,
    published: pd.DataFrame,
    measures: Mapping[str, PublishedCount | PublishedPercent],
) -> list[str]:
    """Disagreements between a table of national targets and the published figures (empty = fine).

    A count must be matched exactly (after ``scale``); a percentage must be reproduced by the
    target counts when rounded half up to whole percent, as the producers publish it.
    """
    problems: list[str] = []
    for row in published.itertuples(index=False):
        year = int(row.year)
        spec = measures[row.measure]
        try:
            if isinstance(spec, PublishedCount):
                ours = int(targets[spec.column][year])
                wanted = round_half_up(row.value * spec.scale, 0)
                if ours != wanted:
                    problems.append(f"{row.measure} {year}: target {ours} != published {wanted:.0f}")
            else:
                num, den = int(targets[spec.numerator][year]), int(targets[spec.denominator][year])
                ours = round_half_up(100 * num / den, 0)
                if ours != row.value:
                    problems.append(f"{row.measure} {year}: target share {ours} % != published {row.value} %")
        except KeyError as exc:
            problems.append(f"{row.measure} {year}: no target for {exc}")
    return problems


def check_table(
    targets: NationalTargets,
    columns: Sequence[str],
    years: Sequence[int],
    subsets: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """Structural problems of a target table: missing values, negatives, subsets above supersets."""
    problems: list[str] = []
    for column in columns:
        missing = [y for y in years if y not in targets.get(column, {})]
        if missing:
            problems.append(f"{column}: no target for {missing}")
    if problems:
        return problems
    for year in years:
        for column in columns:
            if int(targets[column][year]) < 0:
                problems.append(f"{year}: {column} is negative")
        for sub, sup in subsets:
            if not 0 <= int(targets[sub][year]) <= int(targets[sup][year]):
                problems.append(
                    f"{year}: {sub} {targets[sub][year]} not within 0..{sup} {targets[sup][year]}"
                )
    return problems


def raise_if(problems: list[str], what: str) -> None:
    if problems:
        raise ValueError(f"{what} are inconsistent:\n" + "\n".join(problems))


def check_sum(values: np.ndarray, target: int, column: str, year: int) -> None:
    """Guard: ``values`` must sum to ``target`` (cannot fail with the allocation helpers)."""
    if int(np.sum(values)) != int(target):
        raise RuntimeError(f"{column} {year}: sum {int(np.sum(values))} != target {target}")


def allocate_years(
    targets: Mapping[str, Mapping[int, int]],
    columns: Sequence[str],
    years: Sequence[int],
    n_units: int,
    allocate: Callable[[int, int, dict[str, int]], Mapping[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Units × years arrays of whole counts, one year at a time.

    ``allocate(t, year, target)`` gets that year's national targets and returns each column's
    allocation over the units; every sum is checked against its target before it is stored.
    """
    out = {column: np.zeros((n_units, len(years)), dtype=np.int64) for column in columns}
    for t, year in enumerate(years):
        target = {column: int(targets[column][year]) for column in columns}
        for column, values in allocate(t, year, target).items():
            check_sum(values, target[column], column, year)
            out[column][:, t] = values
    return out


def panel_frame(
    key_name: str,
    keys: Sequence[str],
    years: Sequence[int],
    columns: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Long frame ``key, year, <columns>, data_origin`` from ``(len(keys), len(years))`` int arrays.

    Sorted by key then year.
    """
    n, n_years = len(keys), len(years)
    frame = pd.DataFrame(
        {
            key_name: np.repeat(np.asarray(keys, dtype=object), n_years),
            "year": np.tile(np.asarray(years, dtype=np.int64), n),
            **{
                name: np.asarray(values, dtype=np.int64).reshape(n, n_years).ravel()
                for name, values in columns.items()
            },
            "data_origin": DATA_ORIGIN,
        }
    )
    frame[key_name] = frame[key_name].astype(str)
    return frame.sort_values([key_name, "year"], kind="stable").reset_index(drop=True)


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of ``frame``: header, comma-separated, ``\\n`` line endings, no index."""
    return frame.to_csv(index=False, lineterminator="\n")


def write_csv(frame: pd.DataFrame, out_dir: Path, filename: str) -> Path:
    """Write ``frame`` to ``out_dir/filename`` (UTF-8, byte-identical on every run); return the path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / filename
    path.write_bytes(csv_text(frame).encode("utf-8"))
    return path


def run_cli(
    writers: Sequence[Callable[[Path, Path], Path]], description: str, argv: list[str] | None = None
) -> None:
    """The command line every generator shares: ``[--reference-dir D] [--out-dir D]``."""
    import argparse

    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--reference-dir", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEMO_DIR)
    args = parser.parse_args(argv)
    for write in writers:
        print(f"wrote {write(args.reference_dir, args.out_dir)}")
