"""Materialise every asset from Python, as `make run` does on the CLI.

Used by the tests (one full run into a temporary folder) and by the benchmark's `materialize` mode.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.metadata import RUN_TAG, YEARLY_ONLY
from pipelines.resources import build_resources


def materialize_all(base: Path, **kwargs) -> dg.ExecuteInProcessResult:
    """Materialise every asset and check for every reporting year into ``base``, except the
    yearly-only assets (the county PDFs), as `make run` does (``QUICK_RUN_SELECTION``)."""
    from pipelines.checks.assets import quality_checks
    from pipelines.definitions import all_assets
    from pipelines.inbox.assets import inbox_checks

    kwargs.setdefault("resources", build_resources(base))
    quick = [a for a in all_assets if not is_yearly_only(a)]
    return dg.materialize([*quick, *inbox_checks, *quality_checks], **kwargs)


def is_yearly_only(asset: dg.AssetsDefinition) -> bool:
    """Whether every asset of ``asset`` carries the yearly-only tag (``YEARLY_ONLY``)."""
    return all(spec.tags.get(RUN_TAG) == YEARLY_ONLY[RUN_TAG] for spec in asset.specs)
