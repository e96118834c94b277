"""Husbanken's record-level data: synthetic records at any scale, aggregated inside DuckDB.

Husbanken keeps one record per housing-allowance (bostøtte) payment — a household paid in a
month — and one per start loan (startlån) granted. The indicators only need small
municipality × year measures from them, so the records are aggregated where they lie (Parquet or
CSV files, read by DuckDB) and never loaded whole into pandas.

- :mod:`pipelines.records.generate` writes deterministic SYNTHETIC record files at real volumes
  (or any multiple of them) in bounded memory.
- :mod:`pipelines.records.aggregate` turns a file or glob of record files into the measures
  (``aggregate_bostotte``, ``aggregate_startlan``), validating every record in SQL and reporting
  the ones it cannot aggregate. Plain-pandas twins exist for comparison and benchmarking.
"""
