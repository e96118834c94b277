"""The one entry point of the Dagster code location: ``defs``.

Runs use the in-process executor: the pipeline is many small DuckDB steps that take turns on
one warehouse file, and a new Python process per step (Dagster's default) would cost more than
the work itself.
"""

from __future__ import annotations

import dagster as dg

from pipelines.charts.assets import indicator_charts
from pipelines.checks.assets import quality_checks
from pipelines.exports.assets import internal_exports, public_release
from pipelines.findings.assets import evaluation_findings, evaluation_findings_internal
from pipelines.inbox.assets import inbox_assets, inbox_checks, inbox_sensor, record_assets
from pipelines.indicators.assets import indicator_assets, indicator_values
from pipelines.maps.assets import indicator_maps
from pipelines.privacy.assets import suppression
from pipelines.profiles.assets import county_profile_pdfs, municipality_profiles
from pipelines.progress.assets import goal_attainment, goal_attainment_internal
from pipelines.report.assets import steering_report
from pipelines.resources import build_resources
from pipelines.runs import dead_run_sensor
from pipelines.schedules import schedules, yearly_update
from pipelines.sources.assets import qc_ssb_national_totals, reference_geography, source_assets
from pipelines.staging.assets import measure_values

all_assets = [
    reference_geography,
    *source_assets,
    qc_ssb_national_totals,
    *inbox_assets,
    *record_assets,
    measure_values,
    *indicator_assets,
    indicator_values,
    suppression,
    goal_attainment,
    goal_attainment_internal,
    evaluation_findings,
    evaluation_findings_internal,
    public_release,
    internal_exports,
    indicator_charts,
    indicator_maps,
    municipality_profiles,
    county_profile_pdfs,
    steering_report,
]

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=[*inbox_checks, *quality_checks],
    sensors=[inbox_sensor, dead_run_sensor],
    schedules=schedules,
    jobs=[yearly_update],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
