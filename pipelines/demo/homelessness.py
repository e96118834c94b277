"""Generator of SYNTHETIC homelessness-survey demo data: national totals of the four surveys.

The Norwegian Institute for Urban and Regional Research (NIBR, OsloMet) maps homelessness every
fourth year (week 48: 2012, 2016, 2020, 2024) for Husbanken. Its national totals are estimates
(with a correction for municipalities that did not answer), not sums of municipal counts, so the
demo file ``data/demo/bostedslose_kartlegging.csv`` has ONE national row per survey year, with
``geo_code`` = ``EAK`` (the nation).

The published national figures in ``data/reference/published_national_figures.csv`` are used
exactly (homeless 2012–2020, children homeless with their parents 2012–2020, homeless under 25
in 2012, and "about half" with substance problems in 2020, matched as a share that rounds half up
to 50 %); everything else is invented (see :data:`NATIONAL_TARGETS`). No random numbers are
drawn: the file is the table itself. The children are counted alongside the homeless adults, as
in the survey; the check that they do not exceed the homeless is a plausibility guard only.

Run ``python -m pipelines.demo`` (all demo files) or ``python -m pipelines.demo.homelessness``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.common import (
    NationalTargets,
    PublishedCount,
    PublishedPercent,
    check_published,
    check_table,
    panel_frame,
    published_figures,
    raise_if,
    run_cli,
    write_csv,
)
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

SURVEY_YEARS: tuple[int, ...] = (2012, 2016, 2020, 2024)
NATION_CODE = "EAK"
OUTPUT_FILENAME = "bostedslose_kartlegging.csv"
COUNT_COLUMNS: tuple[str, ...] = (
    "homeless",
    "homeless_children_with_parents",
    "homeless_under_25",
    "homeless_substance_problems",
)
COLUMNS: tuple[str, ...] = ("geo_code", "year", *COUNT_COLUMNS, "data_origin")

# ---------------------------------------------------------------------------------------------
# National figures per survey year. "published" = in data/reference/published_national_figures.csv
# (NIBR reports, via the source named there); "invented" = made up for the demo.
# ---------------------------------------------------------------------------------------------
NATIONAL_TARGETS: dict[str, dict[int, int]] = {
    "homeless": {
        2012: 6_259,  # published (NIBR 2012 survey)
        2016: 3_909,  # published (NIBR-rapport 2017:13)
        2020: 3_325,  # published (NIBR-rapport 2021:10)
        2024: 3_180,  # invented, slow further decline
    },
    "homeless_children_with_parents": {
        2012: 679,  # published (Husbanken, "fakta om unge bostedsløse")
        2016: 229,  # published (Veiviseren)
        2020: 148,  # published (regjeringen.no press release 2021)
        2024: 125,  # invented, trend
    },
    "homeless_under_25": {
        2012: 1_506,  # published (Husbanken; 24.1 % of the homeless)
        2016: 919,  # invented, 23.5 %
        2020: 732,  # invented, 22.0 %
        2024: 668,  # invented, 21.0 %
    },
    "homeless_substance_problems": {
        2012: 3_505,  # invented, 56.0 %
        2016: 2_150,  # invented, 55.0 %
        2020: 1_663,  # invented count; 50.02 % -> published "about half", 50 % (OsloMet)
        2024: 1_717,  # invented, 54.0 %
    },
}
PUBLISHED: dict[str, PublishedCount | PublishedPercent] = {
    "bostedslose": PublishedCount("homeless"),
    "bostedslose_barn_med_foreldre": PublishedCount("homeless_children_with_parents"),
    "bostedslose_under_25": PublishedCount("homeless_under_25"),
    "bostedslose_andel_rusavhengige_pct": PublishedPercent("homeless_substance_problems", "homeless"),
}
SUBSETS = (
    ("homeless_children_with_parents", "homeless"),
    ("homeless_under_25", "homeless"),
    ("homeless_substance_problems", "homeless"),
)


def check_national_targets(targets: NationalTargets, published: pd.DataFrame) -> list[str]:
    """Problems with the survey figures (empty list = usable)."""
    problems = check_table(targets, COUNT_COLUMNS, SURVEY_YEARS, SUBSETS)
    return problems or check_published(targets, published, PUBLISHED)


def generate_homelessness(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The four national survey rows (:data:`COLUMNS`), sorted by year."""
    published = published_figures(Path(reference_dir), PUBLISHED, SURVEY_YEARS)
    raise_if(check_national_targets(NATIONAL_TARGETS, published), "homelessness figures")
    columns = {
        column: np.asarray([[NATIONAL_TARGETS[column][year] for year in SURVEY_YEARS]], dtype=np.int64)
        for column in COUNT_COLUMNS
    }
    return panel_frame("geo_code", [NATION_CODE], SURVEY_YEARS, columns)[list(COLUMNS)]


def write_homelessness(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> Path:
    """Write ``out_dir/bostedslose_kartlegging.csv`` (byte-identical on every run); return its path."""
    return write_csv(generate_homelessness(reference_dir), out_dir, OUTPUT_FILENAME)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pipelines.demo.homelessness [--reference-dir D] [--out-dir D]``."""
    run_cli([write_homelessness], __doc__, argv)


if __name__ == "__main__":
    main()
