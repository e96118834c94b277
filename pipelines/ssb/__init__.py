"""Clients for Statistics Norway's public APIs: StatBank (PxWebApi 2.0, JSON-stat2) and KLASS.

Modules:

* :mod:`pipelines.ssb.http` — JSON over HTTP with retries, backoff and clear errors.
* :mod:`pipelines.ssb.ratelimit` — one rate limiter per server for the whole process.
* :mod:`pipelines.ssb.cache` — an on-disk, checksummed response cache (replayable offline).
* :mod:`pipelines.ssb.jsonstat` — JSON-stat2 dataset → one row per cell, SSB symbols kept.
* :mod:`pipelines.ssb.statbank` — StatBank tables: cell counting, splitting, politeness, cache modes.
* :mod:`pipelines.ssb.klass` — KLASS code lists and changes; checks ``data/reference`` against them.
"""
