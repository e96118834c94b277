"""The steering report from the warehouse's public tables (what the asset and `direct` call)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.catalogue import Catalogue
from pipelines.charts.files import chart_path
from pipelines.findings.spec import load_findings_spec
from pipelines.maps.files import read_index
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.report.content import ReportContent, key_indicators, report_content
from pipelines.report.findings_section import read_findings, section_bodies
from pipelines.report.html import png_data_uri, write_report
from pipelines.report.maps_section import maps_section_body
from pipelines.report.regions_section import read_regions, regions_section_body


def build_report(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> tuple[Path, ReportContent, dict[str, Path]]:
    """Write the report for the latest year with national values, embedding the national trend
    charts the chart step drew for the indicators with targets and one map per main goal from the
    map step, the evaluation's findings and the 2018 priorities, and a page per statsforvalter
    region, from the release; returns (path, content, charts)."""
    values = con.execute(f'SELECT * FROM "{PUBLIC_TABLE}"').df()
    attainment = con.execute("SELECT * FROM goal_attainment").df()
    rollup = con.execute("SELECT * FROM goal_rollup").df()
    content = report_content(values, attainment, rollup, catalogue)
    # an indicator without a single published figure has no chart (see render_indicator_charts)
    charts = {i: path for i in key_indicators(catalogue) if (path := chart_path(base_dir, i)).exists()}
    maps = maps_section_body(
        catalogue, read_index(base_dir), base_dir, png_data_uri, key_indicators(catalogue)
    )
    findings = load_findings_spec(catalogue)
    bodies = section_bodies(read_findings(con, values), findings, catalogue, base_dir, release, png_data_uri)
    bodies["regioner"] = regions_section_body(read_regions(con, values), catalogue)
    return write_report(content, charts, base_dir, release, maps, bodies), content, charts
