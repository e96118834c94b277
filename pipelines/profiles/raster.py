"""Write the rendered pages fast: PNG files, and PDF files whose pages are those same PNGs.

Why not Pillow or matplotlib for this (measured on a 1169 × 827 profile page, 2024 data):

- Pillow's PNG writer chooses a filter per scanline, which is slow here; the PNGs are written
  by :func:`pipelines.charts.png.encode_png` instead (unfiltered, zlib level 1).
- A vector PDF through matplotlib's ``PdfPages`` costs ~120 ms a page (357 pages: ~40 s of CPU)
  and Pillow's PDF writer stores RGB pages as JPEG (blurred text). A PDF can instead carry the
  PNG's own compressed data unchanged (``/FlateDecode`` with the PNG predictor), so each PDF
  page costs nothing beyond copying bytes and stays lossless. The pages are raster images at the
  PNG's resolution; the PNGs are what the web shows, and the PDFs are for printing a county.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.charts.png import RasterPage, encode_png

__all__ = ["RasterPage", "encode_png", "write_pdf"]


def write_pdf(path: Path, pages: Sequence[RasterPage], *, title: str = "") -> Path:
    """A PDF with one page per image, each page the image's size at its resolution."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)  # object numbers start at 1

    catalog = add(b"")  # filled in below, once the page tree's number is known
    info = add(b"<< /Title " + _pdf_string(title) + b" /Producer (pipelines.profiles) >>")
    page_tree = add(b"")
    kids = []
    for page in pages:
        w_pt, h_pt = page.width * 72 / page.dpi, page.height * 72 / page.dpi
        image = add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 3 "
            b"/BitsPerComponent 8 /Columns %d >> /Length %d >>\nstream\n"
            % (page.width, page.height, page.width, len(page.idat))
            + page.idat
            + b"\nendstream"
        )
        drawing = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        content = add(b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (page_tree, w_pt, h_pt, content, image)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def _pdf_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with byte-order mark, so æ, ø and å survive."""
    data = b"\xfe\xff" + text.encode("utf-16-be")
    return b"<" + data.hex().encode("ascii") + b">"
