"""Generator of SYNTHETIC IMDi demo data: refugees settled in the municipalities.

The Directorate of Integration and Diversity (IMDi) publishes, per municipality and year, the
refugees settled (bosatte flyktninger) and how many of them were settled within 6 months of the
decision that gave them residence. Those figures are not bundled with the project, so this module
writes a clearly labelled stand-in, ``data/demo/imdi_bosetting.csv``, one row per 2024
municipality and year 2022–2024: IMDi publishes settlement per municipality only from 2022
(``available_from`` of ``refugee_settlement`` in ``assets/sources.yaml``; docs/real_sources.md 1h),
so the stand-in has no earlier rows either, and the pipeline shows 2014–2021 as not available.

Nothing in a single municipality's row is real, and no national figure is published for these
measures in ``data/reference/published_national_figures.csv``: the national totals are invented
to follow the real pattern (refugees from Ukraine 2022–24; see :data:`NATIONAL_TARGETS`).

How the rows are made: whether a municipality settles anyone in a year depends on its size and
on the national volume (a persistent uniform draw mixed with a yearly one, against a logistic
chance that rises with both), so in 2022 nearly all settle some and in 2024 more small ones
settle 0. The settled are shared out by largest remainder with weights
inhabitants^0.85 (settlement is spread, so small municipalities get relatively many) × persistent
lognormal propensity × AR(1) noise; those settled within 6 months within them (cap = settled)
with a municipal Beta share.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.refugees``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo import common
from pipelines.demo.allocation import largest_remainder
from pipelines.demo.common import (
    NationalTargets,
    allocate_years,
    ar1_log_noise,
    check_table,
    load_municipalities,
    load_population,
    logistic,
    panel_frame,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 7_2014
OUTPUT_FILENAME = "imdi_bosetting.csv"
COUNT_COLUMNS: tuple[str, ...] = ("refugees_settled", "refugees_settled_within_6_months")
COLUMNS: tuple[str, ...] = ("kommunenr", "year", *COUNT_COLUMNS, "data_origin")
# IMDi per municipality from 2022 only: the same year as `available_from` in assets/sources.yaml
# (tests/test_demo_sources.py checks they agree). No row is written for earlier years.
FIRST_YEAR = 2022
YEARS: tuple[int, ...] = tuple(y for y in common.YEARS if y >= FIRST_YEAR)

# ---------------------------------------------------------------------------------------------
# National targets per year from FIRST_YEAR. Nothing is published for these measures: all invented.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "refugees_settled": {
        2022: 35_000,  # invented (refugees from Ukraine)
        2023: 33_500,  # invented
        2024: 22_000,  # invented
    },
    "refugees_settled_within_6_months": {  # share varies with the pressure on the municipalities
        2022: 31_500,  # invented, 90 % (fast settlement of refugees from Ukraine)
        2023: 26_130,  # invented, 78 %
        2024: 15_620,  # invented, 71 %
    },
}
SUBSETS = (("refugees_settled_within_6_months", "refugees_settled"),)

_SETTLEMENT_REFERENCE = (
    11_300.0  # national volume at which a 2 000-inhabitant municipality settles at odds 1:1
)


def check_national_targets(targets: NationalTargets) -> list[str]:
    """Problems with the national targets (empty list = usable)."""
    return check_table(targets, COUNT_COLUMNS, YEARS, SUBSETS)


def generate_refugees(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic settlement rows (:data:`COLUMNS`) for all 2024 municipalities, :data:`YEARS`
    (2022–2024)."""
    reference_dir = Path(reference_dir)
    raise_if(check_national_targets(NATIONAL_TARGETS), "refugee-settlement targets")
    codes = list(load_municipalities(reference_dir)["code"])
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(SEED)

    willingness = rng.random(n)
    yearly_willingness = rng.random((n, n_years))
    propensity = rng.lognormal(0.0, 0.5, n)
    noise = ar1_log_noise(rng, (n, n_years), sigma=0.3, rho=0.5)
    fast_share = rng.beta(8.0, 2.0, n)  # mean 0.8
    fast_noise = ar1_log_noise(rng, (n, n_years), sigma=0.1, rho=0.5)
    largest = int(np.argmax(inhabitants[:, -1]))

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        # Odds 1:1 at 2 000 inhabitants at a national volume of 11 300; the threshold size falls as
        # the national volume rises (≈ 650 inhabitants in 2022, ≈ 1 000 in 2024).
        threshold = 2_000.0 * _SETTLEMENT_REFERENCE / target["refugees_settled"]
        chance = logistic(1.5 * (np.log(inhabitants[:, t]) - np.log(threshold)))
        settles = 0.7 * willingness + 0.3 * yearly_willingness[:, t] < chance
        settles[largest] = True  # never an empty allocation
        settled = largest_remainder(
            target["refugees_settled"], inhabitants[:, t] ** 0.85 * propensity * noise[:, t] * settles
        )
        fast = largest_remainder(
            target["refugees_settled_within_6_months"],
            settled * fast_share * fast_noise[:, t],
            caps=settled,
        )
        return {"refugees_settled": settled, "refugees_settled_within_6_months": fast}

    out = allocate_years(NATIONAL_TARGETS, COUNT_COLUMNS, YEARS, n, allocate)
    return panel_frame("kommunenr", codes, YEARS, out)[list(COLUMNS)]


def write_refugees(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/imdi_bosetting.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_refugees(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.refugees [--reference-dir D] [--out-dir D]``."""
    run_cli([write_refugees], __doc__, argv)


if __name__ == "__main__":
    main()
