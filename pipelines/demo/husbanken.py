"""Generators of SYNTHETIC Husbanken demo data: start loans and housing allowance (bostøtte).

Husbanken (the Norwegian State Housing Bank) publishes municipal statistics on start loans
(startlån, granted by the municipalities with Husbanken funding) and on the state housing
allowance (bostøtte). They are not bundled with the project, so this module writes clearly
labelled stand-ins, one row per 2024 municipality and year 2014–2024:

* ``data/demo/husbanken_startlan.csv`` – start loans granted in the year: number, NOK, to
  families with children, to young applicants (under 35), and dwellings approved for start-loan
  financing;
* ``data/demo/husbanken_bostotte.csv`` – households paid housing allowance in December, of them
  families with children, and of them with housing costs above 25 % of income; and households
  paid at least once in the year (December count plus an invented turnover of about 40 %).

Nothing in a single municipality's row is real. The national totals are: the published figures
of ``data/reference/published_national_figures.csv`` exactly, and invented values for the other
years, listed with their origin in :data:`STARTLAN_TARGETS` and :data:`BOSTOTTE_TARGETS`.

How the rows are made: start loans are drawn multinomially (weights inhabitants × persistent
lognormal propensity × AR(1) noise), so small municipalities often grant none in a year. NOK
are shared out (in whole 1 000 NOK) over the loans weighted by a local price level that is
higher in large municipalities. Families, young applicants and approved dwellings are shared out
within the loans by largest remainder (caps = loans for the two subsets). Housing-allowance
households are shared out by largest remainder with weights inhabitants × propensity × noise,
and the two subsets within them with caps.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.husbanken``.
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
    exact_multinomial,
    load_municipalities,
    load_population,
    panel_frame,
    published_figures,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

STARTLAN_SEED = 2_2014
BOSTOTTE_SEED = 3_2014
STARTLAN_FILENAME = "husbanken_startlan.csv"
BOSTOTTE_FILENAME = "husbanken_bostotte.csv"

STARTLAN_COUNT_COLUMNS: tuple[str, ...] = (
    "start_loans",
    "start_loans_nok",
    "start_loans_families_with_children",
    "start_loans_young",
    "start_loan_dwellings_approved",
)
STARTLAN_COLUMNS: tuple[str, ...] = ("kommunenr", "year", *STARTLAN_COUNT_COLUMNS, "data_origin")
BOSTOTTE_COUNT_COLUMNS: tuple[str, ...] = (
    "bostotte_households_december",
    "bostotte_families_with_children_december",
    "bostotte_high_cost_burden_december",
)
BOSTOTTE_COLUMNS: tuple[str, ...] = (
    "kommunenr",
    "year",
    *BOSTOTTE_COUNT_COLUMNS,
    "bostotte_unique_households",
    "data_origin",
)
# Households paid at least once in the year exceed the December count by the year's turnover
# (households entering and leaving). Drawn from its own stream so the other columns do not move.
UNIQUE_SEED = 3_2015

# ---------------------------------------------------------------------------------------------
# National targets per year. "published" = in data/reference/published_national_figures.csv
# (source named there); "invented" = made up for the demo, the comment says how.
# ---------------------------------------------------------------------------------------------
STARTLAN_TARGETS: dict[str, dict[int, int]] = {
    "start_loans": {  # loans granted in the year
        2014: 7_100,  # invented, 6 500–8 000 a year
        2015: 7_000,  # invented
        2016: 6_950,  # invented
        2017: 6_905,  # published (startlan_husstander, Veiviseren; households = loans here)
        2018: 7_050,  # invented
        2019: 7_300,  # invented
        2020: 7_150,  # invented
        2021: 7_391,  # published (startlan_lan, Husbanken press release)
        2022: 7_000,  # invented, fewer loans as interest rates rose
        2023: 6_600,  # invented
        2024: 6_700,  # invented
    },
    "start_loans_nok": {  # NOK granted in the year
        2014: 8_100_000_000,  # invented, 1.14 million NOK per loan
        2015: 8_200_000_000,  # invented, 1.17 million per loan
        2016: 8_300_000_000,  # invented, 1.19 million per loan
        2017: 8_500_000_000,  # published (startlan_mrd_kr 8.5, secondary source)
        2018: 9_200_000_000,  # published (startlan_mrd_kr 9.2, e24 / Husbanken)
        2019: 10_500_000_000,  # published (startlan_mrd_kr 10.5, Husbanken press release)
        2020: 11_800_000_000,  # published (startlan_mrd_kr 11.8, NTB)
        2021: 13_500_000_000,  # published (startlan_mrd_kr 13.5, Husbanken press release)
        2022: 13_000_000_000,  # invented, 1.86 million per loan
        2023: 12_400_000_000,  # invented, 1.88 million per loan
        2024: 12_800_000_000,  # invented, 1.91 million per loan
    },
    "start_loans_families_with_children": {  # loans to families with children
        2014: 3_692,  # invented, 52.0 % of loans
        2015: 3_675,  # invented, 52.5 %
        2016: 3_684,  # invented, 53.0 %
        2017: 3_694,  # invented, 53.5 %
        2018: 3_788,  # published (startlan_barnefamilier, Husbanken press release)
        2019: 4_140,  # published (startlan_barnefamilier, Husbanken press release)
        2020: 4_004,  # invented, 56.0 %
        2021: 4_200,  # published, approx. "over 4 200" (startlan_barnefamilier, Husbanken)
        2022: 3_990,  # invented, 57.0 %
        2023: 3_696,  # invented, 56.0 %
        2024: 3_685,  # invented, 55.0 %
    },
    "start_loans_young": {  # loans where the applicant is under 35; all invented, 44–48 %
        2014: 3_124,  # invented, 44.0 % of loans
        2015: 3_115,  # invented, 44.5 %
        2016: 3_128,  # invented, 45.0 %
        2017: 3_142,  # invented, 45.5 %
        2018: 3_243,  # invented, 46.0 %
        2019: 3_395,  # invented, 46.5 %
        2020: 3_361,  # invented, 47.0 %
        2021: 3_511,  # invented, 47.5 %
        2022: 3_360,  # invented, 48.0 %
        2023: 3_102,  # invented, 47.0 %
        2024: 3_082,  # invented, 46.0 %
    },
    "start_loan_dwellings_approved": {  # dwellings approved for start-loan financing (KOSTRA)
        2014: 7_015,  # invented, 98.8 % of loans
        2015: 6_916,  # invented, 98.8 %
        2016: 6_867,  # invented, 98.8 %
        2017: 6_822,  # invented, 98.8 %
        2018: 6_965,  # invented, 98.8 %
        2019: 7_246,  # published (startlan_boliger_godkjent, SSB)
        2020: 7_038,  # published (startlan_boliger_godkjent, SSB)
        2021: 7_302,  # invented, 98.8 %
        2022: 6_916,  # invented, 98.8 %
        2023: 6_521,  # invented, 98.8 %
        2024: 6_620,  # invented, 98.8 %
    },
}
STARTLAN_PUBLISHED: dict[str, PublishedCount] = {
    "startlan_husstander": PublishedCount("start_loans"),
    "startlan_lan": PublishedCount("start_loans"),
    "startlan_mrd_kr": PublishedCount("start_loans_nok", scale=1_000_000_000),
    "startlan_barnefamilier": PublishedCount("start_loans_families_with_children"),
    "startlan_boliger_godkjent": PublishedCount("start_loan_dwellings_approved"),
}
STARTLAN_SUBSETS = (
    ("start_loans_families_with_children", "start_loans"),
    ("start_loans_young", "start_loans"),
)

BOSTOTTE_TARGETS: dict[str, dict[int, int]] = {
    "bostotte_households_december": {  # falling after the 2016 rule changes; electricity support 2022
        2014: 108_240,  # invented
        2015: 104_610,  # invented
        2016: 95_870,  # invented (new income rules from 2016)
        2017: 88_330,  # invented
        2018: 82_650,  # invented
        2019: 78_120,  # invented
        2020: 74_980,  # invented
        2021: 71_166,  # published (bostotte_husstander_desember, Husbanken/NTB)
        2022: 90_410,  # invented (temporary rules for high electricity prices)
        2023: 81_270,  # invented
        2024: 79_860,  # invented
    },
    "bostotte_families_with_children_december": {  # all invented, 30–35 % of households
        2014: 37_343,  # invented, 34.5 % of households
        2015: 35_567,  # invented, 34.0 %
        2016: 31_637,  # invented, 33.0 %
        2017: 28_707,  # invented, 32.5 %
        2018: 26_448,  # invented, 32.0 %
        2019: 24_608,  # invented, 31.5 %
        2020: 23_244,  # invented, 31.0 %
        2021: 21_706,  # invented, 30.5 %
        2022: 28_931,  # invented, 32.0 %
        2023: 25_600,  # invented, 31.5 %
        2024: 24_757,  # invented, 31.0 %
    },
    "bostotte_high_cost_burden_december": {  # housing costs > 25 % of income; all invented, 86–90 %
        2014: 93_086,  # invented, 86.0 % of households
        2015: 90_488,  # invented, 86.5 %
        2016: 83_407,  # invented, 87.0 %
        2017: 77_289,  # invented, 87.5 %
        2018: 72_732,  # invented, 88.0 %
        2019: 69_136,  # invented, 88.5 %
        2020: 66_732,  # invented, 89.0 %
        2021: 63_694,  # invented, 89.5 %
        2022: 77_753,  # invented, 86.0 % (the 2022 newcomers had lower burdens)
        2023: 71_111,  # invented, 87.5 %
        2024: 70_277,  # invented, 88.0 %
    },
}
BOSTOTTE_PUBLISHED: dict[str, PublishedCount] = {
    "bostotte_husstander_desember": PublishedCount("bostotte_households_december"),
}
BOSTOTTE_SUBSETS = (
    ("bostotte_families_with_children_december", "bostotte_households_december"),
    ("bostotte_high_cost_burden_december", "bostotte_households_december"),
)

_NOK_UNIT = 1_000  # NOK are shared out in whole thousands, as KOSTRA and Husbanken report them


def check_startlan_targets(targets: NationalTargets, published: pd.DataFrame) -> list[str]:
    """Problems with the start-loan targets (empty list = usable)."""
    problems = check_table(targets, STARTLAN_COUNT_COLUMNS, YEARS, STARTLAN_SUBSETS)
    if problems:
        return problems
    for year in YEARS:
        if int(targets["start_loans_nok"][year]) % _NOK_UNIT:
            problems.append(f"{year}: start_loans_nok is not whole thousands")
    return problems + check_published(targets, published, STARTLAN_PUBLISHED)


def check_bostotte_targets(targets: NationalTargets, published: pd.DataFrame) -> list[str]:
    """Problems with the housing-allowance targets (empty list = usable)."""
    problems = check_table(targets, BOSTOTTE_COUNT_COLUMNS, YEARS, BOSTOTTE_SUBSETS)
    return problems or check_published(targets, published, BOSTOTTE_PUBLISHED)


def generate_startlan(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic start-loan rows (:data:`STARTLAN_COLUMNS`) for all 2024 municipalities, 2014–2024."""
    reference_dir = Path(reference_dir)
    published = published_figures(reference_dir, STARTLAN_PUBLISHED, YEARS)
    raise_if(check_startlan_targets(STARTLAN_TARGETS, published), "start-loan targets")
    codes = list(load_municipalities(reference_dir)["code"])
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(STARTLAN_SEED)

    loan_propensity = rng.lognormal(0.0, 0.5, n)
    loan_noise = ar1_log_noise(rng, (n, n_years), sigma=0.25, rho=0.5)
    # Local price level: dwellings (so loans) cost more in large municipalities.
    price_level = (inhabitants[:, -1] / 10_000.0) ** 0.12 * rng.lognormal(0.0, 0.1, n)
    price_noise = ar1_log_noise(rng, (n, n_years), sigma=0.05, rho=0.7)
    family_share = rng.beta(11.0, 9.0, n)  # mean 0.55
    young_share = rng.beta(9.0, 11.0, n)  # mean 0.45
    family_noise = ar1_log_noise(rng, (n, n_years), sigma=0.08, rho=0.5)
    young_noise = ar1_log_noise(rng, (n, n_years), sigma=0.08, rho=0.5)
    approval_noise = ar1_log_noise(rng, (n, n_years), sigma=0.03, rho=0.3)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        loans = exact_multinomial(
            rng, target["start_loans"], inhabitants[:, t] * loan_propensity * loan_noise[:, t]
        )
        thousands = largest_remainder(
            target["start_loans_nok"] // _NOK_UNIT, loans * price_level * price_noise[:, t]
        )
        families = largest_remainder(
            target["start_loans_families_with_children"],
            loans * family_share * family_noise[:, t],
            caps=loans,
        )
        young = largest_remainder(
            target["start_loans_young"], loans * young_share * young_noise[:, t], caps=loans
        )
        approved = largest_remainder(target["start_loan_dwellings_approved"], loans * approval_noise[:, t])
        return {
            "start_loans": loans,
            "start_loans_nok": thousands * _NOK_UNIT,
            "start_loans_families_with_children": families,
            "start_loans_young": young,
            "start_loan_dwellings_approved": approved,
        }

    out = allocate_years(STARTLAN_TARGETS, STARTLAN_COUNT_COLUMNS, YEARS, n, allocate)
    return panel_frame("kommunenr", codes, YEARS, out)[list(STARTLAN_COLUMNS)]


def generate_bostotte(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic housing-allowance rows (:data:`BOSTOTTE_COLUMNS`) for all 2024 municipalities."""
    reference_dir = Path(reference_dir)
    published = published_figures(reference_dir, BOSTOTTE_PUBLISHED, YEARS)
    raise_if(check_bostotte_targets(BOSTOTTE_TARGETS, published), "housing-allowance targets")
    codes = list(load_municipalities(reference_dir)["code"])
    # Households paid in December of year Y: scaled by inhabitants at 31.12 (1 January Y + 1).
    inhabitants = load_population(reference_dir, codes, [y + 1 for y in YEARS])
    n, n_years = inhabitants.shape
    rng = np.random.default_rng(BOSTOTTE_SEED)

    propensity = rng.lognormal(0.0, 0.3, n)
    noise = ar1_log_noise(rng, (n, n_years), sigma=0.06, rho=0.8)
    family_share = rng.beta(16.0, 32.0, n)  # mean 0.33
    family_noise = ar1_log_noise(rng, (n, n_years), sigma=0.06, rho=0.6)
    burden_share = rng.beta(40.0, 6.0, n)  # mean 0.87
    burden_noise = ar1_log_noise(rng, (n, n_years), sigma=0.03, rho=0.6)

    def allocate(t: int, year: int, target: dict[str, int]) -> dict[str, np.ndarray]:
        households = largest_remainder(
            target["bostotte_households_december"], inhabitants[:, t] * propensity * noise[:, t]
        )
        families = largest_remainder(
            target["bostotte_families_with_children_december"],
            households * family_share * family_noise[:, t],
            caps=households,
        )
        burden = largest_remainder(
            target["bostotte_high_cost_burden_december"],
            households * burden_share * burden_noise[:, t],
            caps=households,
        )
        return {
            "bostotte_households_december": households,
            "bostotte_families_with_children_december": families,
            "bostotte_high_cost_burden_december": burden,
        }

    out = allocate_years(BOSTOTTE_TARGETS, BOSTOTTE_COUNT_COLUMNS, YEARS, n, allocate)
    turnover = np.random.default_rng(UNIQUE_SEED).beta(8.0, 12.0, (n, n_years))  # mean 0.4
    out["bostotte_unique_households"] = out["bostotte_households_december"] + np.rint(
        out["bostotte_households_december"] * turnover
    ).astype(np.int64)
    return panel_frame("kommunenr", codes, YEARS, out)[list(BOSTOTTE_COLUMNS)]


def write_startlan(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/husbanken_startlan.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_startlan(reference_dir), out_dir, STARTLAN_FILENAME)


def write_bostotte(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/husbanken_bostotte.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_bostotte(reference_dir), out_dir, BOSTOTTE_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.husbanken [--reference-dir D] [--out-dir D]``."""
    run_cli([write_startlan, write_bostotte], __doc__, argv)


if __name__ == "__main__":
    main()
