"""Dagster asset of the indicator maps."""

from __future__ import annotations

import dagster as dg

from pipelines.exports.assets import public_release
from pipelines.exports.reader import latest_release, open_release
from pipelines.indicators.compute import indicator_table
from pipelines.metadata import PUBLIC, asset_args
from pipelines.previews import preview_markdown
from pipelines.resources import OutputPaths, catalogue

# The map shown in this asset's own metadata: bostøtte, the broadest municipal series.
PREVIEW_INDICATOR = "bostotte_per_1000_husholdninger"
# The metadata key under which each indicator asset shows its map (as an observation).
OBSERVATION_KEY = "map"


@dg.asset(
    group_name="publication",
    kinds={"matplotlib", "png"},
    deps=[public_release],
    **asset_args("publication", PUBLIC),
)
def indicator_maps(context, paths: OutputPaths) -> dg.MaterializeResult:
    """Maps of every indicator in `maps/`, drawn from the published public release only — the same
    suppressed values every other product shows, never the warehouse:

    - `<indikator>.png` — the municipalities (left) and the counties (right) in the 2024 borders, for
      the latest year with municipal or county values of the indicator's headline target group,
      with an inset for the Oslo area. Up to five colour classes; darker is better where the
      indicator has a direction. Suppressed municipalities are hatched («Skjult (personvern)»),
      missing ones grey («Mangler»), not applicable light grey («Ikke aktuelt»);
    - `index.json` / `index.csv` — per map its year, target group, the text alternative (which
      names the highest and lowest county) and the county values behind it.

    Indicators published for the nation only get no map. Each indicator's own asset shows its map
    as an observation (metadata «map»), so the indicator's page in the UI has it, drawn from
    published values. The footer says where the numbers come from («Syntetiske demodata» for the
    demo data) and credits the boundaries: «Kart: © Kartverket (CC BY 4.0)».
    """
    # matplotlib is imported by the drawing step only, not when Dagster loads the definitions.
    from pipelines.maps.build import build_maps

    with open_release(latest_release(paths.base)) as con:
        entries, without = build_maps(con, catalogue(), paths.base, paths.release_id)
    for entry in entries:
        context.log_event(
            dg.AssetObservation(
                asset_key=dg.AssetKey(indicator_table(entry.indicator_id)),
                metadata={
                    OBSERVATION_KEY: dg.MetadataValue.md(preview_markdown([entry.path(paths.base)])),
                    "map_alt_text": entry.alt_nb,
                    "map_year": entry.year,
                },
            )
        )
    folder = entries[0].path(paths.base).parent if entries else paths.base
    preview = [e.path(paths.base) for e in entries if e.indicator_id == PREVIEW_INDICATOR]
    return dg.MaterializeResult(
        metadata={
            "maps": len(entries),
            "without_map": dg.MetadataValue.json(without),
            "folder": dg.MetadataValue.path(str(folder)),
            "preview": dg.MetadataValue.md(preview_markdown(preview)),
        }
    )
