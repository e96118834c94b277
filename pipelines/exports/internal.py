"""The internal tier: unsuppressed values with their suppression flags, for the data owners.

Never publish these files. A snapshot per release under ``releases/<release>/`` lets the QC report
list what changed since the previous release.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.exports.keys import with_geo_key, with_is_headline
from pipelines.exports.parquet import (
    FINDING_TESTS_SCHEMA,
    FINDING_VERDICTS_SCHEMA,
    GOAL_ATTAINMENT_SCHEMA,
    GOAL_ROLLUP_SCHEMA,
    INTERNAL_INDICATOR_VALUES_SCHEMA,
    PRIORITY_TRENDS_SCHEMA,
    QC_SCHEMA,
    QUARANTINE_SCHEMA,
    SUPPRESSED_CELLS_SCHEMA,
    SUPPRESSION_AUDIT_SCHEMA,
    SUPPRESSION_SHARE_SCHEMA,
    cast_to_schema,
    to_arrow,
    with_metadata,
    write_parquet_atomic,
)
from pipelines.exports.qc import privacy_markdown, qc_markdown, release_diff
from pipelines.inbox.ingest import ensure_tables
from pipelines.paths import INTERNAL_DIR
from pipelines.privacy.build import AUDIT_TABLE, CELLS_TABLE, FLAGGED_TABLE, SHARES_TABLE, SUMMARY_TABLE


def write_internal(
    con: duckdb.DuckDBPyConnection, base_dir: Path, release: str, catalogue: Catalogue
) -> dict[str, Path]:
    """Write the internal tier, the release snapshot and the QC report; returns the paths."""
    folder = base_dir / INTERNAL_DIR
    flagged = with_geo_key(
        with_is_headline(con.sql(f'SELECT * FROM "{FLAGGED_TABLE}"').to_arrow_table(), catalogue)
    )
    flagged = with_metadata(cast_to_schema(flagged, INTERNAL_INDICATOR_VALUES_SCHEMA), release=release)
    written = {
        "indicator_values": write_parquet_atomic(flagged, folder / "indicator_values.parquet"),
        "goal_attainment": write_parquet_atomic(
            cast_to_schema(
                with_geo_key(con.sql("SELECT * FROM goal_attainment_internal").to_arrow_table()),
                GOAL_ATTAINMENT_SCHEMA,
            ),
            folder / "goal_attainment.parquet",
        ),
        "goal_rollup": write_parquet_atomic(
            cast_to_schema(
                with_geo_key(con.sql("SELECT * FROM goal_rollup_internal").to_arrow_table()),
                GOAL_ROLLUP_SCHEMA,
            ),
            folder / "goal_rollup.parquet",
        ),
        "finding_verdicts": write_parquet_atomic(
            to_arrow(con.sql("SELECT * FROM finding_verdicts_internal").df(), FINDING_VERDICTS_SCHEMA),
            folder / "finding_verdicts.parquet",
        ),
        "finding_tests": write_parquet_atomic(
            to_arrow(con.sql("SELECT * FROM finding_tests_internal").df(), FINDING_TESTS_SCHEMA),
            folder / "finding_tests.parquet",
        ),
        "priority_trends": write_parquet_atomic(
            cast_to_schema(
                with_geo_key(con.sql("SELECT * FROM priority_trends_internal").to_arrow_table()),
                PRIORITY_TRENDS_SCHEMA,
            ),
            folder / "priority_trends.parquet",
        ),
        "suppressed_cells": write_parquet_atomic(
            cast_to_schema(
                con.sql(f'SELECT * FROM "{CELLS_TABLE}"').to_arrow_table(), SUPPRESSED_CELLS_SCHEMA
            ),
            folder / "suppressed_cells.parquet",
        ),
        "suppression_audit": write_parquet_atomic(
            cast_to_schema(
                con.sql(f'SELECT * FROM "{AUDIT_TABLE}"').to_arrow_table(), SUPPRESSION_AUDIT_SCHEMA
            ),
            folder / "suppression_audit.parquet",
        ),
    }
    shares = con.sql(f'SELECT * FROM "{SHARES_TABLE}" ORDER BY indicator_id, geo_level').df()
    summary = con.sql(f'SELECT * FROM "{SUMMARY_TABLE}"').df().iloc[0].to_dict()
    written["suppression_hidden_share"] = write_parquet_atomic(
        to_arrow(shares, SUPPRESSION_SHARE_SCHEMA), folder / "qc" / "suppression_hidden_share.parquet"
    )
    ensure_tables(con)
    quarantine = con.sql('SELECT * FROM quarantine ORDER BY source_id, file, sheet, "row"').to_arrow_table()
    written["quarantine"] = write_parquet_atomic(
        cast_to_schema(quarantine, QUARANTINE_SCHEMA), folder / "quarantine.parquet"
    )
    snapshots = folder / "releases"
    written["snapshot"] = write_parquet_atomic(flagged, snapshots / release / "indicator_values.parquet")
    earlier = sorted(p.name for p in snapshots.iterdir() if p.is_dir() and p.name < release)
    previous_release = earlier[-1] if earlier else None
    previous = (
        pd.read_parquet(snapshots / previous_release / "indicator_values.parquet")
        if previous_release
        else None
    )
    diff = release_diff(previous, flagged.to_pandas())
    written["qc_parquet"] = write_parquet_atomic(
        to_arrow(diff, QC_SCHEMA), folder / "qc" / f"{release}.parquet"
    )
    report = folder / "qc" / f"{release}.md"
    report.write_text(
        qc_markdown(diff, release, previous_release) + privacy_markdown(summary, shares), encoding="utf-8"
    )
    written["qc_report"] = report
    return written
