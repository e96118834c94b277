"""Dagster asset of the municipality profiles."""

from __future__ import annotations

import dagster as dg

from pipelines.exports.assets import public_release
from pipelines.exports.reader import latest_release, open_release
from pipelines.metadata import PUBLIC, asset_args
from pipelines.previews import preview_markdown
from pipelines.resources import OutputPaths, catalogue

PREVIEW_MUNICIPALITY = "0301"  # Oslo: the profile shown as a preview in the UI


@dg.asset(
    group_name="publication",
    kinds={"matplotlib", "png", "pdf"},
    deps=[public_release],
    **asset_args("publication", PUBLIC),
)
def municipality_profiles(paths: OutputPaths) -> dg.MaterializeResult:
    """One page per municipality (357): its key indicators (`assets/profiles.yaml`) for the latest
    year with data, against its county and the nation, with the change since the year before (green
    arrow: the right direction, red: the wrong one), where it lies among all municipalities, and its
    progress status in Alle trenger et trygt hjem.

    Files: `profiles/kommune/<kommunenr>.png`, one PDF per county with all its municipalities
    (`profiles/fylke/<fylkesnr>.pdf`) and `profiles/index.csv` (municipality → PNG, PDF and page).
    Drawn from the published public release: a hidden value shows as «:», never as a number.
    """
    from pipelines.profiles.build import build_profiles  # matplotlib: only this step needs it

    with open_release(latest_release(paths.base)) as con:
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
