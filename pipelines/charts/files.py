"""Where each chart is written: the folder, the chart kinds and their file names.

Kept apart from the drawing modules so that the report, which embeds the charts the chart step
drew, finds them without loading matplotlib.
"""

from __future__ import annotations

from pathlib import Path

CHARTS_DIR = Path("charts")

TREND = "trend"
COUNTIES = "fylker"
TARGET_GROUPS = "malgrupper"
COMPARISON_GROUPS = "kostragrupper"
FILE_SUFFIX = {
    TREND: "",
    COUNTIES: "_fylker",
    TARGET_GROUPS: "_malgrupper",
    COMPARISON_GROUPS: "_kostragrupper",
}


def chart_path(base_dir: Path, indicator_id: str, kind: str = TREND) -> Path:
    """Where the chart of one kind for one indicator is written."""
    return base_dir / CHARTS_DIR / f"{indicator_id}{FILE_SUFFIX[kind]}.png"
