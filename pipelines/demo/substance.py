"""Generator of SYNTHETIC BrukerPlan demo data: people with substance problems known to the
municipality, and how many of them lack a suitable dwelling.

The real instrument is BrukerPlan (the regional competence centres on substance use, KoRus, for
the Norwegian Directorate of Health): a VOLUNTARY municipal survey. 222 municipalities took part
in 2015 and 257 in 2019 (stolav.no/korus; rusfeltet.no), out of 428 and 422. Those figures are not
bundled with the project, so this module writes a clearly labelled stand-in,
``data/demo/helsedir_rus.csv``: one row per 2024 municipality and year 2014–2024, with BLANK
cells for the municipalities that did not take part that year (the pipeline shows them as ``..``,
never 0).

Nothing in a single municipality's row is real. Invented: which municipalities take part (a
persistent willingness, larger municipalities more often, a little churn from year to year; see
:data:`PARTICIPANTS`) and the totals over the participants (see :data:`NATIONAL_TARGETS`).

How the rows are made: among the participants, people are shared out by largest remainder with
weights inhabitants × persistent lognormal propensity × AR(1) noise; those without a suitable
dwelling within them (cap = people) with a municipal share that is higher in large
municipalities, so small municipalities often have none.

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
# How many of the 357 municipalities (2024 borders) take part each year: invented, in line with
# the real 52 % (2015) and 61 % (2019), with a dip in the pandemic year 2020.
# ---------------------------------------------------------------------------------------------
PARTICIPANTS: dict[int, int] = {
    2014: 180, 2015: 186, 2016: 195, 2017: 203, 2018: 210, 2019: 218,
    2020: 198, 2021: 207, 2022: 214, 2023: 222, 2024: 229,
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Totals over the participating municipalities per year. Nothing is published for these
# measures: all invented, as shares of all inhabitants at 31.12 (SSB population, 2024 borders).
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


def participation(inhabitants: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Municipalities × years: True where the municipality takes part (:data:`PARTICIPANTS` a year).

    A persistent willingness plus the size of the municipality, with a little yearly churn: the
    same municipalities mostly take part year after year, as in a real voluntary survey."""
    n, n_years = inhabitants.shape
    willingness = rng.normal(0.0, 1.0, n) + 0.35 * np.log(inhabitants[:, -1])
    churn = rng.normal(0.0, 0.35, (n, n_years))
    takes_part = np.zeros((n, n_years), dtype=bool)
    for t, year in enumerate(YEARS):
        ranked = np.argsort(-(willingness + churn[:, t]), kind="stable")
        takes_part[ranked[: PARTICIPANTS[year]], t] = True
    return takes_part


def generate_substance(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic rows (:data:`COLUMNS`) for all 2024 municipalities, 2014–2024; blank where a
    municipality did not take part."""
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
    takes_part = participation(inhabitants, rng)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        persons = largest_remainder(
            target["persons_substance_problems"],
            inhabitants[:, t] * propensity * noise[:, t] * takes_part[:, t],
        )
        without = largest_remainder(
            target["persons_substance_without_suitable_dwelling"],
            persons * homeless_share * homeless_noise[:, t],
            caps=persons,
        )
        return {"persons_substance_problems": persons, "persons_substance_without_suitable_dwelling": without}

    out = allocate_years(NATIONAL_TARGETS, COUNT_COLUMNS, YEARS, n, allocate)
    frame = panel_frame("kommunenr", codes, YEARS, out)
    part = panel_frame("kommunenr", codes, YEARS, {"part": takes_part.astype(np.int64)})["part"]
    absent = part.to_numpy() == 0
    for column in COUNT_COLUMNS:  # did not take part: no figure at all (blank), never 0
        frame[column] = frame[column].astype("Int64").mask(absent)
    return frame[list(COLUMNS)]


def write_substance(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/helsedir_rus.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_substance(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.substance [--reference-dir D] [--out-dir D]``."""
    run_cli([write_substance], __doc__, argv)


if __name__ == "__main__":
    main()
