"""Small previews of rendered images for the Dagster UI's asset metadata.

The UI renders Markdown metadata, including images given as data URIs, and keeps every
materialisation's metadata in the event log for good. A full-size chart there would bloat the
run storage, so a preview is a thumbnail with a hard size cap: it is shrunk until it fits, and
replaced by a plain note if it cannot.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

PREVIEW_MAX_BYTES = 24_000  # per image, after base64: the cap on what one preview adds to the event log
PREVIEW_WIDTHS = (360, 280, 200, 140)  # px, tried in turn until the thumbnail fits the cap


def thumbnail_png(path: Path, max_bytes: int = PREVIEW_MAX_BYTES) -> bytes | None:
    """A PNG thumbnail of ``path`` whose base64 form is at most ``max_bytes``; None if none fits."""
    from PIL import Image  # only the chart and profile steps need Pillow, not every Dagster process

    with Image.open(path) as image:
        image.load()
        source = image.convert("RGB")
    for width in PREVIEW_WIDTHS:
        thumb = source.copy()
        thumb.thumbnail((width, width * 4))
        # A 64-colour palette keeps charts' flat colours and text legible at a fraction of the bytes.
        thumb = thumb.quantize(colors=64)
        buffer = io.BytesIO()
        thumb.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
        if len(base64.b64encode(data)) <= max_bytes:
            return data
    return None


def preview_markdown(paths: list[Path], max_bytes: int = PREVIEW_MAX_BYTES) -> str:
    """Markdown with a thumbnail and the full path of each image (a note where none fits)."""
    parts = []
    for path in paths:
        data = thumbnail_png(path, max_bytes)
        if data is None:
            parts.append(f"*(no preview: {path.name} does not shrink below {max_bytes} bytes)*  \n`{path}`")
        else:
            encoded = base64.b64encode(data).decode("ascii")
            parts.append(f"![{path.name}](data:image/png;base64,{encoded})  \n`{path}`")
    return "\n\n".join(parts)
