"""Generator of SYNTHETIC SSB household demo data: households, renters, children, and children in
low-income, crowded, rented housing.

Statistics Norway (SSB) publishes these per municipality in its register-based housing
statistics (boforhold, registerbasert) and income statistics (inntekts- og formuesstatistikk for
husholdninger). They are not bundled with the project, so this module writes a clearly labelled
stand-in, ``data/demo/ssb_households.csv``, one row per 2024 municipality and year 2014–2024.

Reference dates follow the measure catalogue: private and rented households at 1 January of
the year (scaled by the population that day); children at 31.12 (scaled by the population on
1 January of the next year).

Nothing in a single municipality's row is real. National totals: the two published figures for
children in low-income, crowded, rented housing (2019, 2021) exactly, everything else invented
(see :data:`NATIONAL_TARGETS`).

How the rows are made (largest remainder throughout, so every column sums exactly):

* **private households**: weights population ÷ a municipal household size of about 2.1–2.4
  persons (smaller in cities) × small noise;
* **rented households** within them (cap = households), weights households × a rent share of
  about 17–33 % that rises with municipality size;
* **children 0–17**: weights population × a municipal child share (mostly 19–24 %);
* **children in low-income, crowded, rented housing** within the children (cap 25 % of them),
  weights children × rent share² × a persistent "refugee-settlement" propensity × size factor,
  so they concentrate in cities and in municipalities that settle many refugees, while small
  municipalities often have none.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.households``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.allocation import largest_remainder
from pipelines.demo.common import (
    YEARS,
    NationalTargets,
    PublishedCount,
    allocate_years,
    ar1_log_noise,
    check_published,
    check_table,
    load_municipalities,
    load_population,
    panel_frame,
    published_figures,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 4_2014
OUTPUT_FILENAME = "ssb_households.csv"
COUNT_COLUMNS: tuple[str, ...] = (
    "private_households",
    "rented_households",
    "children_0_17",
    "children_low_income_crowded_rented",
)
COLUMNS: tuple[str, ...] = ("kommunenr", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National targets per year. "published" = in data/reference/published_national_figures.csv;
# "invented" = made up for the demo, the comment says how. Population = SSB, 2024 borders.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "private_households": {  # at 1.1; persons per household falling 0.006 a year
        2014: 2_301_377,  # invented, population 1.1 (5 109 056) / 2.220
        2015: 2_333_244,  # invented, 5 165 802 / 2.214
        2016: 2_361_406,  # invented, 5 213 985 / 2.208
        2017: 2_387_973,  # invented, 5 258 317 / 2.202
        2018: 2_411_484,  # invented, 5 295 619 / 2.196
        2019: 2_432_974,  # invented, 5 328 212 / 2.190
        2020: 2_457_683,  # invented, 5 367 580 / 2.184
        2021: 2_475_376,  # invented, 5 391 369 / 2.178
        2022: 2_497_822,  # invented, 5 425 270 / 2.172
        2023: 2_534_157,  # invented, 5 488 984 / 2.166
        2024: 2_569_538,  # invented, 5 550 203 / 2.160
    },
    "rented_households": {  # at 1.1; rent share rising 0.1 point a year
        2014: 543_125,  # invented, 23.6 % of private households
        2015: 552_979,  # invented, 23.7 %
        2016: 562_015,  # invented, 23.8 %
        2017: 570_726,  # invented, 23.9 %
        2018: 578_756,  # invented, 24.0 %
        2019: 586_347,  # invented, 24.1 %
        2020: 594_759,  # invented, 24.2 %
        2021: 601_516,  # invented, 24.3 %
        2022: 609_469,  # invented, 24.4 %
        2023: 620_868,  # invented, 24.5 %
        2024: 632_106,  # invented, 24.6 %
    },
    "children_0_17": {  # at 31.12; child share falling 0.18 point a year
        2014: 1_120_979,  # invented, 21.70 % of inhabitants at 31.12 (5 165 802)
        2015: 1_122_050,  # invented, 21.52 % of 5 213 985
        2016: 1_122_125,  # invented, 21.34 % of 5 258 317
        2017: 1_120_553,  # invented, 21.16 % of 5 295 619
        2018: 1_117_859,  # invented, 20.98 % of 5 328 212
        2019: 1_116_457,  # invented, 20.80 % of 5 367 580
        2020: 1_111_700,  # invented, 20.62 % of 5 391 369
        2021: 1_108_925,  # invented, 20.44 % of 5 425 270
        2022: 1_112_068,  # invented, 20.26 % of 5 488 984
        2023: 1_114_481,  # invented, 20.08 % of 5 550 203
        2024: 1_113_274,  # invented, 19.90 % of 5 594 340
    },
    "children_low_income_crowded_rented": {  # lavinntekt + leier + trangbodd
        2014: 33_500,  # invented, rising with the 2015–16 refugee arrivals
        2015: 34_500,  # invented
        2016: 36_000,  # invented
        2017: 36_800,  # invented
        2018: 36_000,  # invented
        2019: 35_000,  # published, approx. "about 35 000" (Husbanken press release)
        2020: 34_600,  # invented, interpolated
        2021: 34_000,  # published, approx. "about 34 000" (Husbanken press release)
        2022: 33_400,  # invented, trend
        2023: 34_200,  # invented (refugees from Ukraine)
        2024: 35_100,  # invented
    },
}
PUBLISHED: dict[str, PublishedCount] = {
    "barn_lavinntekt_trangt_leie": PublishedCount("children_low_income_crowded_rented"),
}
SUBSETS = (
    ("rented_households", "private_households"),
    ("children_low_income_crowded_rented", "children_0_17"),
)

_MAX_LOW_INCOME_SHARE = 0.25  # cap: at most a quarter of a municipality's children


def check_national_targets(targets: NationalTargets, published: pd.DataFrame) -> list[str]:
    """Problems with the national targets (empty list = usable)."""
    problems = check_table(targets, COUNT_COLUMNS, YEARS, SUBSETS)
    return problems or check_published(targets, published, PUBLISHED)


def rent_share(population: np.ndarray) -> np.ndarray:
    """Typical share of households that rent, by municipality size: ~17 % (≤ 1 000) to ~31 % (700 000)."""
    return np.clip(0.18 + 0.02 * np.log(population / 1_000.0), 0.17, 0.40)


def generate_households(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic household rows (:data:`COLUMNS`) for all 2024 municipalities, 2014–2024."""
    reference_dir = Path(reference_dir)
    published = published_figures(reference_dir, PUBLISHED, YEARS)
    raise_if(check_national_targets(NATIONAL_TARGETS, published), "household targets")
    codes = list(load_municipalities(reference_dir)["code"])
    population_1_january = load_population(reference_dir, codes, YEARS)
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(SEED)

    size_noise = rng.lognormal(0.0, 0.02, n)
    household_noise = ar1_log_noise(rng, (n, n_years), sigma=0.005, rho=0.9)
    rent_propensity = rng.lognormal(0.0, 0.08, n)
    rent_noise = ar1_log_noise(rng, (n, n_years), sigma=0.02, rho=0.9)
    child_share = np.clip(rng.normal(0.215, 0.012, n), 0.17, 0.26)
    child_noise = ar1_log_noise(rng, (n, n_years), sigma=0.01, rho=0.9)
    refugee_propensity = rng.lognormal(0.0, 0.4, n)
    poverty_noise = ar1_log_noise(rng, (n, n_years), sigma=0.15, rho=0.7)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        population = population_1_january[:, t]
        # Persons per household: ~2.35 at 200 inhabitants, ~2.10 in Oslo (before the national scaling).
        household_size = (2.30 - 0.03 * np.log(population / 1_000.0)) * size_noise
        households = largest_remainder(
            target["private_households"], population / household_size * household_noise[:, t]
        )
        share = rent_share(population) * rent_propensity
        rented = largest_remainder(
            target["rented_households"], households * share * rent_noise[:, t], caps=households
        )
        children = largest_remainder(
            target["children_0_17"], inhabitants[:, t] * child_share * child_noise[:, t]
        )
        poor = largest_remainder(
            target["children_low_income_crowded_rented"],
            children
            * share**2
            * refugee_propensity
            * (inhabitants[:, t] / 10_000.0) ** 0.3
            * poverty_noise[:, t],
            caps=np.floor(_MAX_LOW_INCOME_SHARE * children).astype(np.int64),
        )
        return {
            "private_households": households,
            "rented_households": rented,
            "children_0_17": children,
            "children_low_income_crowded_rented": poor,
        }

    out = allocate_years(NATIONAL_TARGETS, COUNT_COLUMNS, YEARS, n, allocate)
    return panel_frame("kommunenr", codes, YEARS, out)[list(COLUMNS)]


def write_households(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/ssb_households.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_households(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.households [--reference-dir D] [--out-dir D]``."""
    run_cli([write_households], __doc__, argv)


if __name__ == "__main__":
    main()
