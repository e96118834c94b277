"""Asset checks analysts see in the Dagster UI on the staged measures and the sources. Blocking
checks stop the assets downstream when the data would be wrong there. Each indicator carries its
own checks (range, yearly jumps): see pipelines/indicators/assets.py."""

from __future__ import annotations

import dagster as dg

from pipelines.checks import rules
from pipelines.metadata import check_result
from pipelines.resources import Warehouse, catalogue
from pipelines.sources.assets import source_assets
from pipelines.staging.assets import measure_values


@dg.asset_check(asset=measure_values, blocking=True)
def every_municipality_every_year(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every municipality has a row for every municipal measure in every staged year (a value may
    be missing, with its status; a row may not be absent)."""
    with warehouse.get_connection() as con:
        absent = rules.missing_municipality_years(con, catalogue())
        return check_result(absent, "municipality × year rows absent")


@dg.asset_check(asset=measure_values, blocking=True)
def no_negative_counts(warehouse: Warehouse) -> dg.AssetCheckResult:
    """No count is negative (only measures declared `may_be_negative`, such as net expenditure)."""
    with warehouse.get_connection() as con:
        return check_result(rules.negative_counts(con, catalogue()), "negative values of counts")


CODES_CHECK = "codes_valid_in_their_year"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CODES_CHECK,
            asset=asset,
            blocking=True,
            description="Every municipality code existed on 1 January of the year it claims to be valid in.",
        )
        for asset in source_assets
    ],
    can_subset=True,
)
def codes_valid_in_their_year(context, warehouse: Warehouse):
    """One step for every source (a step per source would cost more than the check)."""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with warehouse.get_connection() as con:
        for asset, source_id in zip(source_assets, catalogue().sources, strict=True):
            if asset.key in selected:
                yield check_result(
                    rules.invalid_codes(con, catalogue(), source_id),
                    "codes not valid in their year",
                    check_name=CODES_CHECK,
                    asset_key=asset.key,
                )


quality_checks = [
    every_municipality_every_year,
    no_negative_counts,
    codes_valid_in_their_year,
]
