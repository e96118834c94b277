"""The yearly steering report «Styringsinformasjon <år>»: one self-contained HTML file.

:func:`report_content` gathers what the report says from the warehouse tables (pure data, easy to
test); :func:`write_report` turns it into ``reports/styringsinformasjon_<år>.html`` with the
charts embedded. Neither imports Dagster.
"""

from pipelines.report.content import ReportContent, key_indicators, report_content
from pipelines.report.html import render_html, report_path, write_report

__all__ = ["ReportContent", "key_indicators", "render_html", "report_content", "report_path", "write_report"]
