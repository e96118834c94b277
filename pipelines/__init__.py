"""Steering indicators for Norway's housing-social strategies, as a Dagster code location."""
