"""Dagster assets of the ``indicators`` stage: one asset per catalogue indicator, and the table
of all of them that the privacy step reads.

Generated from `assets/indicators.yaml`: adding an indicator there adds its asset, its checks
and its place in the UI's groups (one group per strategy goal)."""

from __future__ import annotations

import dagster as dg

from pipelines.catalogue.models import Indicator
from pipelines.checks import rules
from pipelines.indicators.compute import (
    INDICATOR_TABLE,
    build_indicator_values,
    combine_indicator_values,
    indicator_table,
)
from pipelines.indicators.describe import indicator_description, indicator_group, national_summary
from pipelines.metadata import INTERNAL, asset_args, check_result, table_metadata
from pipelines.resources import ReportingRun, Warehouse, catalogue
from pipelines.staging.assets import measure_values

RANGE_CHECK = "values_within_declared_range"
JUMP_CHECK = "no_large_yearly_jumps"


def _indicator_asset(indicator: Indicator) -> dg.AssetsDefinition:
    table = indicator_table(indicator.id)

    @dg.asset(
        name=table,
        group_name=indicator_group(indicator),
        kinds={"duckdb"},
        deps=[measure_values, "dim_municipality", "dim_comparison_group"],
        description=indicator_description(catalogue(), indicator),
        check_specs=[
            dg.AssetCheckSpec(
                RANGE_CHECK,
                asset=table,
                blocking=True,
                description="Shares lie within 0–100 and their numerator never exceeds the denominator; "
                "every value lies within the range declared for the indicator (`checks:`).",
            ),
            dg.AssetCheckSpec(
                JUMP_CHECK,
                asset=table,
                description="Warns when a national or county value changes more in one year than "
                "`max_yearly_change_pct` (default 50 %) and more than chance explains for counts of its "
                "size (4 standard deviations).",
            ),
        ],
        **asset_args("indicators", INTERNAL, table),
    )
    def _compute(warehouse: Warehouse, reporting: ReportingRun):
        from pipelines.indicators.preview import chart_markdown, national_chart_png

        cat = catalogue()
        with warehouse.get_connection() as con:
            build_indicator_values(con, cat, reporting.selected_years(), [indicator.id], table)
            values = con.execute(f'SELECT * FROM "{table}"').df()
            summary = national_summary(cat, values)
            names = {g: cat.target_groups[g].name_nb for g in indicator.target_groups}
            chart = chart_markdown(national_chart_png(indicator, values, names), indicator.name_nb)
            yield dg.MaterializeResult(
                metadata=table_metadata(
                    con,
                    table,
                    latest_national_value=summary.get("latest_national_value"),
                    latest_year=summary.get("latest_year"),
                    progress=dg.MetadataValue.json(summary["progress"]),
                    national_chart=dg.MetadataValue.md(chart),
                    rows_by_status=dg.MetadataValue.json(values["status"].value_counts().to_dict()),
                    data_origin=dg.MetadataValue.json(
                        {str(k): int(v) for k, v in values["data_origin"].value_counts().items()}
                    ),
                )
            )
            yield check_result(
                rules.implausible_values(con, cat, table),
                "values outside their range",
                check_name=RANGE_CHECK,
            )
            yield check_result(
                rules.yearly_jumps(con, cat, table),
                "year-over-year changes above the threshold",
                dg.AssetCheckSeverity.WARN,
                check_name=JUMP_CHECK,
            )

    return _compute


indicator_assets = [_indicator_asset(indicator) for indicator in catalogue().indicators.values()]


@dg.asset(
    name=INDICATOR_TABLE,
    group_name="indicators",
    kinds={"duckdb"},
    deps=indicator_assets,
    **asset_args("indicators", INTERNAL, INDICATOR_TABLE),
)
def indicator_values(warehouse: Warehouse) -> dg.MaterializeResult:
    """Every indicator of `assets/indicators.yaml` in one table, `indicator_values`, for every
    municipality (kommune), county (fylke) and the nation (land, code EAK), every reporting year and
    target group: the rows of the per-indicator tables, together.

    value = Σ numerator / Σ denominator × factor over the municipalities that reported both —
    never a mean of municipal rates. A zero denominator gives no value and status
    `not_applicable` (shown as `.`); no data gives status `missing` (`..`). Numerator and
    denominator are kept beside every value. Unsuppressed: internal tier, read by the privacy step.
    """
    with warehouse.get_connection() as con:
        combine_indicator_values(con, catalogue())
        statuses = dict(con.execute(f"SELECT status, count(*) FROM {INDICATOR_TABLE} GROUP BY 1").fetchall())
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                INDICATOR_TABLE,
                indicators=len(catalogue().indicators),
                rows_by_status=dg.MetadataValue.json(statuses),
            )
        )
