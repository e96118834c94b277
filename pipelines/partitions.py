"""Yearly partitions: one partition per reporting year, 2014 to the last year in assets/settings.yaml."""

from __future__ import annotations

import dagster as dg

from pipelines.catalogue.models import Settings

TIMEZONE = "Europe/Oslo"
FIGURES_TAG = "bolig/figures"  # "preliminary" (SSB's March release) or "final" (June)


def yearly_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    """Keys "2014" … str(last_year). (Dagster has no yearly class: a yearly cron does it.)"""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *",
        start=str(settings.first_year),
        end=str(settings.last_year + 1),
        fmt="%Y",
        timezone=TIMEZONE,
        end_offset=0,
    )


def partition_years(context: dg.AssetExecutionContext) -> list[int] | None:
    """The reporting years this run materialises (one partition, a range, or None = all)."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return None
    return sorted(int(key) for key in context.partition_keys)
