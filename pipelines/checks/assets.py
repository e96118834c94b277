"""Asset checks analysts see in the Dagster UI on the staged measures and the sources. Blocking
checks stop the assets downstream when the data would be wrong there. Each indicator carries its
own checks (range, yearly jumps): see pipelines/indicators/assets.py."""

from __future__ import annotations

import dagster as dg

from pipelines.checks import rules
from pipelines.metadata import check_result
from pipelines.resources import SourceSettings, Warehouse, catalogue
from pipelines.sources.assets import raw_table
from pipelines.staging.assets import measure_values


@dg.asset_check(asset=measure_values, blocking=True)
def every_municipality_every_year(warehouse: Warehouse, sources: SourceSettings) -> dg.AssetCheckResult:
    """Every municipality has a row for every municipal measure in every staged year (a value may
    be missing, with its status; a row may not be absent)."""
    with warehouse.get_connection() as con:
        absent = rules.missing_municipality_years(con, sources.catalogue())
        return check_result(absent, "municipality × year rows absent")


@dg.asset_check(asset=measure_values, blocking=True)
def no_negative_counts(warehouse: Warehouse, sources: SourceSettings) -> dg.AssetCheckResult:
    """No count is negative (only measures declared `may_be_negative`, such as net expenditure)."""
    with warehouse.get_connection() as con:
        return check_result(rules.negative_counts(con, sources.catalogue()), "negative values of counts")


CODES_CHECK = "codes_valid_in_their_year"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CODES_CHECK,
            asset=raw_table(source_id),
            blocking=True,
            description="Every municipality code existed on 1 January of the year it claims to be valid "
            "in — judged by the borders the source actually uses in this run (a StatBank table in "
            "2024 borders in live mode, each year's borders for KOSTRA, the file's own in demo mode).",
        )
        for source_id in catalogue().sources
    ],
    can_subset=True,
)
def codes_valid_in_their_year(context, warehouse: Warehouse, sources: SourceSettings):
    """One step for every source (a step per source would cost more than the check)."""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    cat = sources.catalogue()  # the run's mode decides each source's borders
    with warehouse.get_connection() as con:
        for source_id in cat.sources:
            key = dg.AssetKey(raw_table(source_id))
            if key in selected:
                yield check_result(
                    rules.invalid_codes(con, cat, source_id),
                    "codes not valid in their year",
                    check_name=CODES_CHECK,
                    asset_key=key,
                )


quality_checks = [
    every_municipality_every_year,
    no_negative_counts,
    codes_valid_in_their_year,
]
