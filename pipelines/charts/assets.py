"""Dagster asset of the ``charts`` stage."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.privacy.assets import indicator_values_public
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, OutputPaths, catalogue


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="charts",
    kinds={"matplotlib", "png"},
    pool=DUCKDB_POOL,
    deps=[indicator_values_public],
)
def indicator_charts(duckdb: DuckDBResource, paths: OutputPaths) -> dg.MaterializeResult:
    """One PNG per indicator in `charts/`: the national series as a line, with the spread
    between the counties (lowest–highest and the middle half) as bands behind it.

    Norwegian labels and number formats; the footer names the source, the data origin
    («Syntetiske demodata» for the bundled demo data) and the release date. Missing values are
    gaps in the line, never zeros. Built from the public, suppressed values only.
    """
    # matplotlib is imported here, not at module load: every Dagster process (webserver, daemon,
    # each run) loads the definitions, and only the chart step needs it (~0.5 s).
    from pipelines.charts.render import render_indicator_charts

    with duckdb.get_connection() as con:
        values = con.execute(f'SELECT * FROM "{PUBLIC_TABLE}"').df()
    written = render_indicator_charts(values, catalogue(), paths.base, paths.release_id)
    return dg.MaterializeResult(
        metadata={
            "charts": len(written),
            "dagster/row_count": len(values),
            "folder": dg.MetadataValue.path(str(written[0].parent) if written else str(paths.base)),
            "files": dg.MetadataValue.json([p.name for p in written]),
        }
    )
