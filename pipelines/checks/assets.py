"""Asset checks analysts see in the Dagster UI. Blocking checks stop the assets downstream when
the data would be wrong there; the yearly-jump check only warns."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from pipelines.checks import rules
from pipelines.indicators.assets import indicator_values
from pipelines.resources import DUCKDB_POOL, catalogue
from pipelines.sources.assets import source_assets
from pipelines.staging.assets import measure_values


def _result(failures: pd.DataFrame, what: str, severity=dg.AssetCheckSeverity.ERROR) -> dg.AssetCheckResult:
    sample = failures.head(10).to_markdown(index=False) if len(failures) else "none"
    return dg.AssetCheckResult(
        passed=failures.empty,
        severity=severity,
        metadata={"failures": len(failures), "what": what, "first_failures": dg.MetadataValue.md(sample)},
    )


@dg.asset_check(asset=measure_values, blocking=True, pool=DUCKDB_POOL)
def every_municipality_every_year(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Every municipality has a row for every municipal measure in every staged year (a value may
    be missing, with its status; a row may not be absent)."""
    with duckdb.get_connection() as con:
        return _result(rules.missing_municipality_years(con, catalogue()), "municipality × year rows absent")


@dg.asset_check(asset=measure_values, blocking=True, pool=DUCKDB_POOL)
def no_negative_counts(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """No count is negative (only measures declared `may_be_negative`, such as net expenditure)."""
    with duckdb.get_connection() as con:
        return _result(rules.negative_counts(con, catalogue()), "negative values of counts")


@dg.asset_check(asset=indicator_values, blocking=True, pool=DUCKDB_POOL)
def values_within_declared_range(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Shares lie within 0–100 and their numerator never exceeds the denominator; every value lies
    within the plausible range declared for its indicator (`checks:` in assets/indicators.yaml)."""
    with duckdb.get_connection() as con:
        return _result(rules.implausible_values(con, catalogue()), "values outside their range")


@dg.asset_check(asset=indicator_values, blocking=False, pool=DUCKDB_POOL)
def no_large_yearly_jumps(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Warns when a national or county value changes more in one year than its indicator's
    `max_yearly_change_pct` (default 50 %). A warning to look at, not an error: small counties
    and survey years do jump."""
    with duckdb.get_connection() as con:
        jumps = rules.yearly_jumps(con, catalogue())
    return _result(jumps, "year-over-year changes above the threshold", dg.AssetCheckSeverity.WARN)


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
    pool=DUCKDB_POOL,
)
def codes_valid_in_their_year(context, duckdb: DuckDBResource):
    """One step for every source (a step per source would cost more than the check)."""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with duckdb.get_connection() as con:
        for asset, source_id in zip(source_assets, catalogue().sources, strict=True):
            if asset.key in selected:
                result = _result(
                    rules.invalid_codes(con, catalogue(), source_id), "codes not valid in their year"
                )
                yield dg.AssetCheckResult(
                    asset_key=asset.key,
                    check_name=CODES_CHECK,
                    passed=result.passed,
                    severity=result.severity,
                    metadata=result.metadata,
                )


quality_checks = [
    every_municipality_every_year,
    no_negative_counts,
    values_within_declared_range,
    no_large_yearly_jumps,
    codes_valid_in_their_year,
]
