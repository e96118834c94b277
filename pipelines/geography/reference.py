"""Read the bundled reference geography (``data/reference/``, Statistics Norway, CC BY 4.0).

Codes are kept as zero-padded strings ("0301"), always.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.paths import REFERENCE_DIR

NATION_CODE = "EAK"  # KOSTRA's code for "Landet"
NATION_NAME = "Landet"


def read_reference_csv(name: str, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """One reference file with every column as text (codes keep their leading zeros)."""
    path = reference_dir / name
    if not path.exists():
        raise FileNotFoundError(f"reference file missing: {path} (the project ships it in data/reference/)")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def municipalities(vintage: int = 2024, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Municipalities valid on 1 January of ``vintage`` with their county.

    Columns: kommunenr, kommune_name, county_code, county_name.
    """
    frame = read_reference_csv("municipalities_by_year.csv", reference_dir)
    frame = frame[frame["year"] == str(vintage)]
    if frame.empty:
        raise ValueError(
            f"no municipalities for vintage {vintage} in {reference_dir}/municipalities_by_year.csv"
        )
    return (
        frame.rename(columns={"code": "kommunenr", "name": "kommune_name"})[
            ["kommunenr", "kommune_name", "county_code", "county_name"]
        ]
        .sort_values("kommunenr")
        .reset_index(drop=True)
    )
