"""Typed, atomic Parquet exports that BI tools (Power BI) read."""
