"""Generator of SYNTHETIC substance-problem demo data: people known to the municipality, and how
many of them lack a suitable dwelling.

The Norwegian Directorate of Health (Helsedirektoratet) collects, through the municipalities'
own mapping (Brukerplan-type surveys by the health and care services), the number of people
with substance problems the services know of and their housing situation. Those figures are not
bundled with the project, so this module writes a clearly labelled stand-in,
``data/demo/helsedir_rus.csv``, one row per 2024 municipality and year 2014–2024.

Nothing in a single municipality's row is real, and no national figure is published for these
measures in ``data/reference/published_national_figures.csv``: the national totals are invented
(0.66–0.76 % of the inhabitants; of them 17.5 % falling to 12.5 % without a suitable dwelling;
see :data:`NATIONAL_TARGETS`).

How the rows are made: people are shared out by largest remainder with weights inhabitants ×
persistent lognormal propensity × AR(1) noise; those without a suitable dwelling within them
(cap = people) with a municipal share that is higher in large municipalities, so small
municipalities often have none.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.substance``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.allocation import largest_remainder
from pipelines.demo.common import (
    YEARS,
    NationalTargets,
    allocate_years,
    ar1_log_noise,
    check_table,
    load_municipalities,
    load_population,
    panel_frame,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 8_2014
OUTPUT_FILENAME = "helsedir_rus.csv"
COUNT_COLUMNS: tuple[str, ...] = ("persons_substance_problems", "persons_substance_without_suitable_dwelling")
COLUMNS: tuple[str, ...] = ("kommunenr", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National targets per year. Nothing is published for these measures: all invented, as shares
# of the inhabitants at 31.12 (SSB population, 2024 borders).
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "persons_substance_problems": {  # rising 0.01 point a year (better mapping)
        2014: 34_094,  # invented, 0.66 % of 5 165 802 inhabitants
        2015: 34_934,  # invented, 0.67 % of 5 213 985
        2016: 35_757,  # invented, 0.68 % of 5 258 317
        2017: 36_540,  # invented, 0.69 % of 5 295 619
        2018: 37_297,  # invented, 0.70 % of 5 328 212
        2019: 38_110,  # invented, 0.71 % of 5 367 580
        2020: 38_818,  # invented, 0.72 % of 5 391 369
        2021: 39_604,  # invented, 0.73 % of 5 425 270
        2022: 40_618,  # invented, 0.74 % of 5 488 984
        2023: 41_627,  # invented, 0.75 % of 5 550 203
        2024: 42_517,  # invented, 0.76 % of 5 594 340
    },
    "persons_substance_without_suitable_dwelling": {  # falling 0.5 point a year
        2014: 5_966,  # invented, 17.5 % of persons
        2015: 5_939,  # invented, 17.0 %
        2016: 5_900,  # invented, 16.5 %
        2017: 5_846,  # invented, 16.0 %
        2018: 5_781,  # invented, 15.5 %
        2019: 5_717,  # invented, 15.0 %
        2020: 5_629,  # invented, 14.5 %
        2021: 5_545,  # invented, 14.0 %
        2022: 5_483,  # invented, 13.5 %
        2023: 5_412,  # invented, 13.0 %
        2024: 5_315,  # invented, 12.5 %
    },
}
SUBSETS = (("persons_substance_without_suitable_dwelling", "persons_substance_problems"),)


def check_national_targets(targets: NationalTargets) -> list[str]:
    """Problems with the national targets (empty list = usable)."""
    return check_table(targets, COUNT_COLUMNS, YEARS, SUBSETS)


def generate_substance(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic rows (:data:`COLUMNS`) for all 2024 municipalities, 2014–2024."""
    reference_dir = Path(reference_dir)
    raise_if(check_national_targets(NATIONAL_TARGETS), "substance-survey targets")
    codes = list(load_municipalities(reference_dir)["code"])
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(SEED)

    propensity = rng.lognormal(0.0, 0.3, n)
    noise = ar1_log_noise(rng, (n, n_years), sigma=0.1, rho=0.7)
    # Share without a suitable dwelling: ~10 % in small municipalities, ~20 % in the largest cities.
    homeless_share = (inhabitants[:, -1] / 10_000.0) ** 0.1 * rng.lognormal(0.0, 0.35, n)
    homeless_noise = ar1_log_noise(rng, (n, n_years), sigma=0.15, rho=0.6)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        persons = largest_remainder(
            target["persons_substance_problems"], inhabitants[:, t] * propensity * noise[:, t]
        )
        without = largest_remainder(
            target["persons_substance_without_suitable_dwelling"],
            persons * homeless_share * homeless_noise[:, t],
            caps=persons,
        )
        return {"persons_substance_problems": persons, "persons_substance_without_suitable_dwelling": without}

    out = allocate_years(NATIONAL_TARGETS, COUNT_COLUMNS, YEARS, n, allocate)
    return panel_frame("kommunenr", codes, YEARS, out)[list(COLUMNS)]


def write_substance(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/helsedir_rus.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_substance(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.substance [--reference-dir D] [--out-dir D]``."""
    run_cli([write_substance], __doc__, argv)


if __name__ == "__main__":
    main()
