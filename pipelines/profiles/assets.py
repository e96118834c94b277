"""Dagster asset of the municipality profiles."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.previews import preview_markdown
from pipelines.progress.assets import goal_attainment
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, OutputPaths, catalogue

PREVIEW_MUNICIPALITY = "0301"  # Oslo: the profile shown as a preview in the UI


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="publication",
    kinds={"matplotlib", "png", "pdf"},
    pool=DUCKDB_POOL,
    deps=[goal_attainment],
)
def municipality_profiles(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """One page per municipality (357): its key indicators (`assets/profiles.yaml`) for the latest
    year with data, against its county and the nation, with the change since the year before (green
    arrow: the right direction, red: the wrong one), where it lies among all municipalities, and its
    progress status in Alle trenger et trygt hjem.

    Files: `profiles/kommune/<kommunenr>.png`, one PDF per county with all its municipalities
    (`profiles/fylke/<fylkesnr>.pdf`) and `profiles/index.csv` (municipality → PNG, PDF and page).
    Public, suppressed values only: a hidden value shows as «:», never as a number.
    """
    from pipelines.profiles.build import build_profiles  # matplotlib: only this step needs it

    with duckdb.get_connection() as con:
        result = build_profiles(con, catalogue(), paths.base, paths.release_id)
    preview = [p for p in result.pngs if p.stem == PREVIEW_MUNICIPALITY][:1]
    return dg.MaterializeResult(
        metadata={
            "profiles": len(result.pngs),
            "county_pdfs": len(result.pdfs),
            "index": dg.MetadataValue.path(str(result.index_path)),
            "folder": dg.MetadataValue.path(str(result.index_path.parent)),
            "preview": dg.MetadataValue.md(preview_markdown(preview)),
        }
    )
