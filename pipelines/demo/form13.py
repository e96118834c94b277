"""Generator of SYNTHETIC KOSTRA form-13 ("skjema 13", municipal housing) demo data.

The real municipal figures are not bundled with the project, so this module makes a plausible,
clearly labelled stand-in: one row per municipality (2024 codes) and year 2014–2024 with the
form-13 counts the pipeline uses. Nothing in a single municipality's row is real. What *is*
real:

* the municipalities and their population (SSB, CC BY 4.0, from ``data/reference/``), which set
  the scale of every municipality;
* every national figure published for these measures in
  ``data/reference/published_national_figures.csv`` (years 2014–2024): the synthetic rows sum
  (or, for percentages, round half up) to exactly those figures.

National totals for the other years are invented (interpolated or continuing the published
trend) and listed, each with its origin, in :data:`NATIONAL_TARGETS`. The generator checks
that table against the published file and refuses to run if they disagree.

How the municipal rows are made (all counts are exact integers at every step):

* **Dwellings** – the national total is apportioned (largest remainder) with weights
  ``inhabitants × small-municipality factor × persistent lognormal propensity × smooth
  yearly AR(1) noise``, so small municipalities have more dwellings per 1 000 inhabitants.
* **Leased / private allocation** – apportioned within each municipality's dwellings with
  caps (at most 60 % leased, at most 60 % of the rest private); many small municipalities
  lease none. Owned is what is left, so owned + leased + private = dwellings on every row.
* **Wheelchair accessible** – apportioned with weights ``dwellings × municipal share``
  (share ~ Beta, mostly 20–80 %) and cap ``dwellings``.
* **Applications / refusals** – applications apportioned with weights ``dwellings ×
  lognormal ratio``; refusals within applications (cap) with a Beta refusal share.
* **Temporary accommodation** – households drawn multinomially with weights
  ``inhabitants**1.3 × lognormal propensity`` (concentrated in cities; most small
  municipalities get 0). The subsets are drawn with the multivariate hypergeometric
  distribution, which keeps them nested and their national sums exact.

The extension columns (:data:`EXTENSION_COUNT_COLUMNS`, after the original ones) come from a
separate random stream (:data:`EXTENSION_SEED`) drawn after the original columns are complete,
so adding them left every original value unchanged:

* **Let dwellings** – the vacant dwellings (dwellings − let) are apportioned with weights
  ``dwellings × lognormal propensity × noise`` and cap 20 % of dwellings, so every
  municipality lets 80–100 % of its dwellings.
* **Newly housed households** – apportioned with weights ``dwellings × turnover propensity ×
  noise`` (cap dwellings); those with mental illness / substance problems and the refugees are
  apportioned within them (cap newly housed) with their own propensities.
* **Waiting list for an adapted dwelling** – drawn multinomially, weights ``inhabitants ×
  lognormal propensity × noise``.
* **Temporary stays of at most 14 days** – drawn (multivariate hypergeometric) from each
  municipality's stays of less than 3 months, so they never exceed households − over 3 months.
* **Night shelters** – only in large municipalities (chance of having one rising from ~25 % at
  50 000 inhabitants; Oslo always), households drawn multinomially with weights
  ``inhabitants**1.5 × propensity × noise``.

The output is deterministic: fixed seeds, a fixed order of random draws, exact integer
allocation and a CSV written with ``\\n`` line endings. Run ``python -m pipelines.demo`` (all demo
files) or ``python -m pipelines.demo.form13`` to regenerate ``data/demo/kostra_form13.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.allocation import largest_remainder
from pipelines.demo.common import ar1_log_noise, logistic, run_cli
from pipelines.formatting import round_half_up
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SEED = 13_2014
"""Seed of :func:`numpy.random.default_rng`; changing it changes every municipal row."""

YEARS: tuple[int, ...] = tuple(range(2014, 2025))
OUTPUT_FILENAME = "kostra_form13.csv"
DATA_ORIGIN = "synthetic"

BASE_COUNT_COLUMNS: tuple[str, ...] = (
    "municipal_dwellings",
    "municipal_dwellings_owned",
    "municipal_dwellings_leased",
    "municipal_dwellings_private_allocation",
    "municipal_dwellings_wheelchair_accessible",
    "new_applications",
    "new_applications_refused",
    "temporary_accommodation_households",
    "temporary_accommodation_over_3_months",
    "temporary_accommodation_with_children",
    "temporary_accommodation_with_children_over_3_months",
)
"""The original form-13 columns, drawn from the stream seeded with :data:`SEED`."""

EXTENSION_SEED = 13_2024
"""Seed of the separate random stream of :data:`EXTENSION_COUNT_COLUMNS`.

The extension columns are drawn after, and independently of, the original ones, so adding them
left every value of :data:`BASE_COUNT_COLUMNS` exactly as it was.
"""

EXTENSION_COUNT_COLUMNS: tuple[str, ...] = (
    "municipal_dwellings_let",
    "newly_housed_households",
    "newly_housed_mental_substance",
    "newly_housed_refugees",
    "waiting_list_adapted",
    "temporary_accommodation_max_14_days",
    "night_shelter_households",
)
COUNT_COLUMNS: tuple[str, ...] = (*BASE_COUNT_COLUMNS, *EXTENSION_COUNT_COLUMNS)
COLUMNS: tuple[str, ...] = ("kommunenr", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National targets: what every column sums to, per year. THE place to see which figures are
# official and which are synthetic. "published" = in data/reference/published_national_figures.csv
# (SSB / Veiviseren); "invented" = made up for the demo, the comment says how.
# Sources: SSB kombolig = ssb.no/bygg-bolig-og-eiendom/statistikker/kombolig_kostra (2015-06-25);
# SSB art. = SSB articles on kommunale boliger; Veiviseren = veiviseren.no statistikk-og-status.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "municipal_dwellings": {  # kommunalt disponerte boliger at 31.12
        2014: 105_567,  # published (SSB kombolig)
        2015: 107_256,  # published (SSB art. "Flest flyktninger flyttet inn i kommunale boliger")
        2016: 108_833,  # published (SSB art., same)
        2017: 111_000,  # published, approx. "about 111 000" (SSB art. "Lettere å få kommunal bolig")
        2018: 110_250,  # invented, interpolated: mean of 2017 and 2019
        2019: 109_500,  # published, approx. "about 109 500" (SSB art. 2019)
        2020: 108_360,  # published (SSB art. "Færre midlertidige botilbud i storbyene")
        2021: 108_128,  # published (SSB kommunale boliger)
        2022: 110_531,  # published (SSB kommunale boliger)
        2023: 115_583,  # published (SSB kommunale boliger)
        2024: 118_109,  # invented, trend: 2023 + half of the 2022–23 rise
    },
    "municipal_dwellings_owned": {  # kommunalt eide; invented years = total − leased − private
        2014: 82_749,  # published (SSB art.)
        2015: 82_416,  # published (SSB art.)
        2016: 81_655,  # published (SSB art.)
        2017: 82_695,  # invented, remainder
        2018: 81_695,  # invented, remainder
        2019: 80_701,  # invented, remainder
        2020: 79_537,  # invented, remainder
        2021: 79_042,  # invented, remainder
        2022: 80_356,  # invented, remainder
        2023: 83_335,  # invented, remainder
        2024: 84_802,  # invented, remainder
    },
    "municipal_dwellings_leased": {  # innleide; invented years: leased share keeps rising
        2014: 11_969,  # published (SSB art.)
        2015: 13_012,  # published (SSB art.)
        2016: 15_471,  # published (SSB art.)
        2017: 16_428,  # invented, trend: 14.8 % of total
        2018: 16_868,  # invented, trend: 15.3 %
        2019: 17_301,  # invented, trend: 15.8 %
        2020: 17_554,  # invented, trend: 16.2 %
        2021: 17_949,  # invented, trend: 16.6 %
        2022: 18_901,  # invented, trend: 17.1 % (leasing for refugees from Ukraine)
        2023: 20_574,  # invented, trend: 17.8 %
        2024: 21_496,  # invented, trend: 18.2 %
    },
    "municipal_dwellings_private_allocation": {  # privat eide med disposisjonsrett
        2014: 10_849,  # published (SSB art.)
        2015: 11_828,  # published (SSB art.)
        2016: 11_707,  # published (SSB art.)
        2017: 11_877,  # invented, trend: 10.7 % of total
        2018: 11_687,  # invented, trend: 10.6 %
        2019: 11_498,  # invented, trend: 10.5 %
        2020: 11_269,  # invented, trend: 10.4 %
        2021: 11_137,  # invented, trend: 10.3 %
        2022: 11_274,  # invented, trend: 10.2 %
        2023: 11_674,  # invented, trend: 10.1 %
        2024: 11_811,  # invented, trend: 10.0 %
    },
    "municipal_dwellings_wheelchair_accessible": {  # count invented; share rounds to published %
        2014: 50_672,  # invented count; share 48.0 % -> published 48 % (SSB kombolig)
        2015: 51_805,  # invented, share interpolated 48.3 %
        2016: 52_893,  # invented, share interpolated 48.6 %
        2017: 54_279,  # invented, share interpolated 48.9 %
        2018: 54_133,  # invented, share interpolated 49.1 %
        2019: 54_093,  # invented, share interpolated 49.4 %
        2020: 53_855,  # invented, share interpolated 49.7 %
        2021: 54_064,  # invented count; share 50.0 % -> published 50 % (SSB kommunale boliger)
        2022: 53_055,  # invented count; share 48.0 % -> published 48 % (SSB kommunale boliger)
        2023: 53_168,  # invented count; share 46.0 % -> published 46 % (SSB kommunale boliger)
        2024: 53_385,  # invented, trend: share 45.2 %
    },
    "new_applications": {  # all invented: share of dwellings per year, peaks in refugee years
        2014: 32_726,  # invented, 0.31 × dwellings
        2015: 35_394,  # invented, 0.33 ×
        2016: 37_003,  # invented, 0.34 ×
        2017: 35_520,  # invented, 0.32 ×
        2018: 33_075,  # invented, 0.30 ×
        2019: 31_755,  # invented, 0.29 ×
        2020: 30_341,  # invented, 0.28 ×
        2021: 30_276,  # invented, 0.28 ×
        2022: 34_265,  # invented, 0.31 ×
        2023: 36_987,  # invented, 0.32 ×
        2024: 35_433,  # invented, 0.30 ×
    },
    "new_applications_refused": {  # all invented: refusal share of applications
        2014: 13_745,  # invented, 42 %
        2015: 14_512,  # invented, 41 %
        2016: 14_801,  # invented, 40 %
        2017: 13_498,  # invented, 38 % (SSB: "easier to get a municipal dwelling" in 2017)
        2018: 12_569,  # invented, 38 %
        2019: 12_384,  # invented, 39 %
        2020: 12_136,  # invented, 40 %
        2021: 12_413,  # invented, 41 %
        2022: 13_363,  # invented, 39 %
        2023: 14_795,  # invented, 40 %
        2024: 14_882,  # invented, 42 %
    },
    "temporary_accommodation_households": {  # slowly falling; bump in 2019 (SSB art. 2019)
        2014: 4_480,  # invented, trend
        2015: 4_390,  # invented, trend
        2016: 4_124,  # published (Veiviseren, "pr 2016")
        2017: 4_020,  # invented, trend
        2018: 3_890,  # invented, trend
        2019: 4_010,  # invented ("Mer bruk av midlertidige boliger i 2019", SSB art.)
        2020: 3_780,  # invented ("Færre midlertidige botilbud i storbyene", SSB art.)
        2021: 3_700,  # invented, trend
        2022: 3_640,  # invented, trend
        2023: 3_570,  # invented, trend
        2024: 3_500,  # invented, trend
    },
    "temporary_accommodation_over_3_months": {  # about a fifth of the households
        2014: 900,  # invented, 20.1 %
        2015: 860,  # invented, 19.6 %
        2016: 784,  # invented count; (4124 − 784)/4124 = 80.99 % -> published 81 % < 3 months (Veiviseren)
        2017: 780,  # invented, 19.4 %
        2018: 760,  # invented, 19.5 %
        2019: 800,  # invented, 20.0 %
        2020: 740,  # invented, 19.6 %
        2021: 730,  # invented, 19.7 %
        2022: 720,  # invented, 19.8 %
        2023: 700,  # invented, 19.6 %
        2024: 690,  # invented, 19.7 %
    },
    "temporary_accommodation_with_children": {  # all invented: a few hundred, falling
        2014: 640,  # invented
        2015: 610,  # invented
        2016: 520,  # invented
        2017: 500,  # invented
        2018: 470,  # invented
        2019: 480,  # invented
        2020: 440,  # invented
        2021: 420,  # invented
        2022: 430,  # invented
        2023: 410,  # invented
        2024: 390,  # invented
    },
    "temporary_accommodation_with_children_over_3_months": {  # tens, falling
        2014: 62,  # invented, trend
        2015: 55,  # invented, trend
        2016: 45,  # published (Veiviseren, "pr 2016")
        2017: 41,  # invented, trend
        2018: 37,  # invented, trend
        2019: 39,  # invented, trend
        2020: 33,  # invented, trend
        2021: 30,  # invented, trend
        2022: 29,  # invented, trend
        2023: 27,  # invented, trend
        2024: 25,  # invented, trend
    },
    # --- extension columns (drawn from the EXTENSION_SEED stream) ------------------------------
    "municipal_dwellings_let": {  # utleide at 31.12; all invented: share of dwellings, high in refugee years
        2014: 98_705,  # invented, 93.5 % of dwellings
        2015: 100_821,  # invented, 94.0 %
        2016: 102_956,  # invented, 94.6 %
        2017: 104_562,  # invented, 94.2 %
        2018: 102_974,  # invented, 93.4 %
        2019: 101_616,  # invented, 92.8 %
        2020: 100_233,  # invented, 92.5 %
        2021: 100_127,  # invented, 92.6 %
        2022: 104_231,  # invented, 94.3 % (refugees from Ukraine)
        2023: 109_573,  # invented, 94.8 %
        2024: 110_904,  # invented, 93.9 %
    },
    "newly_housed_households": {  # nyinnflyttede husstander; all invented, peaks in refugee years
        2014: 9_800,  # invented
        2015: 10_300,  # invented
        2016: 10_900,  # invented
        2017: 10_600,  # invented
        2018: 9_900,  # invented
        2019: 9_500,  # invented
        2020: 9_200,  # invented
        2021: 9_300,  # invented
        2022: 10_800,  # invented
        2023: 10_950,  # invented
        2024: 10_100,  # invented
    },
    "newly_housed_mental_substance": {  # psykiske lidelser og/eller rus; all invented, 25–30 %
        2014: 2_548,  # invented, 26.0 % of newly housed
        2015: 2_627,  # invented, 25.5 %
        2016: 2_725,  # invented, 25.0 %
        2017: 2_756,  # invented, 26.0 %
        2018: 2_673,  # invented, 27.0 %
        2019: 2_660,  # invented, 28.0 %
        2020: 2_668,  # invented, 29.0 %
        2021: 2_744,  # invented, 29.5 %
        2022: 2_916,  # invented, 27.0 %
        2023: 2_902,  # invented, 26.5 %
        2024: 2_879,  # invented, 28.5 %
    },
    "newly_housed_refugees": {  # all invented: share follows the settlement of refugees
        2014: 1_960,  # invented, 20 % of newly housed
        2015: 2_472,  # invented, 24 %
        2016: 3_270,  # invented, 30 %
        2017: 3_286,  # invented, 31 %
        2018: 1_782,  # invented, 18 %
        2019: 1_045,  # invented, 11 %
        2020: 920,  # invented, 10 %
        2021: 930,  # invented, 10 %
        2022: 3_780,  # invented, 35 %
        2023: 3_723,  # invented, 34 %
        2024: 2_525,  # invented, 25 %
    },
    "waiting_list_adapted": {  # venteliste tilrettelagt bolig at 31.12; all invented, slowly falling
        2014: 2_900,  # invented
        2015: 2_850,  # invented
        2016: 2_780,  # invented
        2017: 2_700,  # invented
        2018: 2_620,  # invented
        2019: 2_560,  # invented
        2020: 2_450,  # invented
        2021: 2_380,  # invented
        2022: 2_300,  # invented
        2023: 2_240,  # invented
        2024: 2_180,  # invented
    },
    "temporary_accommodation_max_14_days": {  # all invented: share of temporary households
        2014: 2_106,  # invented, 47 % of temporary accommodation households
        2015: 2_107,  # invented, 48 %
        2016: 2_021,  # invented, 49 %
        2017: 2_010,  # invented, 50 %
        2018: 1_984,  # invented, 51 %
        2019: 2_085,  # invented, 52 %
        2020: 1_890,  # invented, 50 %
        2021: 1_887,  # invented, 51 %
        2022: 1_893,  # invented, 52 %
        2023: 1_892,  # invented, 53 %
        2024: 1_855,  # invented, 53 %
    },
    "night_shelter_households": {  # natthjem; all invented, falling (fewer shelters, COVID-19 2020)
        2014: 560,  # invented
        2015: 540,  # invented
        2016: 520,  # invented
        2017: 490,  # invented
        2018: 470,  # invented
        2019: 450,  # invented
        2020: 390,  # invented
        2021: 370,  # invented
        2022: 360,  # invented
        2023: 345,  # invented
        2024: 330,  # invented
    },
}

# Published measures (published_national_figures.csv) that the demo data must reproduce.
PUBLISHED_COUNT_MEASURES: dict[str, str] = {
    "kommunalt_disponerte_boliger": "municipal_dwellings",
    "kommunalt_eide_boliger": "municipal_dwellings_owned",
    "innleide_boliger": "municipal_dwellings_leased",
    "privat_eide_med_disposisjonsrett": "municipal_dwellings_private_allocation",
    "husstander_midlertidig_botilbud": "temporary_accommodation_households",
    "barnefamilier_midlertidig_over_3_mnd": "temporary_accommodation_with_children_over_3_months",
}
# measure -> (numerator column, denominator column, whether the share is 100 % minus num/den).
PUBLISHED_PERCENT_MEASURES: dict[str, tuple[str, str, bool]] = {
    "andel_tilgjengelig_rullestol_pct": (
        "municipal_dwellings_wheelchair_accessible",
        "municipal_dwellings",
        False,
    ),
    # Share staying under 3 months = (all − over 3 months) / all.
    "andel_midlertidig_under_3_mnd_pct": (
        "temporary_accommodation_over_3_months",
        "temporary_accommodation_households",
        True,
    ),
}

# Model parameters (not national targets). They only shape how totals spread over municipalities.
_SMALL_MUNICIPALITY_UPLIFT = 0.9  # rate factor 1 + 0.9·exp(−pop/6000): ~1.8 at 1 000 inh., ~1 in cities
_SMALL_MUNICIPALITY_SCALE = 6_000.0
_MAX_LEASED_SHARE = 0.6  # cap: leased ≤ 60 % of a municipality's dwellings
_MAX_PRIVATE_SHARE_OF_REST = 0.6  # cap: private ≤ 60 % of what is not leased
_TEMPORARY_POPULATION_EXPONENT = 1.3  # temporary accommodation grows faster than population
_MAX_VACANT_SHARE = 0.2  # cap: at most 20 % of a municipality's dwellings stand empty (let ≥ 80 %)
_SHELTER_HALF_CHANCE_SIZE = 80_000.0  # inhabitants at which a municipality has a night shelter at odds 1:1


def national_share_percent(numerator: int, denominator: int, complement: bool = False) -> float:
    """National share in percent, rounded half up to whole percent as SSB publishes it.

    ``complement=True`` gives ``(denominator − numerator) / denominator``. A zero denominator
    raises :class:`ZeroDivisionError` (a share of nothing is undefined).
    """
    part = denominator - numerator if complement else numerator
    return round_half_up(100 * part / denominator, 0)


def published_targets(reference_dir: Path) -> pd.DataFrame:
    """The published national figures for the form-13 measures, years 2014–2024.

    Returns columns ``measure, year, value`` (value as float; approximate figures included,
    as they are matched exactly too). Other measures and years are dropped.
    """
    figures = pd.read_csv(
        reference_dir / "published_national_figures.csv",
        dtype={"measure": str, "unit": str, "geo": str},
    )
    wanted = set(PUBLISHED_COUNT_MEASURES) | set(PUBLISHED_PERCENT_MEASURES)
    keep = figures["measure"].isin(wanted) & figures["year"].between(YEARS[0], YEARS[-1])
    return figures.loc[keep, ["measure", "year", "value"]].reset_index(drop=True)


def check_national_targets(targets: Mapping[str, Mapping[int, int]], published: pd.DataFrame) -> list[str]:
    """Problems with the national targets; an empty list means they are usable.

    Checks that every column has an integer target for every year, that owned + leased +
    private = dwellings, that every subset fits in its superset (so the nested draws are
    possible), and that every published figure is reproduced (counts exactly, percentages
    after rounding half up).
    """
    problems: list[str] = []
    for column in COUNT_COLUMNS:
        missing = [y for y in YEARS if y not in targets.get(column, {})]
        if missing:
            problems.append(f"{column}: no target for {missing}")
    if problems:
        return problems

    def t(column: str, year: int) -> int:
        return int(targets[column][year])

    for y in YEARS:
        parts = (
            t("municipal_dwellings_owned", y)
            + t("municipal_dwellings_leased", y)
            + t("municipal_dwellings_private_allocation", y)
        )
        if parts != t("municipal_dwellings", y):
            problems.append(f"{y}: owned + leased + private = {parts} != {t('municipal_dwellings', y)}")
        subsets = [
            ("municipal_dwellings_wheelchair_accessible", "municipal_dwellings"),
            ("new_applications_refused", "new_applications"),
            ("temporary_accommodation_over_3_months", "temporary_accommodation_households"),
            ("temporary_accommodation_with_children", "temporary_accommodation_households"),
            ("temporary_accommodation_with_children_over_3_months", "temporary_accommodation_with_children"),
            ("temporary_accommodation_with_children_over_3_months", "temporary_accommodation_over_3_months"),
            ("municipal_dwellings_let", "municipal_dwellings"),
            ("newly_housed_mental_substance", "newly_housed_households"),
            ("newly_housed_refugees", "newly_housed_households"),
        ]
        for sub, sup in subsets:
            if not 0 <= t(sub, y) <= t(sup, y):
                problems.append(f"{y}: {sub} {t(sub, y)} not within 0..{sup} {t(sup, y)}")
        # Long stays without children must fit among the households without children.
        adults_over_3 = t("temporary_accommodation_over_3_months", y) - t(
            "temporary_accommodation_with_children_over_3_months", y
        )
        adults = t("temporary_accommodation_households", y) - t("temporary_accommodation_with_children", y)
        if adults_over_3 > adults:
            problems.append(f"{y}: {adults_over_3} long stays without children > {adults} such households")
        # A stay of at most 14 days is not a stay of more than 3 months.
        short = t("temporary_accommodation_households", y) - t("temporary_accommodation_over_3_months", y)
        if not 0 <= t("temporary_accommodation_max_14_days", y) <= short:
            problems.append(f"{y}: stays of at most 14 days not within 0..{short} stays under 3 months")
        for column in EXTENSION_COUNT_COLUMNS:
            if t(column, y) < 0:
                problems.append(f"{y}: {column} is negative")

    for row in published.itertuples(index=False):
        year = int(row.year)
        if row.measure in PUBLISHED_COUNT_MEASURES:
            ours = t(PUBLISHED_COUNT_MEASURES[row.measure], year)
            if ours != row.value:
                problems.append(f"{row.measure} {year}: target {ours} != published {row.value}")
        else:
            num, den, complement = PUBLISHED_PERCENT_MEASURES[row.measure]
            ours = national_share_percent(t(num, year), t(den, year), complement)
            if ours != row.value:
                problems.append(f"{row.measure} {year}: target share {ours} % != published {row.value} %")
    return problems


def _load_municipalities(reference_dir: Path) -> list[str]:
    """Sorted 2024 municipality codes (zero-padded 4-digit strings)."""
    municipalities = pd.read_csv(reference_dir / "municipalities_2024.csv", dtype=str)
    codes = sorted(municipalities["code"])
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate municipality codes in municipalities_2024.csv")
    return codes


def _load_inhabitants(reference_dir: Path, codes: list[str]) -> np.ndarray:
    """Inhabitants at 31.12 of each year (= population on 1 January of the next year).

    Shape ``(len(codes), len(YEARS))``, float (some early figures on 2024 borders are
    fractional estimates for split municipalities). Missing or non-positive values raise.
    """
    population = pd.read_csv(reference_dir / "population_municipality_2024borders.csv", dtype={"code": str})
    wide = population.pivot(index="code", columns="year", values="population")
    next_years = [y + 1 for y in YEARS]
    missing_years = [y for y in next_years if y not in wide.columns]
    if missing_years:
        raise ValueError(f"population missing for 1 January {missing_years}")
    missing_codes = sorted(set(codes) - set(wide.index))
    if missing_codes:
        raise ValueError(f"population missing for municipalities {missing_codes[:10]}")
    values = wide.loc[codes, next_years].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("population has missing or non-positive values")
    return values


def generate_form13(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Synthetic form-13 rows for all 2024 municipalities and years 2014–2024.

    Reads ``municipalities_2024.csv``, ``population_municipality_2024borders.csv`` and
    ``published_national_figures.csv`` from ``reference_dir``. Returns a DataFrame with
    :data:`COLUMNS`, sorted by ``kommunenr`` then ``year``; counts are int64 and every column
    sums to :data:`NATIONAL_TARGETS` each year. Raises :class:`ValueError` if the targets
    disagree with the published figures or the inputs are incomplete.
    """
    problems = check_national_targets(NATIONAL_TARGETS, published_targets(reference_dir))
    if problems:
        raise ValueError("national targets are inconsistent:\n" + "\n".join(problems))

    codes = _load_municipalities(reference_dir)
    inhabitants = _load_inhabitants(reference_dir, codes)
    n, n_years = inhabitants.shape
    log_pop = np.log(inhabitants)
    rng = np.random.default_rng(SEED)

    # Persistent municipal traits. Draw order is fixed: reordering changes the data.
    dwelling_propensity = rng.lognormal(0.0, 0.25, n)
    dwelling_noise = ar1_log_noise(rng, (n, n_years), sigma=0.04, rho=0.8)
    # Leasing/private allocation: whether a municipality uses it at all depends on size (small
    # ones often lease none); the uniform draw is persistent so a municipality that starts
    # leasing keeps doing so as the (time-increasing) probability rises.
    lease_uniform = rng.random(n)
    lease_propensity = rng.lognormal(0.0, 0.5, n)
    private_uniform = rng.random(n)
    private_propensity = rng.lognormal(0.0, 0.5, n)
    wheelchair_share = rng.beta(6.0, 6.5, n)  # mean ~0.48, mostly 0.2–0.8
    wheelchair_noise = ar1_log_noise(rng, (n, n_years), sigma=0.03, rho=0.8)
    application_ratio = rng.lognormal(0.0, 0.3, n)
    application_noise = ar1_log_noise(rng, (n, n_years), sigma=0.12, rho=0.5)
    refusal_share = rng.beta(8.0, 12.0, n)  # mean 0.4
    refusal_noise = ar1_log_noise(rng, (n, n_years), sigma=0.08, rho=0.5)
    temporary_propensity = rng.lognormal(0.0, 0.7, n)
    temporary_noise = ar1_log_noise(rng, (n, n_years), sigma=0.15, rho=0.7)

    size_factor = 1.0 + _SMALL_MUNICIPALITY_UPLIFT * np.exp(-inhabitants / _SMALL_MUNICIPALITY_SCALE)
    out = {column: np.zeros((n, n_years), dtype=np.int64) for column in COUNT_COLUMNS}

    for t, year in enumerate(YEARS):
        target = {column: int(NATIONAL_TARGETS[column][year]) for column in COUNT_COLUMNS}

        dwellings = largest_remainder(
            target["municipal_dwellings"],
            inhabitants[:, t] * size_factor[:, t] * dwelling_propensity * dwelling_noise[:, t],
        )
        leases = lease_uniform < logistic(1.5 * (log_pop[:, t] - np.log(4_000.0)) + 0.1 * t)
        leased = largest_remainder(
            target["municipal_dwellings_leased"],
            dwellings * lease_propensity * leases,
            caps=np.floor(_MAX_LEASED_SHARE * dwellings).astype(np.int64),
        )
        allocates_private = private_uniform < logistic(1.2 * (log_pop[:, t] - np.log(2_500.0)))
        private = largest_remainder(
            target["municipal_dwellings_private_allocation"],
            dwellings * private_propensity * allocates_private,
            caps=np.floor(_MAX_PRIVATE_SHARE_OF_REST * (dwellings - leased)).astype(np.int64),
        )
        owned = dwellings - leased - private
        wheelchair = largest_remainder(
            target["municipal_dwellings_wheelchair_accessible"],
            dwellings * wheelchair_share * wheelchair_noise[:, t],
            caps=dwellings,
        )
        applications = largest_remainder(
            target["new_applications"], dwellings * application_ratio * application_noise[:, t]
        )
        refused = largest_remainder(
            target["new_applications_refused"],
            applications * refusal_share * refusal_noise[:, t],
            caps=applications,
        )

        # Temporary accommodation: random (multinomial) rather than largest remainder, so small
        # municipalities get 0 most years and now and then 1–3, instead of the same ones
        # getting 1 every year.
        weight = inhabitants[:, t] ** _TEMPORARY_POPULATION_EXPONENT * temporary_propensity
        weight = weight * temporary_noise[:, t]
        temporary = rng.multinomial(target["temporary_accommodation_households"], weight / weight.sum())
        # Nested exact-size subsets: hypergeometric draws choose households without replacement
        # from each municipality's pool, so subset ≤ pool and the national sum is the target.
        with_children = rng.multivariate_hypergeometric(
            temporary, target["temporary_accommodation_with_children"]
        )
        children_over_3 = rng.multivariate_hypergeometric(
            with_children, target["temporary_accommodation_with_children_over_3_months"]
        )
        adults_over_3 = rng.multivariate_hypergeometric(
            temporary - with_children,
            target["temporary_accommodation_over_3_months"]
            - target["temporary_accommodation_with_children_over_3_months"],
        )

        columns_this_year: dict[str, np.ndarray] = {
            "municipal_dwellings": dwellings,
            "municipal_dwellings_owned": owned,
            "municipal_dwellings_leased": leased,
            "municipal_dwellings_private_allocation": private,
            "municipal_dwellings_wheelchair_accessible": wheelchair,
            "new_applications": applications,
            "new_applications_refused": refused,
            "temporary_accommodation_households": temporary,
            "temporary_accommodation_over_3_months": children_over_3 + adults_over_3,
            "temporary_accommodation_with_children": with_children,
            "temporary_accommodation_with_children_over_3_months": children_over_3,
        }
        for column, values in columns_this_year.items():
            if int(values.sum()) != target[column]:  # cannot happen; guards future edits
                raise RuntimeError(f"{column} {year}: sum {values.sum()} != target {target[column]}")
            out[column][:, t] = values

    # The extension columns come from their own random stream, drawn after the original columns
    # are complete, so they leave every original value unchanged.
    extension = _extension_columns(np.random.default_rng(EXTENSION_SEED), codes, inhabitants, out)
    for column, values in extension.items():
        out[column] = values

    frame = pd.DataFrame(
        {
            "kommunenr": np.repeat(np.asarray(codes, dtype=object), n_years),
            "year": np.tile(np.asarray(YEARS, dtype=np.int64), n),
            **{column: out[column].ravel() for column in COUNT_COLUMNS},
            "data_origin": DATA_ORIGIN,
        }
    )
    frame["kommunenr"] = frame["kommunenr"].astype(str)
    return frame.sort_values(["kommunenr", "year"], kind="stable").reset_index(drop=True)[list(COLUMNS)]


def _extension_columns(
    rng: np.random.Generator,
    codes: list[str],
    inhabitants: np.ndarray,
    base: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The :data:`EXTENSION_COUNT_COLUMNS`, shape ``(municipalities, years)`` each.

    ``base`` holds the finished original columns; the new ones are built on them (let dwellings
    within dwellings, short stays within the stays under 3 months) with draws from ``rng`` only.
    Every column sums exactly to :data:`NATIONAL_TARGETS` each year.
    """
    n, n_years = inhabitants.shape
    # Persistent municipal traits. Draw order is fixed: reordering changes the data.
    vacancy_propensity = rng.lognormal(0.0, 0.6, n)
    vacancy_noise = ar1_log_noise(rng, (n, n_years), sigma=0.25, rho=0.5)
    turnover_propensity = rng.lognormal(0.0, 0.3, n)
    turnover_noise = ar1_log_noise(rng, (n, n_years), sigma=0.12, rho=0.5)
    mental_propensity = rng.lognormal(0.0, 0.35, n)
    mental_noise = ar1_log_noise(rng, (n, n_years), sigma=0.12, rho=0.5)
    refugee_propensity = rng.lognormal(0.0, 0.6, n)
    refugee_noise = ar1_log_noise(rng, (n, n_years), sigma=0.25, rho=0.6)
    waiting_propensity = rng.lognormal(0.0, 0.8, n)
    waiting_noise = ar1_log_noise(rng, (n, n_years), sigma=0.15, rho=0.8)
    shelter_uniform = rng.random(n)
    shelter_propensity = rng.lognormal(0.0, 0.4, n)
    shelter_noise = ar1_log_noise(rng, (n, n_years), sigma=0.15, rho=0.7)

    # Night shelters exist in the largest cities only: the chance of having one is ~0.25 at
    # 50 000 inhabitants and ~1 from 300 000; the largest municipality (Oslo) always has one.
    size_2024 = inhabitants[:, -1]
    has_shelter = shelter_uniform < logistic(2.5 * (np.log(size_2024) - np.log(_SHELTER_HALF_CHANCE_SIZE)))
    has_shelter[int(np.argmax(size_2024))] = True

    out = {column: np.zeros((n, n_years), dtype=np.int64) for column in EXTENSION_COUNT_COLUMNS}
    for t, year in enumerate(YEARS):
        target = {column: int(NATIONAL_TARGETS[column][year]) for column in EXTENSION_COUNT_COLUMNS}
        dwellings = base["municipal_dwellings"][:, t]

        # Vacant dwellings (not let) are shared out with caps of 20 % of a municipality's
        # dwellings, so every municipality lets 80–100 % of its dwellings.
        vacant = largest_remainder(
            int(NATIONAL_TARGETS["municipal_dwellings"][year]) - target["municipal_dwellings_let"],
            dwellings * vacancy_propensity * vacancy_noise[:, t],
            caps=np.floor(_MAX_VACANT_SHARE * dwellings).astype(np.int64),
        )
        let = dwellings - vacant
        newly_housed = largest_remainder(
            target["newly_housed_households"],
            dwellings * turnover_propensity * turnover_noise[:, t],
            caps=dwellings,
        )
        mental = largest_remainder(
            target["newly_housed_mental_substance"],
            newly_housed * mental_propensity * mental_noise[:, t],
            caps=newly_housed,
        )
        refugees = largest_remainder(
            target["newly_housed_refugees"],
            newly_housed * refugee_propensity * refugee_noise[:, t],
            caps=newly_housed,
        )
        waiting = rng.multinomial(
            target["waiting_list_adapted"],
            _normalised(inhabitants[:, t] * waiting_propensity * waiting_noise[:, t]),
        )
        # Stays of at most 14 days are drawn, without replacement, from each municipality's
        # stays of less than 3 months, so max_14_days ≤ households − over_3_months on every row.
        short_stays = (
            base["temporary_accommodation_households"][:, t]
            - base["temporary_accommodation_over_3_months"][:, t]
        )
        max_14_days = rng.multivariate_hypergeometric(
            short_stays, target["temporary_accommodation_max_14_days"]
        )
        shelter_weight = inhabitants[:, t] ** 1.5 * shelter_propensity * shelter_noise[:, t] * has_shelter
        night_shelter = rng.multinomial(target["night_shelter_households"], _normalised(shelter_weight))

        columns_this_year = {
            "municipal_dwellings_let": let,
            "newly_housed_households": newly_housed,
            "newly_housed_mental_substance": mental,
            "newly_housed_refugees": refugees,
            "waiting_list_adapted": waiting,
            "temporary_accommodation_max_14_days": max_14_days,
            "night_shelter_households": night_shelter,
        }
        for column, values in columns_this_year.items():
            if int(values.sum()) != target[column]:  # cannot happen; guards future edits
                raise RuntimeError(f"{column} {year}: sum {values.sum()} != target {target[column]}")
            out[column][:, t] = values
    return out


def _normalised(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def form13_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of ``frame``: header, comma-separated, ``\\n`` line endings, no index."""
    return frame.to_csv(index=False, lineterminator="\n")


def write_form13(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Generate the demo data and write ``out_dir/kostra_form13.csv`` (UTF-8); return its path.

    The file is byte-identical on every run. ``out_dir`` is created if needed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / OUTPUT_FILENAME
    path.write_bytes(form13_csv_text(generate_form13(Path(reference_dir))).encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.form13 [--reference-dir D] [--out-dir D]``."""
    run_cli([write_form13], __doc__, argv)


if __name__ == "__main__":
    main()
