"""Read a pipeline output's public release and write the handbook as Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue, load_catalogue
from pipelines.exports.public import LATEST_DIR
from pipelines.handbook.content import build_document
from pipelines.handbook.document import render_html, render_markdown
from pipelines.paths import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
MARKDOWN_NAME = "indikatorer.md"
HTML_NAME = "indikatorer.html"
VALUES_FILE = "indicator_values.parquet"
# Only what the handbook needs from the public table (never the internal tier).
COLUMNS = [
    "indicator_id",
    "geo_level",
    "geo_code",
    "geo_name",
    "is_headline",
    "year",
    "target_group",
    "value",
    "status",
    "data_origin",
    "is_estimate",
    "preliminary",
    "stale",
    "units_reported",
    "units_total",
    "unit_level",
]


class ReleaseMissingError(FileNotFoundError):
    """The output folder holds no public release to read the latest values from."""


def public_values_path(base: Path) -> Path:
    return base / LATEST_DIR / VALUES_FILE


def read_public_values(base: Path) -> pd.DataFrame:
    """The public indicator values of the latest release under ``base``, or a clear error."""
    path = public_values_path(base)
    if not path.is_file():
        raise ReleaseMissingError(
            f"No public release found: {path} does not exist. Run `make run` first (it materialises the "
            "pipeline and publishes exports/public/latest), or pass the output folder of a pipeline run "
            "(default: BOLIG_OUTPUT_DIR, else data/)."
        )
    return pd.read_parquet(path, columns=COLUMNS)


def render_handbook(catalogue: Catalogue, values: pd.DataFrame) -> dict[str, str]:
    """File name → text of both formats, built from one document."""
    document = build_document(catalogue, values)
    return {MARKDOWN_NAME: render_markdown(document), HTML_NAME: render_html(document)}


def write_handbook(base: Path, out_dir: Path = DOCS_DIR, catalogue: Catalogue | None = None) -> list[Path]:
    """Write docs/indikatorer.md and docs/indikatorer.html from the release under ``base``, and the
    maps they show in docs/kart/ (returns the two documents)."""
    from pipelines.handbook.maps import write_map_images

    values = read_public_values(base)
    catalogue = catalogue or load_catalogue()
    texts = render_handbook(catalogue, values)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        written.append(path)
    write_map_images(catalogue, values, out_dir)
    return written
