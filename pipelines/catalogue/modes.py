"""Where source data come from in a run: `demo` (bundled files, the default), `cache` (replayed
StatBank responses, offline) or `live` (Statistics Norway's APIs).

In `cache` and `live` mode every source that a table in ``assets/statbank.yaml`` feeds is read
from StatBank instead of its file; the other sources (directorate files) still come from files.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Literal

from pipelines.catalogue import Catalogue, load_catalogue

Mode = Literal["demo", "cache", "live"]
MODES: tuple[str, ...] = ("demo", "cache", "live")
STATBANK_PREFIX = "statbank:"


def resolve(catalogue: Catalogue, mode: str) -> Catalogue:
    """The catalogue as a run in ``mode`` sees it: StatBank-fed sources point at their table."""
    if mode not in MODES:
        raise ValueError(f"unknown source mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "demo":
        return catalogue
    sources = dict(catalogue.sources)
    for source_id in {t.feeds_source for t in catalogue.statbank.values()}:
        tables = catalogue.statbank_for(source_id)
        refs = " + ".join(dict.fromkeys(t.table_id or "ukjent" for t in tables))
        sources[source_id] = sources[source_id].model_copy(
            update={
                "path": f"{STATBANK_PREFIX}{refs}",
                "data_origin": "ssb",
                "codes_valid_in": tables[0].codes_valid_in,  # one border set per source (validated)
            }
        )
    return dataclasses.replace(catalogue, sources=sources)


@lru_cache(maxsize=len(MODES))
def catalogue_for(mode: str) -> Catalogue:
    return resolve(load_catalogue(), mode)
