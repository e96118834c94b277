"""Materialise every asset from Python, as `make run` does on the CLI.

Used by the tests (one full run into a temporary folder) and by the benchmark's `materialize` mode.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.resources import build_resources


def materialize_all(base: Path, **kwargs) -> dg.ExecuteInProcessResult:
    """Materialise every asset and check for every reporting year into ``base``."""
    from pipelines.checks.assets import quality_checks
    from pipelines.definitions import all_assets
    from pipelines.inbox.assets import inbox_checks

    kwargs.setdefault("resources", build_resources(base))
    return dg.materialize([*all_assets, *inbox_checks, *quality_checks], **kwargs)
