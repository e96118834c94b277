"""Dagster asset of the ``charts`` stage."""

from __future__ import annotations

import dagster as dg

from pipelines.exports.assets import public_release
from pipelines.exports.reader import latest_release, open_release
from pipelines.metadata import PUBLIC, asset_args
from pipelines.previews import preview_markdown
from pipelines.resources import OutputPaths, catalogue

# The indicator whose charts are previewed in the UI: bostøtte, the broadest municipal series.
PREVIEW_INDICATOR = "bostotte_per_1000_husholdninger"


@dg.asset(
    group_name="publication",
    kinds={"matplotlib", "png"},
    deps=[public_release],
    **asset_args("publication", PUBLIC),
)
def indicator_charts(paths: OutputPaths) -> dg.MaterializeResult:
    """Charts of every indicator in `charts/`, drawn from the published public release:

    - `<indikator>.png` — the national series with the counties' spread behind it, the strategy
      periods (Bolig for velferd 2014–2020, Alle trenger et trygt hjem 2021–2024) shaded and the
      target drawn where one exists;
    - `<indikator>_fylker.png` — one small panel per county on a shared scale, the nation faint in each;
    - `<indikator>_malgrupper.png` — each target group against «alle» (indicators with groups);
    - `<indikator>_kostragrupper.png` — every municipality's value within its KOSTRA group, latest year.

    Norwegian labels and numbers, the unit on the axis, and a footer with source, data origin
    («Syntetiske demodata» for the bundled demo data) and release date. Missing and suppressed
    values are gaps in the lines, never zeros. The metadata shows small previews of one indicator's
    charts (thumbnails with a size cap) and the folder with the full files.
    """
    # matplotlib is imported here, not at module load: every Dagster process (webserver, daemon,
    # each run) loads the definitions, and only the drawing steps need it.
    from pipelines.charts.build import build_charts

    with open_release(latest_release(paths.base)) as con:
        written = build_charts(con, catalogue(), paths.base, paths.release_id)
    previews = [p for p in written if p.stem.startswith(PREVIEW_INDICATOR)]
    return dg.MaterializeResult(
        metadata={
            "charts": len(written),
            "folder": dg.MetadataValue.path(str(written[0].parent) if written else str(paths.base)),
            "files": dg.MetadataValue.json([p.name for p in written]),
            "preview": dg.MetadataValue.md(preview_markdown(previews)),
        }
    )
