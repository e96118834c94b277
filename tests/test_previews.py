"""Image previews in Dagster metadata stay small: a size cap, and a note instead of a large image."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.previews import preview_markdown, thumbnail_png


def _busy_png(path: Path, size: tuple[int, int] = (1200, 800)) -> Path:
    """A chart-sized PNG full of noise: the worst case for compression."""
    pixels = np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_thumbnail_fits_the_cap_and_is_a_smaller_png(tmp_path: Path) -> None:
    source = _busy_png(tmp_path / "busy.png")
    data = thumbnail_png(source, max_bytes=60_000)
    assert data is not None and len(base64.b64encode(data)) <= 60_000
    with Image.open(io.BytesIO(data)) as thumb:
        assert thumb.format == "PNG" and thumb.width <= 360 and thumb.width < 1200


def test_no_preview_when_nothing_fits_the_cap(tmp_path: Path) -> None:
    source = _busy_png(tmp_path / "busy.png")
    assert thumbnail_png(source, max_bytes=500) is None
    markdown = preview_markdown([source], max_bytes=500)
    assert "data:image" not in markdown and "no preview" in markdown and str(source) in markdown


def test_markdown_has_a_data_uri_and_the_full_path(tmp_path: Path) -> None:
    image = Image.new("RGB", (800, 500), "white")
    image.paste((0, 114, 178), (100, 100, 700, 400))
    source = tmp_path / "flat.png"
    image.save(source)
    markdown = preview_markdown([source])
    assert markdown.startswith("![flat.png](data:image/png;base64,") and f"`{source}`" in markdown
    encoded = markdown.split("base64,", 1)[1].split(")", 1)[0]
    assert len(encoded) <= 24_000 and base64.b64decode(encoded)[:8] == b"\x89PNG\r\n\x1a\n"
