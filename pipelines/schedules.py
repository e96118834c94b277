"""The yearly schedules: SSB publishes KOSTRA's preliminary figures around 15 March and the final
figures around 15 June for the year before. Times are Norwegian (Europe/Oslo)."""

from __future__ import annotations

import dagster as dg

from pipelines.partitions import FIGURES_TAG, TIMEZONE
from pipelines.sources.assets import YEARLY

yearly_update = dg.define_asset_job(
    "yearly_update",
    selection=dg.AssetSelection.all(),
    partitions_def=YEARLY,
    description="One reporting year of every source and staging asset, and everything downstream.",
)


def _request(context: dg.ScheduleEvaluationContext, figures: str) -> dg.RunRequest | dg.SkipReason:
    year = context.scheduled_execution_time.year - 1  # figures for the year before
    if str(year) not in YEARLY.get_partition_keys():
        return dg.SkipReason(
            f"{year} is not a reporting year yet: raise last_year in assets/settings.yaml to {year}"
        )
    return dg.RunRequest(partition_key=str(year), run_key=f"{figures}-{year}", tags={FIGURES_TAG: figures})


@dg.schedule(
    job=yearly_update,
    cron_schedule="0 7 16 6 *",
    execution_timezone=TIMEZONE,
    name="kostra_final_figures",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def kostra_final_figures(context: dg.ScheduleEvaluationContext):
    """16 June, 07:00 Norwegian time, after KOSTRA's final figures (around 15 June): the year
    before's partition and everything downstream, marked final."""
    return _request(context, "final")


@dg.schedule(
    job=yearly_update,
    cron_schedule="0 7 16 3 *",
    execution_timezone=TIMEZONE,
    name="kostra_preliminary_figures",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def kostra_preliminary_figures(context: dg.ScheduleEvaluationContext):
    """16 March, 07:00 Norwegian time, after KOSTRA's preliminary figures (around 15 March): the
    year before's partition and everything downstream; every value built on it is marked
    `preliminary` until the June run replaces it."""
    return _request(context, "preliminary")


schedules = [kostra_final_figures, kostra_preliminary_figures]
