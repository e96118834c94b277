"""Print the CLI's ``--partition-range`` for every reporting year (``python -m pipelines.years``).

Reads assets/settings.yaml directly so the Makefile does not pay for importing Dagster twice.
"""

from __future__ import annotations

import yaml

from pipelines.paths import ASSETS_DIR


def partition_range() -> str:
    settings = yaml.safe_load((ASSETS_DIR / "settings.yaml").read_text(encoding="utf-8"))["settings"]
    return f"{settings['first_year']}...{settings['last_year']}"


if __name__ == "__main__":
    print(partition_range())
