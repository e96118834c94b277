"""The indicator handbook (docs/indikatorer.md and .html), generated from the catalogue in ``assets/``
and the latest national values of a pipeline output's public release.

Regenerate with ``python -m pipelines.handbook [output folder]``.
"""

from pipelines.handbook.build import (
    DOCS_DIR,
    HTML_NAME,
    MARKDOWN_NAME,
    ReleaseMissingError,
    read_public_values,
    render_handbook,
    write_handbook,
)

__all__ = [
    "DOCS_DIR",
    "HTML_NAME",
    "MARKDOWN_NAME",
    "ReleaseMissingError",
    "read_public_values",
    "render_handbook",
    "write_handbook",
]
