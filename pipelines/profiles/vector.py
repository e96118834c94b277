"""County print files: one vector PDF per county, one A4 landscape page per municipality.

Why this way: matplotlib's PDF backend draws the very figure the PNG shows
(:class:`~pipelines.profiles.page.ProfilePage`, without its raster shortcuts) as vector paths
and real text, and with ``pdf.fonttype: 42`` it embeds the fonts as TrueType subsets, so the
text can be selected, searched, copied and read aloud, and prints sharp at any size. matplotlib
has no setting for the document language, so the finished file is passed once through
``pypdf`` (a maintained, pure-Python PDF library), which sets ``/Lang`` on the document catalogue
and asks viewers to show the title rather than the file name (``/DisplayDocTitle``).

Vector pages cost far more than the raster pages did (each page's text and paths are written
out), which is why the county PDFs are their own asset that the yearly schedule runs and a quick
``make run`` skips (see ``pipelines/profiles/assets.py``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from pipelines.atomic import write_bytes_atomic
from pipelines.charts import style
from pipelines.formatting import SYNTHETIC_NB
from pipelines.profiles.page import ProfilePage

LANGUAGE = "nb-NO"
AUTHOR = "Boligsosiale indikatorer (kommuneprofiler)"
SUBJECT = "Nøkkelindikatorer for hver kommune i fylket, mot fylket og landet, med endring og framgang mot mål"
# TrueType fonts embedded as subsets (matplotlib's default, 3, is Type 3: outlines some readers
# cannot map back to text reliably).
PDF_RC = {"pdf.fonttype": 42}


def write_county_pdf(
    path: Path,
    page: ProfilePage,
    municipalities: Iterable[Mapping[str, Sequence]],
    *,
    title: str,
    synthetic: bool = True,
) -> Path:
    """Draw one page per municipality (its ``UPDATE_COLUMNS``, as for
    :meth:`ProfilePage.update_columns`) into a vector PDF (language and title set) at ``path``."""
    if page.blit:
        raise ValueError("a vector page must be drawn in full: build the ProfilePage with blit=False")
    subject = f"{SUBJECT}. {SYNTHETIC_NB}." if synthetic else f"{SUBJECT}."
    metadata = {"Title": title, "Author": AUTHOR, "Subject": subject, "CreationDate": None}
    drawn = io.BytesIO()
    n_pages = 0
    with style.house_style(), matplotlib.rc_context(PDF_RC), PdfPages(drawn, metadata=metadata) as pdf:
        for columns in municipalities:
            page.update_columns(columns)
            pdf.savefig(page.fig)
            n_pages += 1
    if not n_pages:
        raise ValueError("a county PDF needs at least one municipality")

    writer = PdfWriter(clone_from=PdfReader(drawn))
    writer.root_object[NameObject("/Lang")] = TextStringObject(LANGUAGE)
    writer.create_viewer_preferences().display_doctitle = True
    out = io.BytesIO()
    writer.write(out)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, out.getvalue())
    return path
