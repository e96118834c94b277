"""Data-quality checks analysts see in the Dagster UI; the SQL lives here, the wiring in assets.py."""
