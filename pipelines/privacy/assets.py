"""Dagster step of the ``privacy`` stage: the only way from the internal to the public tier.

One step for every indicator together, because a count hidden in one indicator must be hidden in
all; it writes one public table and the internal tables that document what it hid and why."""

from __future__ import annotations

import dagster as dg

from pipelines.indicators.assets import indicator_values
from pipelines.metadata import INTERNAL, PUBLIC, spec, table_metadata
from pipelines.privacy.build import (
    AUDIT_TABLE,
    CELLS_TABLE,
    FLAGGED_TABLE,
    MEMO_TABLE,
    PUBLIC_TABLE,
    SHARES_TABLE,
    SUMMARY_TABLE,
    build_public_values,
)
from pipelines.resources import Warehouse, catalogue

INPUTS = [indicator_values, "dim_geography"]
PUBLIC_DESCRIPTION = """The public, suppressed indicator table (`indicator_values_public`) — the only
source of every public export, chart and report.

Small counts about vulnerable people are suppressed (prikket) per measure cell — one measure at one
geography in one year — so a count hidden in one indicator is hidden in all, whatever the row's
status. Primary rules (`assets/suppression.yaml`): sensitive counts of 1–4; whole − parts
differences of 1–4 for every relation declared in `assets/measures.yaml` (refugees within newly
housed, households with children within all, «alle» against a group); all of a group smaller than
10. Population, children and households from SSB are never hidden.

Secondary suppression is proven, not assumed: for every protected quantity a linear programme
computes the interval an attacker can prove from everything published (every hierarchy sum, the
relations, counts ≥ 0 and whole), and further cells are hidden — the cheapest that let it move —
until each interval is at least 5 wide. The run stops with an error if that cannot be reached. The
metadata shows the audit: targets checked, the narrowest interval, the time, and how much of what
has data is hidden."""
INTERNAL_TABLES = {
    FLAGGED_TABLE: "Unsuppressed indicator values with the public tier's flags: primary or secondary "
    "suppression and the reason. Internal tier: never publish.",
    CELLS_TABLE: "Every hidden measure cell (measure × geography × year) and why it is hidden: primary "
    "(a small count or difference) or secondary (hidden so a primary cell cannot be worked out).",
    AUDIT_TABLE: "One row per protected quantity with the interval an attacker can prove from the "
    "public release (lower, upper, width).",
    SHARES_TABLE: "How much of what has data is hidden, per indicator and level: the price of protection, "
    "watched so that suppression never hides more than it must.",
    SUMMARY_TABLE: "The audit's headline figures (one row): targets checked, narrowest interval, hidden "
    "share, rows hidden by secondary suppression only, zeros hidden, time.",
    MEMO_TABLE: "The step's memory: answers per input fingerprint, so an unchanged family of measures is "
    "not solved again.",
}


@dg.multi_asset(
    specs=[
        spec(PUBLIC_TABLE, "privacy", PUBLIC, PUBLIC_DESCRIPTION, deps=INPUTS),
        *(spec(table, "privacy", INTERNAL, text, deps=INPUTS) for table, text in INTERNAL_TABLES.items()),
    ],
)
def suppression(warehouse: Warehouse):
    """Suppression (prikking) of every indicator together: see `indicator_values_public`."""
    with warehouse.get_connection() as con:
        result = build_public_values(con, catalogue())
        summary = result.summary
        yield dg.MaterializeResult(
            asset_key=PUBLIC_TABLE,
            metadata=table_metadata(
                con,
                PUBLIC_TABLE,
                rows_by_status=dg.MetadataValue.json(result.public["status"].value_counts().to_dict()),
                cells_by_reason=dg.MetadataValue.json(result.cells["reason"].value_counts().to_dict()),
                audit_targets_checked=summary["targets_checked"],
                audit_narrowest_interval=summary["narrowest_interval"] or float("inf"),
                audit_seconds=summary["seconds"],
                hidden_share=summary["hidden_share"],
                rows_hidden_by_secondary_only=summary["rows_hidden_by_secondary_only"],
                zeros_hidden=summary["zeros_hidden"],
            ),
        )
        for table in INTERNAL_TABLES:
            yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(con, table))
