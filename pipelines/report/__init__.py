"""The yearly steering report «Styringsinformasjon <år>»: one self-contained HTML file.

:func:`report_content` gathers what the report says from the warehouse tables (pure data, easy to
test); :func:`write_report` turns it into ``reports/styringsinformasjon_<år>.html`` with the
charts embedded. Neither imports Dagster.
"""

from __future__ import annotations

import importlib

# Loaded on first use: the Dagster asset in pipelines.report.assets is imported by every Dagster
# process, and only the report step needs these modules. (They no longer load matplotlib: the
# numbers come from pipelines.formatting and the chart files are found by pipelines.charts.files.)
_EXPORTS = {
    "ReportContent": "content",
    "key_indicators": "content",
    "report_content": "content",
    "render_html": "html",
    "report_path": "html",
    "write_report": "html",
}


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pipelines.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pipelines.report.{_EXPORTS[name]}"), name)


__all__ = ["ReportContent", "key_indicators", "render_html", "report_content", "report_path", "write_report"]
