"""The yearly schedules: SSB publishes KOSTRA's preliminary figures around 15 March and the final
figures around 15 June for the year before. Times are Norwegian (Europe/Oslo).

Each schedule starts one run of every asset, configured (`reporting` resource) to recompute the
year before and mark its figures preliminary or final; every other year's rows stay as they are."""

from __future__ import annotations

import dagster as dg

from pipelines.resources import catalogue

TIMEZONE = "Europe/Oslo"
FIGURES_TAG = "bolig/figures"  # shown in the run list: "preliminary" (March) or "final" (June)

yearly_update = dg.define_asset_job(
    "yearly_update",
    selection=dg.AssetSelection.all(),
    description="Every asset, with one reporting year recomputed (set by the schedules' run config).",
)


def year_run_config(year: int, figures: str) -> dict:
    return {"resources": {"reporting": {"config": {"years": [year], "figures": figures}}}}


def _request(context: dg.ScheduleEvaluationContext, figures: str) -> dg.RunRequest | dg.SkipReason:
    year = context.scheduled_execution_time.year - 1  # figures for the year before
    if year not in catalogue().settings.years:
        return dg.SkipReason(
            f"{year} is not a reporting year yet: raise last_year in assets/settings.yaml to {year}"
        )
    return dg.RunRequest(
        run_key=f"{figures}-{year}",
        run_config=year_run_config(year, figures),
        tags={FIGURES_TAG: figures, "bolig/year": str(year)},
    )


@dg.schedule(
    job=yearly_update,
    cron_schedule="0 7 16 6 *",
    execution_timezone=TIMEZONE,
    name="kostra_final_figures",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def kostra_final_figures(context: dg.ScheduleEvaluationContext):
    """16 June, 07:00 Norwegian time, after KOSTRA's final figures (around 15 June): the year
    before recomputed and everything downstream, marked final."""
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
    year before recomputed and everything downstream; every value built on it is marked
    `preliminary` until the June run replaces it."""
    return _request(context, "preliminary")


schedules = [kostra_final_figures, kostra_preliminary_figures]
