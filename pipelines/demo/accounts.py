"""Generator of SYNTHETIC KOSTRA accounts demo data: net operating expenditure on housing.

Statistics Norway (SSB) publishes the municipal accounts in KOSTRA; the housing functions are
265 (municipally disposed dwellings), 283 (help to obtain and keep a dwelling) and 315 (house
building and physical living-environment measures). Their net operating expenditure
(netto driftsutgifter) is not bundled with the project, so this module writes a clearly
labelled stand-in, ``data/demo/kostra_accounts.csv``, one row per 2024 municipality and year
2014–2024, in whole kroner (multiples of 1 000, as KOSTRA reports in 1 000 NOK).

Nothing in a single municipality's row is real, and no national figure is published for this
measure in ``data/reference/published_national_figures.csv``: all national totals are invented
(about 170–240 NOK per inhabitant, rising), see :data:`NATIONAL_TARGETS`.

This is the one demo column that may be negative: where rent income from municipal dwellings
exceeds their costs, function 265 (and so the sum) is negative, as it really is in some
municipalities. How the rows are made: each municipality has a persistent NOK-per-inhabitant
level (normal, wider spread in small municipalities, so some are below zero) plus AR(1) yearly
noise; the national difference to the target is spread per inhabitant, and the result is
rounded to 1 000 NOK with the largest remainders getting the units still missing, so the
column sums exactly to the target.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.accounts``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.common import (
    YEARS,
    NationalTargets,
    check_sum,
    load_municipalities,
    load_population,
    panel_frame,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 5_2014
OUTPUT_FILENAME = "kostra_accounts.csv"
COUNT_COLUMNS: tuple[str, ...] = ("net_expenditure_housing_nok",)
COLUMNS: tuple[str, ...] = ("kommunenr", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National targets per year. Nothing is published for this measure: all invented, as NOK per
# inhabitant at 31.12 (SSB population, 2024 borders) × inhabitants, rounded to 1 000 NOK.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "net_expenditure_housing_nok": {
        2014: 867_855_000,  # invented, 168 NOK × 5 165 802 inhabitants
        2015: 896_805_000,  # invented, 172 NOK × 5 213 985
        2016: 941_239_000,  # invented, 179 NOK × 5 258 317 (refugee settlement)
        2017: 974_394_000,  # invented, 184 NOK × 5 295 619
        2018: 1_012_360_000,  # invented, 190 NOK × 5 328 212
        2019: 1_052_046_000,  # invented, 196 NOK × 5 367 580
        2020: 1_105_231_000,  # invented, 205 NOK × 5 391 369
        2021: 1_144_732_000,  # invented, 211 NOK × 5 425 270
        2022: 1_196_599_000,  # invented, 218 NOK × 5 488 984
        2023: 1_270_996_000,  # invented, 229 NOK × 5 550 203
        2024: 1_331_453_000,  # invented, 238 NOK × 5 594 340
    },
}

_NOK_UNIT = 1_000  # KOSTRA accounts are in 1 000 NOK


def check_national_targets(targets: NationalTargets) -> list[str]:
    """Problems with the national targets (empty list = usable). Negative totals are allowed."""
    problems: list[str] = []
    for year in YEARS:
        value = targets.get("net_expenditure_housing_nok", {}).get(year)
        if value is None:
            problems.append(f"net_expenditure_housing_nok: no target for {year}")
        elif int(value) % _NOK_UNIT:
            problems.append(f"{year}: net_expenditure_housing_nok is not whole thousands")
    return problems


def round_to_total(values: np.ndarray, total: int) -> np.ndarray:
    """Integers close to ``values`` (which may be negative) that sum exactly to ``total``.

    Every value is first shifted by the same amount so the values sum to ``total``, then
    floored; the units still missing go, one each, to the largest fractional parts (ties: the
    lower index). Each result differs from its shifted value by less than 1.
    """
    values = np.asarray(values, dtype=float)
    shifted = values + (total - values.sum()) / len(values)
    floors = np.floor(shifted)
    missing = int(total - int(floors.astype(np.int64).sum()))
    if not 0 <= missing <= len(values):  # float drift of the shift; cannot happen at these sizes
        raise RuntimeError(f"cannot round to the total: {missing} units missing")
    order = np.lexsort((np.arange(len(values)), -(shifted - floors)))
    result = floors.astype(np.int64)
    result[order[:missing]] += 1
    return result


def generate_accounts(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic KOSTRA housing-expenditure rows (:data:`COLUMNS`), 2024 municipalities, 2014–2024."""
    reference_dir = Path(reference_dir)
    raise_if(check_national_targets(NATIONAL_TARGETS), "accounts targets")
    codes = list(load_municipalities(reference_dir)["code"])
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(SEED)

    # NOK per inhabitant around the national level: sd 110 in cities, up to 350 in the
    # smallest municipalities, so roughly one municipality in eight comes out negative.
    spread = 110.0 + 240.0 * np.exp(-inhabitants[:, -1] / 5_000.0)
    level = rng.standard_normal(n) * spread
    yearly = rng.standard_normal((n, n_years))
    noise = np.empty((n, n_years))
    noise[:, 0] = yearly[:, 0]
    for t in range(1, n_years):  # AR(1), correlation 0.6, sd 1
        noise[:, t] = 0.6 * noise[:, t - 1] + 0.8 * yearly[:, t]

    out = np.zeros((n, n_years), dtype=np.int64)
    for t, year in enumerate(YEARS):
        target = int(NATIONAL_TARGETS["net_expenditure_housing_nok"][year])
        per_inhabitant = target / inhabitants[:, t].sum()
        nok = inhabitants[:, t] * (per_inhabitant + level + 0.4 * spread * noise[:, t])
        # Centre the municipal deviations per inhabitant, then round to exact 1 000 NOK.
        nok -= inhabitants[:, t] * ((nok.sum() - target) / inhabitants[:, t].sum())
        values = round_to_total(nok / _NOK_UNIT, target // _NOK_UNIT) * _NOK_UNIT
        check_sum(values, target, "net_expenditure_housing_nok", year)
        out[:, t] = values
    return panel_frame("kommunenr", codes, YEARS, {"net_expenditure_housing_nok": out})[list(COLUMNS)]


def write_accounts(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/kostra_accounts.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_accounts(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.accounts [--reference-dir D] [--out-dir D]``."""
    run_cli([write_accounts], __doc__, argv)


if __name__ == "__main__":
    main()
