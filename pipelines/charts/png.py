"""PNG files straight from a canvas's pixels: unfiltered scanlines deflated at zlib level 1.

Why not Pillow (measured on a 1169 × 827 profile page): Pillow's PNG writer chooses a filter per
scanline, which takes ~15 ms a page even at ``compress_level=1``; writing the scanlines
unfiltered and deflating them at level 1 takes ~5 ms and gives a smaller file, because our charts
and pages are mostly flat colour, where filters do not help. The deflated scanlines are also
returned (:class:`RasterPage`), for a writer that embeds them unchanged (e.g. in a raster PDF).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_LEVEL = 1


@dataclass(frozen=True)
class RasterPage:
    """One page: its pixel size, its resolution and the PNG's deflated scanlines (IDAT data)."""

    width: int
    height: int
    dpi: float
    idat: bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(pixels: np.ndarray, dpi: float) -> tuple[bytes, RasterPage]:
    """An RGB(A) uint8 array (height, width, 3 or 4) as an RGB PNG, and the page for a PDF.

    Any alpha channel is dropped (the pages are opaque).
    """
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(
            f"expected an (height, width, 3 or 4) uint8 array, got {pixels.shape} {pixels.dtype}"
        )
    height, width, _ = pixels.shape
    # Each scanline starts with its filter type; 0 = none. Copying channel by channel is ~4×
    # faster than reshaping a strided RGB view of the RGBA canvas.
    scanlines = np.empty((height, 1 + width * 3), dtype=np.uint8)
    scanlines[:, 0] = 0
    for channel in range(3):
        scanlines[:, 1 + channel :: 3] = pixels[..., channel]
    idat = zlib.compress(memoryview(scanlines), ZLIB_LEVEL)
    pixels_per_metre = round(dpi / 0.0254)
    png = b"".join(
        [
            PNG_SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1)),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        ]
    )
    return png, RasterPage(width, height, dpi, idat)
