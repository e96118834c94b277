"""Generator of SYNTHETIC eviction demo data: requests and executed evictions per county.

The enforcement officers (namsmannen, the police) register requests for eviction (begjæringer
om fravikelse) and executed evictions (gjennomførte utkastelser). The figures exist per county
(police district), not per municipality, so ``data/demo/namsmann_fravikelser.csv`` has one row
per 2024 county (15 codes, as text: "03", "11", …) and year 2014–2024.

Nothing in a county's row is real, and no national figure is published for these measures in
``data/reference/published_national_figures.csv``: all national totals are invented (requests
about 10 000 falling to 7 000, executed about 2 600 falling to 1 800; see
:data:`NATIONAL_TARGETS`). The split over counties follows the county's rented households (from
the synthetic household data of :mod:`pipelines.demo.households`, which follow the real
population) × a persistent lognormal county propensity × AR(1) yearly noise, by largest
remainder; executed evictions are shared out within the requests (cap = requests) with a
county execution share (Beta, mean about 25 %).

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.evictions``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo import households
from pipelines.demo.allocation import largest_remainder
from pipelines.demo.common import (
    YEARS,
    NationalTargets,
    allocate_years,
    ar1_log_noise,
    check_table,
    load_municipalities,
    panel_frame,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 6_2014
OUTPUT_FILENAME = "namsmann_fravikelser.csv"
COUNT_COLUMNS: tuple[str, ...] = ("eviction_requests", "evictions_executed")
COLUMNS: tuple[str, ...] = ("fylke", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National targets per year. Nothing is published for these measures: all invented.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "eviction_requests": {  # begjæringer om fravikelse
        2014: 10_050,  # invented, slow decline
        2015: 9_700,  # invented
        2016: 9_350,  # invented
        2017: 9_050,  # invented
        2018: 8_700,  # invented
        2019: 8_350,  # invented
        2020: 7_300,  # invented (COVID-19: fewer requests)
        2021: 7_150,  # invented
        2022: 7_250,  # invented
        2023: 7_100,  # invented
        2024: 7_000,  # invented
    },
    "evictions_executed": {  # gjennomførte utkastelser
        2014: 2_600,  # invented, 25.9 % of requests
        2015: 2_520,  # invented, 26.0 %
        2016: 2_430,  # invented, 26.0 %
        2017: 2_330,  # invented, 25.7 %
        2018: 2_240,  # invented, 25.7 %
        2019: 2_150,  # invented, 25.7 %
        2020: 1_750,  # invented, 24.0 % (COVID-19: evictions postponed)
        2021: 1_800,  # invented, 25.2 %
        2022: 1_850,  # invented, 25.5 %
        2023: 1_820,  # invented, 25.6 %
        2024: 1_800,  # invented, 25.7 %
    },
}
SUBSETS = (("evictions_executed", "eviction_requests"),)


def check_national_targets(targets: NationalTargets) -> list[str]:
    """Problems with the national targets (empty list = usable)."""
    return check_table(targets, COUNT_COLUMNS, YEARS, SUBSETS)


def generate_evictions(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic county rows (:data:`COLUMNS`) for the 15 counties of 2024, years 2014–2024."""
    reference_dir = Path(reference_dir)
    raise_if(check_national_targets(NATIONAL_TARGETS), "eviction targets")
    municipalities = load_municipalities(reference_dir)
    rented = households.generate_households(reference_dir).pivot(
        index="kommunenr", columns="year", values="rented_households"
    )
    county_of = municipalities.set_index("code")["county_code"]
    by_county = rented.groupby(county_of.reindex(rented.index).to_numpy()).sum().sort_index()
    counties = [str(code) for code in by_county.index]
    rented_households = by_county[list(YEARS)].to_numpy(dtype=float)
    n, n_years = rented_households.shape
    rng = np.random.default_rng(SEED)

    propensity = rng.lognormal(0.0, 0.15, n)
    noise = ar1_log_noise(rng, (n, n_years), sigma=0.06, rho=0.6)
    execution_share = rng.beta(25.0, 75.0, n)  # mean 0.25
    execution_noise = ar1_log_noise(rng, (n, n_years), sigma=0.06, rho=0.5)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        requests = largest_remainder(
            target["eviction_requests"], rented_households[:, t] * propensity * noise[:, t]
        )
        executed = largest_remainder(
            target["evictions_executed"], requests * execution_share * execution_noise[:, t], caps=requests
        )
        return {"eviction_requests": requests, "evictions_executed": executed}

    out = allocate_years(NATIONAL_TARGETS, COUNT_COLUMNS, YEARS, n, allocate)
    return panel_frame("fylke", counties, YEARS, out)[list(COLUMNS)]


def write_evictions(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/namsmann_fravikelser.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_evictions(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.evictions [--reference-dir D] [--out-dir D]``."""
    run_cli([write_evictions], __doc__, argv)


if __name__ == "__main__":
    main()
