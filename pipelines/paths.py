"""Where the project reads its bundled inputs and writes its outputs.

Bundled inputs (reference data, demo data, declarative definitions) always come from the
repository. Outputs (warehouse, exports, charts) go under ``BOLIG_OUTPUT_DIR`` when it is set
— tests and benchmarks point it at a temporary folder — and under ``data/`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
DEMO_DIR = DATA_DIR / "demo"

OUTPUT_DIR_ENV = "BOLIG_OUTPUT_DIR"


def output_dir() -> Path:
    """The folder that receives the warehouse, exports and charts."""
    configured = os.environ.get(OUTPUT_DIR_ENV)
    return Path(configured).resolve() if configured else DATA_DIR


def default_release_id() -> str:
    """Today's date in Norway: releases are named by the date they are published."""
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date().isoformat()

# The internal tier (unsuppressed values, QC reports), relative to a run's output folder.
INTERNAL_DIR = Path("exports") / "internal"
