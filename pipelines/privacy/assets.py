"""Dagster asset of the ``privacy`` stage: the only way from the internal to the public tier."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.indicators.assets import indicator_values
from pipelines.metadata import table_metadata
from pipelines.privacy.build import PUBLIC_TABLE, build_public_values
from pipelines.resources import DUCKDB_POOL, SINGLE_RUN, catalogue


@dg.asset(
    backfill_policy=SINGLE_RUN,
    group_name="privacy",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    deps=[indicator_values],
)
def indicator_values_public(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The public, suppressed indicator table (`indicator_values_public`) — the only source of
    every public export, chart and report.

    Small counts about vulnerable people are suppressed (prikket) by the rules in
    `assets/suppression.yaml`: primary suppression of sensitive counts of 1–4, of numerators whose
    complement (denominator − numerator) is 1–4, of rates over a sensitive denominator below 10,
    and of a target group whose difference from "alle" is 1–4; a geography's whole series when
    more than half of it is suppressed; and secondary suppression until no hidden count can be
    recovered from published sums along kommune → fylke → land and the comparison groups.
    Suppressed rows have status `suppressed` (`:`) and null numbers.

    Internal tables (not for publication): `indicator_values_flagged` (primary/secondary and the
    reason per row) and `suppressed_cells`.
    """
    with duckdb.get_connection() as con:
        result = build_public_values(con, catalogue())
        internal = result.internal
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                PUBLIC_TABLE,
                rows_by_status=dg.MetadataValue.json(result.public["status"].value_counts().to_dict()),
                suppressed_primary=int((internal["suppression"] == "primary").sum()),
                suppressed_secondary=int((internal["suppression"] == "secondary").sum()),
                cells_by_reason=dg.MetadataValue.json(result.cells["reason"].value_counts().to_dict()),
            )
        )
