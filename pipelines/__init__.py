"""Steering indicators for Norway's housing-social strategies, as a Dagster code location."""

import warnings

# Single-run backfill policies are marked beta in Dagster 1.13; we rely on them on purpose (one
# run, one DuckDB writer) and do not want the warning repeated for every asset at every load.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`")
