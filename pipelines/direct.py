"""Run every stage in order without Dagster: the same library functions the assets call.

Used by the benchmark (Dagster's overhead = a Dagster run ÷ this) and by tests that try a
variant catalogue (another vintage of borders, an extra indicator).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.catalogue.modes import resolve
from pipelines.exports.internal import write_internal
from pipelines.exports.public import publish_public
from pipelines.findings.build import build_findings
from pipelines.findings.spec import load_findings_spec
from pipelines.inbox.ingest import inbox_dir, ingest_contract, ingest_records
from pipelines.indicators.compute import build_indicator_values
from pipelines.paths import default_release_id
from pipelines.privacy.build import build_public_values
from pipelines.progress.build import build_goal_attainment
from pipelines.resources import SourceSettings
from pipelines.sources.load import load_reference_geography, load_source
from pipelines.staging.measures import build_measure_values
from pipelines.warehouse import connect, warehouse_path


def run_all(
    base_dir: Path,
    catalogue: Catalogue | None = None,
    charts: bool = True,
    release: str | None = None,
    sources: SourceSettings | None = None,
) -> Path:
    """Materialise everything into ``base_dir``; returns the warehouse path."""
    sources = sources or SourceSettings()
    catalogue = resolve(catalogue or load_catalogue(), sources.mode)
    statbank = sources.statbank_client(base_dir)
    release = release or default_release_id()
    path = warehouse_path(base_dir)
    with connect(path) as con:
        load_reference_geography(con, catalogue)
        for source_id in catalogue.sources:
            load_source(con, catalogue, source_id, statbank=statbank, live_tables=sources.live_tables)
        for contract in catalogue.contracts.values():
            ingest_contract(con, catalogue, contract, inbox_dir() / contract.source)
        for record in catalogue.records.values():
            ingest_records(con, catalogue, record, inbox_dir() / record.id)
        build_measure_values(con, catalogue)
        build_indicator_values(con, catalogue)
        build_public_values(con, catalogue)
        build_goal_attainment(con, catalogue, "public")
        build_goal_attainment(con, catalogue, "internal")
        findings = load_findings_spec(catalogue)
        for tier in ("public", "internal"):
            build_findings(con, catalogue, findings, tier)
        publish_public(con, catalogue, base_dir, release)
        write_internal(con, base_dir, release, catalogue)
        if charts:  # the publication products: charts, then profiles and the report that embeds charts
            from pipelines.charts.build import build_charts
            from pipelines.maps.build import build_maps
            from pipelines.profiles.build import build_profiles
            from pipelines.report.build import build_report

            build_charts(con, catalogue, base_dir, release)
            build_maps(con, catalogue, base_dir, release)
            build_profiles(con, catalogue, base_dir, release)
            build_report(con, catalogue, base_dir, release)
    return path
