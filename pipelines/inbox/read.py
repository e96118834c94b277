"""Read a dropped CSV or Excel file into a grid of text cells, whatever its encoding and shape.

:func:`read_grid` finds the header row (skipping title lines above it) and returns every data
row as text, with the row number a person sees in the file. It never guesses silently: a file it
cannot read raises :class:`UnreadableFileError`, naming the file and the problem.

CSV
    Encoding: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or without
    one when the NUL bytes leave no doubt (every other byte, on one side only), else
    Windows-1252 when the bytes 0x80–0x9F are all printable characters in it, else ISO-8859-1.
    Separator ``;``, ``,`` or tab, chosen on the header line. Quoted fields, CRLF or LF.
    ``_row`` is the physical line number (the header's line counts; a quoted field spanning two
    lines takes two). Tokenising is pandas' C parser; field counts and line numbers come from a
    vectorised scan of the bytes, so a 100 MB file costs a few seconds.
    ``.gz`` files are decompressed first (``.csv.gz``, ``.tsv.gz``).
xlsx, xlsm
    openpyxl, read-only, cached values, macros never run. Every *visible* sheet with data whose
    header holds the geography column is read, each into its own grid (:func:`read_grids`; one
    sheet per year is common); hidden sheets and cover sheets are skipped and named in
    ``attrs["skipped_sheets"]``. Formula cells without a saved value (a workbook written by a
    program that does not calculate) are refused, naming the cells. Hidden rows are left out and
    listed in ``attrs["hidden_rows"]``. The header is the first row
    whose non-empty cells cover the sheet's width (and hold the geography column, when hints are
    given). A header cell merged across columns over a second header row gives names joined
    with ``_`` ("Startlån" over "antall" → "Startlån_antall"). Numbers become text without float
    noise (1234.0 → "1234"). ``_row`` is the sheet row number.

Besides the header columns, the grid has ``_row`` and ``_fields`` (the number of fields the row
really has, ignoring empty trailing ones; for a sound row it equals the header's width). Facts
about the reading are in ``grid.attrs``: ``format``, ``encoding``, ``separator``, ``decimal``
(``","``, ``"."`` or ``"either"``), ``header_row``, ``header_levels`` (joined two-level names →
(upper, lower)), ``sheet``, ``raw_lines`` ({row: text} for rows whose field count is wrong),
``hidden_rows`` and ``skipped_sheets``.
Rows that are entirely empty are not data rows and are left out.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

SEPARATORS = (";", ",", "\t")
_SEPARATOR_NAMES = {";": "';'", ",": "','", "\t": "tab"}
_SAMPLE_BYTES = 256 * 1024  # header detection looks at the start of the file only
_HEADER_SEARCH_LINES = 80
_LISTED_CELLS = 10  # formula cells named in a message; the rest are counted
_CHUNK = 8 * 1024 * 1024  # bytes scanned at a time (bounds the scan's memory)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_NORDIC = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "ae", "ö": "o", "ü": "u"})
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]")  # UTF-8 for À–ÿ (æ, ø, å, é, …)
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_ROW_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


class UnreadableFileError(ValueError):
    """A dropped file that cannot be read at all; the message names the file and the problem."""

    def __init__(self, file: str | Path, problem: str):
        self.file = Path(file).name
        self.problem = problem
        super().__init__(f"{self.file}: {problem}")

    def __reduce__(self):
        return (type(self), (self.file, self.problem))


def normalise_header(text: object) -> str:
    """A header as a comparable key: trimmed, lower case, æ→ae ø→o å→a, other accents dropped,
    spaces, hyphens and punctuation → ``_`` ("Høy boutgift" → "hoy_boutgift")."""
    folded = unicodedata.normalize("NFC", str(text)).strip().lower().translate(_NORDIC)
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def read_grid(path: Path, *, header_hints: Iterable[str] = (), sheet: str | None = None) -> pd.DataFrame:
    """Every data row of ``path`` as text, plus ``_row`` and ``_fields`` (see the module doc).

    ``header_hints`` are names of which the header row holds at least one (the geography column
    and its aliases); they pick the header where title rows could otherwise be mistaken for it.
    ``sheet`` names the one workbook sheet to read (it must be visible); ignored for text files.
    A workbook with several data sheets is refused here: :func:`read_grids` reads them all.
    """
    grids = read_grids(path, header_hints=header_hints, sheet=sheet)
    if len(grids) > 1:
        names = ", ".join(repr(g.attrs["sheet"]) for g in grids)
        raise UnreadableFileError(
            path, f"has {len(grids)} visible data sheets ({names}); read them with read_grids"
        )
    return grids[0]


def read_grids(
    path: Path, *, header_hints: Iterable[str] = (), sheet: str | None = None
) -> list[pd.DataFrame]:
    """One grid per data sheet of a workbook (in tab order), or the one grid of any other file.

    Each grid's ``attrs["sheet"]`` names its sheet, so its rows can be referred to as
    ``sheet '2023' row 7`` (:func:`row_reference`); ``attrs["skipped_sheets"]`` is the same list
    on every grid of a workbook.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise open_error(path, exc) from exc
    hints = {normalise_header(h) for h in header_hints} - {""}
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFileError(path, f"is not a readable gzip file ({exc})") from exc
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(path, hints, sheet)
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFileError(
            path, "is an Excel 97-2003 workbook (.xls); save it as .xlsx or CSV and drop it again"
        )
    if path.suffix.lower() in (".html", ".htm") or is_html(data):
        return [_read_html(path, data)]
    return [_read_csv(path, data, hints)]


def open_error(path: Path, exc: OSError) -> UnreadableFileError:
    """The error for a dropped file the operating system will not hand over, in words (a raw
    "[Errno 13]" with the server's full path helps nobody who dropped the file)."""
    if isinstance(exc, PermissionError):
        problem = (
            "cannot be read (permission denied): the pipeline is not allowed to open it; "
            "give it read access (or copy the file in again) and it is read on the next run"
        )
    else:
        problem = f"cannot be opened ({exc.strerror or exc})"
    return UnreadableFileError(path, problem)


def row_reference(row: object, sheet: str | None = None) -> str:
    """How messages refer to a file row: ``row 7``, or ``sheet '2023' row 7`` in a workbook whose
    several sheets are read (the same row number exists in each)."""
    return f"sheet {sheet!r} row {row}" if sheet else f"row {row}"


# --------------------------------------------------------------------------------------- CSV


def _read_csv(path: Path, data: bytes, hints: set[str]) -> pd.DataFrame:
    body, encoding = _to_utf8(path, data)
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not body.strip():
        raise UnreadableFileError(path, "is empty (no header, no data)")
    header_line, sep = _find_csv_header(path, body, hints)
    offset = 0
    for _ in range(header_line):
        offset = body.index(b"\n", offset) + 1
    title_lines = body[:offset].decode("utf-8", "replace").splitlines()
    if offset:
        body = body[offset:]
    if not body.endswith(b"\n"):
        body += b"\n"
    starts, lines, fields = _scan(body, sep)
    frame = _tokenise(body, sep, int(fields.max()), len(starts))
    if frame is None:  # pandas and the scan disagree (a stray quote inside a field): go slowly
        frame, lines, fields, starts = _tokenise_python(body, sep)

    header = [str(v).strip() for v in frame.iloc[0].tolist()]
    width = max((i + 1 for i, v in enumerate(header) if v), default=0)
    names = [name or f"column_{i + 1}" for i, name in enumerate(header[:width])]
    _check_names(path, names, f"line {header_line + 1}")

    data_frame = frame.iloc[1:]
    rows = header_line + 1 + lines[1:]
    effective = _effective_fields(data_frame, fields[1:], width)
    keep = ~_all_empty(data_frame)
    grid = data_frame.iloc[:, :width].set_axis(names, axis=1)
    grid = grid.reset_index(drop=True) if keep.all() else grid[keep].reset_index(drop=True)
    grid["_row"] = rows[keep].astype(np.int64)
    grid["_fields"] = effective[keep].astype(np.int64)
    bad = np.flatnonzero((effective != width) & keep) + 1  # record indices (0 is the header)
    raw_lines = {
        int(header_line + 1 + lines[k]): body[starts[k] : _record_end(starts, k, len(body))].decode(
            "utf-8", "replace"
        )
        for k in bad
    }
    grid.attrs.update(
        format="csv",
        encoding=encoding,
        separator=sep,
        decimal="." if sep == "," else ",",
        header_row=header_line + 1,
        header_levels={},
        sheet=None,
        raw_lines=raw_lines,
        hidden_rows={},
        skipped_sheets=[],
        title_lines=title_lines,
    )
    return grid


def _record_end(starts: np.ndarray, k: int, size: int) -> int:
    """Offset of the newline that ends record ``k``."""
    return int(starts[k + 1]) - 1 if k + 1 < len(starts) else size - 1


def _to_utf8(path: Path, data: bytes) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes, and the encoding it was in. Never produces U+FFFD."""
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        bad = _first_non_utf8(body)
        if bad is not None:
            raise UnreadableFileError(
                path,
                f"starts with a UTF-8 byte-order mark but byte {bad + 3} is not UTF-8 (mixed encodings?)",
            )
        _check_text(path, body)
        return body, "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            body = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(path, "starts with a UTF-16 byte-order mark but is not UTF-16") from exc
        _check_text(path, body)
        return body, "utf-16"
    if b"\x00" in data:
        utf16 = _utf16_without_bom(path, data)
        if utf16 is not None:
            return utf16
    _check_text(path, data)
    bad = _first_non_utf8(data)
    if bad is None:
        return data, "utf-8"
    utf8 = _UTF8_LETTER.search(data)  # "æøå" as UTF-8 would read "Ã¦Ã¸Ã¥" in cp1252: never meant
    if utf8:
        utf8_line, bad_line = data.count(b"\n", 0, utf8.start()) + 1, data.count(b"\n", 0, bad) + 1
        raise UnreadableFileError(
            path,
            f"mixes encodings: line {utf8_line} holds UTF-8 text but line {bad_line} has bytes that are "
            "not UTF-8; save the file again as UTF-8",
        )
    encoding = "iso-8859-1"
    if re.search(rb"[\x80-\x9f]", data):
        try:
            data.decode("cp1252")  # strict: 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined
            encoding = "cp1252"
        except UnicodeDecodeError:
            _check_text(path, data, c1_controls=True)
    return data.decode(encoding).encode("utf-8"), encoding


def _utf16_without_bom(path: Path, data: bytes) -> tuple[bytes, str] | None:
    """UTF-16 text saved without its byte-order mark, read when the NUL bytes leave no doubt.

    Text of Latin letters in UTF-16 has a NUL in every other byte (the high byte of æ, ø, å too),
    always on the same side: odd offsets for little-endian, even for big-endian. Random binary
    data has NULs on both sides. A file that looks like UTF-16 but does not decode cleanly is
    refused with the way out; anything else is left to the binary-data check (None)."""
    sample = data[: _SAMPLE_BYTES - _SAMPLE_BYTES % 2]
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0), odd.count(0)
    pairs = len(odd)
    if pairs < 4 or min(even_nul, odd_nul) > 0.01 * pairs or max(even_nul, odd_nul) < 0.5 * pairs:
        return None
    encoding = "utf-16-le" if odd_nul else "utf-16-be"
    advice = "it was saved as UTF-16 without a byte-order mark; save it as «CSV UTF-8» and drop it again"
    if len(data) % 2:
        raise UnreadableFileError(path, f"looks like UTF-16 text but has an odd number of bytes: {advice}")
    try:
        body = data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            path, f"looks like UTF-16 text but does not decode as {encoding}: {advice}"
        ) from exc
    if b"\x00" in body:
        raise UnreadableFileError(path, f"looks like UTF-16 text but holds NUL characters: {advice}")
    _check_text(path, body)
    return body, encoding


def _first_non_utf8(data: bytes) -> int | None:
    """Offset of the first byte that is not UTF-8, or None. Decodes in chunks (no full copy)."""
    if data.isascii():
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return start + exc.start
    return None


_CONTROL = bytes(sorted(set(range(32)) - {9, 10, 12, 13}))
_NOT_CONTROL = bytes(sorted(set(range(256)) - set(_CONTROL)))
_NOT_C1 = bytes(sorted(set(range(256)) - set(range(0x80, 0xA0))))


def _check_text(path: Path, data: bytes, *, c1_controls: bool = False) -> None:
    """Refuse binary content: NUL bytes, or more than 1 % control characters."""
    if b"\x00" in data:
        raise UnreadableFileError(
            path, "does not look like a text file: it contains NUL bytes (binary data?)"
        )
    count = len(data.translate(None, _NOT_CONTROL))  # keeps only the control bytes
    if c1_controls:
        count += len(data.translate(None, _NOT_C1))
    if count > 0.01 * len(data):
        raise UnreadableFileError(
            path, f"does not look like a text file: {count} of {len(data)} bytes are control characters"
        )


def _counts(line: str, sep: str) -> tuple[int, int, list[str]]:
    """(fields, fields up to the last non-empty one, the fields) of one line split on ``sep``."""
    fields = next(csv.reader([line], delimiter=sep), [])
    effective = max((i + 1 for i, f in enumerate(fields) if f.strip()), default=0)
    return len(fields), effective, fields


def _find_csv_header(path: Path, body: bytes, hints: set[str]) -> tuple[int, str]:
    """(physical line index of the header, separator).

    For each separator and each field count n, the lines that *fit* n are counted (n fields,
    or fewer non-empty ones followed by empty trailing fields). The best separator and n are
    those where a fitting line holds a hint (the geography column's name), then the most
    fitting lines, then the larger n. Title lines above the header have far fewer fields, so
    they do not fit; the header is the first line holding a hint, else the first fitting line.
    """
    sample = body[:_SAMPLE_BYTES].decode("utf-8", "ignore")
    lines = sample.split("\n")
    if len(body) > _SAMPLE_BYTES:
        lines = lines[:-1]
    window = [(i, line) for i, line in enumerate(lines) if line.strip()][:_HEADER_SEARCH_LINES]

    def hinted(fields: list[str]) -> bool:
        return bool(hints) and any(normalise_header(f) in hints for f in fields)

    best = None
    for order, sep in enumerate(SEPARATORS):
        counts = [_counts(line, sep) for _, line in window]
        for n in {c for raw, eff, _ in counts for c in (raw, eff) if c >= 2}:
            fitting = [j for j, (raw, eff, _) in enumerate(counts) if 1 <= eff <= n <= raw]
            with_hint = [j for j, (_, eff, fields) in enumerate(counts) if eff >= 2 and hinted(fields)]
            score = (bool(set(fitting) & set(with_hint)), len(fitting), n, -order)
            if best is None or score > best[0]:
                best = (score, sep, fitting, with_hint)
    if best is None:
        raise UnreadableFileError(
            path,
            f"no header row found: none of the first {len(window)} non-blank lines has two or more "
            "fields separated by ';', ',' or tab",
        )
    _, sep, fitting, with_hint = best
    header = with_hint[0] if with_hint and with_hint[0] <= fitting[0] else fitting[0]
    return window[header][0], sep


def _scan(body: bytes, sep: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record (a line, or several when a quoted field spans lines): its start offset, its
    physical line index (0-based) and its number of fields. ``body`` ends with one newline.

    Quotes are followed by parity (``""`` inside a quoted field toggles twice), chunk by chunk,
    so memory stays bounded whatever the file size.
    """
    array = np.frombuffer(body, dtype=np.uint8)
    sep_byte = ord(sep)
    quoted = b'"' in body
    ends, end_lines, seps = [], [], []
    carry = parity = lines_before = 0
    for start in range(0, len(array), _CHUNK):
        chunk = array[start : start + _CHUNK]
        is_newline = chunk == 10
        newlines = np.flatnonzero(is_newline)
        is_sep = chunk == sep_byte
        if quoted:
            inside = np.bitwise_xor.accumulate((chunk == 34).view(np.uint8))
            if parity:
                inside ^= 1
            parity = int(inside[-1])
            outside = inside == 0
            record_newline = np.flatnonzero(outside[newlines])
            is_sep &= outside
            is_end = is_newline & outside
        else:
            record_newline = np.arange(len(newlines))
            is_end = is_newline
        ends.append(newlines[record_newline] + start)
        end_lines.append(record_newline + lines_before)
        lines_before += len(newlines)
        record_of = np.cumsum(is_end, dtype=np.int64)
        local = np.bincount(record_of[np.flatnonzero(is_sep)], minlength=len(record_newline) + 1)
        local[0] += carry
        seps.append(local[:-1])
        carry = int(local[-1])
    end_array = np.concatenate(ends)
    starts = np.concatenate([[0], end_array[:-1] + 1]).astype(np.int64)
    lines = np.concatenate([[0], np.concatenate(end_lines)[:-1] + 1]).astype(np.int64)
    fields = np.concatenate(seps)[: len(starts)].astype(np.int32) + 1
    return starts, lines, fields


def _tokenise(body: bytes, sep: str, width: int, records: int) -> pd.DataFrame | None:
    """pandas' C parser, every field as text; None when its records differ from the scan's."""
    try:
        frame = pd.read_csv(
            io.BytesIO(body),
            sep=sep,
            header=None,
            names=range(width),
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            lineterminator="\n",
            quotechar='"',
            encoding="utf-8",
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        return None
    return frame if len(frame) == records else None


def _tokenise_python(body: bytes, sep: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The csv module's reading, for files the fast path cannot align (rare, small)."""
    text = body.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records, lines, fields = [], [], []
    previous = 0
    for record in reader:
        records.append(record)
        lines.append(previous)
        fields.append(max(len(record), 1))
        previous = reader.line_num
    width = max(fields)
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=str)
    offsets = np.zeros(len(records), dtype=np.int64)
    line_starts = np.concatenate([[0], np.flatnonzero(np.frombuffer(body, np.uint8) == 10) + 1])
    offsets[:] = line_starts[np.asarray(lines)]
    return frame, np.asarray(lines, dtype=np.int64), np.asarray(fields, dtype=np.int64), offsets


def _effective_fields(frame: pd.DataFrame, fields: np.ndarray, width: int) -> np.ndarray:
    """Fields per row, not counting empty ones beyond the header's width (``1;2;3;;``)."""
    fields = np.asarray(fields, dtype=np.int64).copy()
    extra = frame.shape[1] - width
    if extra <= 0:
        return fields
    filled = np.column_stack([frame.iloc[:, width + j].str.strip().ne("").to_numpy() for j in range(extra)])
    any_filled = filled.any(axis=1)
    last = width + extra - np.argmax(filled[:, ::-1], axis=1)
    beyond = fields > width
    fields[beyond] = np.where(any_filled[beyond], last[beyond], width)
    return fields


def _all_empty(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is empty or blank (checked further only where the first is)."""
    empty = np.array(frame.iloc[:, 0].str.strip().eq("").to_numpy(dtype=bool))  # writable copy
    candidates = np.flatnonzero(empty)
    if len(candidates) and frame.shape[1] > 1:
        rest = frame.iloc[candidates, 1:]
        blank = np.ones(len(candidates), dtype=bool)
        for position in range(rest.shape[1]):
            blank &= rest.iloc[:, position].str.strip().eq("").to_numpy(dtype=bool)
        empty[candidates] = blank
    return empty


def _check_names(path: Path, names: list[str], where: str) -> None:
    seen: set[str] = set()
    repeated = [n for n in names if n in seen or seen.add(n)]
    if repeated:
        raise UnreadableFileError(
            path, f"the header ({where}) repeats column name(s) {', '.join(map(repr, repeated))}"
        )


# -------------------------------------------------------------------------------------- xlsx


def _read_xlsx(path: Path, hints: set[str], wanted: str | None = None) -> list[pd.DataFrame]:
    """Every visible data sheet, one grid each (macros in .xlsm are never run: openpyxl reads values).

    Hidden sheets are skipped; so is a visible sheet whose header does not hold a hint (a cover or
    notes sheet) when hints are given. Each skipped sheet is named in ``attrs["skipped_sheets"]``
    with its reason. A contract that names its sheet gets that one only; without hints only the
    first sheet with data is read (there is nothing to tell a data sheet from a cover by). Hidden
    rows are left out of the grid and listed in ``attrs["hidden_rows"]`` ({row: the row's cells
    joined by ';'}) for the caller to account for.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged archive
        raise UnreadableFileError(
            path, f"is not a readable Excel workbook ({type(exc).__name__}: {exc})"
        ) from exc
    skipped: list[str] = []
    found: list[pd.DataFrame] = []
    try:
        titles = [s.title for s in workbook.worksheets]
        if wanted is not None and wanted not in titles:
            raise UnreadableFileError(
                path,
                f"has no sheet {wanted!r}, which its contract names; sheets: {', '.join(map(repr, titles))}",
            )
        for sheet in workbook.worksheets:
            state = getattr(sheet, "sheet_state", "visible") or "visible"
            if wanted is not None and sheet.title != wanted:
                skipped.append(f"sheet {sheet.title!r} skipped: the contract names sheet {wanted!r}")
                continue
            if state != "visible" and wanted is not None:
                problem = f"sheet {wanted!r}, named by its contract, is {state}: hidden sheets are not read"
                raise UnreadableFileError(path, problem)
            if state != "visible":
                skipped.append(f"sheet {sheet.title!r} skipped: it is {state} (hidden sheets are not read)")
                continue
            sheet.reset_dimensions()  # some writers record wrong dimensions; read every row
            rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(min_row=1, values_only=True)]
            sheet_path = getattr(sheet, "_worksheet_path", None)
            xml = _sheet_xml(path, sheet_path)
            if not any(cell.strip() for row in rows for cell in row):
                _refuse_unsaved_formulas(path, sheet.title, xml)  # formulas only, none calculated
                continue
            try:
                grid = _grid_from_rows(
                    path, rows, _merged_ranges(xml), hints, sheet.title, hidden=_hidden_rows(xml),
                )  # fmt: skip
            except UnreadableFileError as exc:
                if not hints:
                    raise
                skipped.append(f"sheet {sheet.title!r} skipped: {exc.problem}")
                continue
            header = grid.columns[:-2]
            if hints and not any(normalise_header(h) in hints for h in header):
                skipped.append(
                    f"sheet {sheet.title!r} skipped: no header row holds the geography column "
                    "(a cover or notes sheet?)"
                )
                continue
            _refuse_unsaved_formulas(path, sheet.title, xml)
            found.append(grid)
            if not hints:
                break
    finally:
        workbook.close()
    if not found:
        why = f" ({'; '.join(skipped)})" if skipped else ""
        raise UnreadableFileError(path, f"has no visible sheet with data{why}")
    for grid in found:
        grid.attrs["skipped_sheets"] = list(skipped)
    return found


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb"\br=\"([A-Z]+\d+)\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_SAVED_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
_STRING_RESULT = re.compile(rb"\bt=\"str\"")


def _refuse_unsaved_formulas(path: Path, title: str, xml: bytes) -> None:
    """Refuse a sheet whose formula cells have no saved result.

    openpyxl reads the value Excel saved with each formula (it never calculates); a workbook
    written by a program (openpyxl itself, many exports) has formulas without one, and they would
    read as empty cells: figures silently missing. Excel writes a value for every formula when it
    saves, so opening and saving the workbook there is the cure. A formula whose saved result is
    an empty text (``t="str"``) is a real value, not a missing one."""
    if b"<f" not in xml and b":f" not in xml:
        return
    missing = []
    for attributes, body in _CELL.findall(xml):
        if body and _FORMULA.search(body) and not _SAVED_VALUE.search(body):
            if _STRING_RESULT.search(attributes):
                continue
            reference = _CELL_REF.search(attributes)
            missing.append(reference.group(1).decode() if reference else "?")
    if missing:
        listed = ", ".join(missing[:_LISTED_CELLS]) + (
            f" and {len(missing) - _LISTED_CELLS} more" if len(missing) > _LISTED_CELLS else ""
        )
        raise UnreadableFileError(
            path,
            f"sheet {title!r}: {len(missing)} formula cell(s) have no saved value ({listed}), so they "
            "would read as empty; open the workbook in Excel, save it, and drop it again",
        )


def _sheet_xml(path: Path, sheet_path: str | None) -> bytes:
    """The sheet's XML (read-only sheets expose neither merges, hidden rows nor formulas)."""
    if not sheet_path:
        return b""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(sheet_path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile):
        return b""


def _hidden_rows(xml: bytes) -> set[int]:
    """Row numbers (1-based) marked hidden in the sheet's XML (read-only sheets do not expose them)."""
    hidden = set()
    for attributes in _ROW_TAG.findall(xml):
        if _ROW_HIDDEN.search(attributes):
            number = _ROW_NUMBER.search(attributes)
            if number:
                hidden.add(int(number.group(1)))
    return hidden


def _cell_text(value: object) -> str:
    """A cell as the text a person reads: 1234.0 → "1234", 0.30000000000000004 → "0.3"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = format(value, ".15g")
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet as (first row, first col, last row, last col), 0-based.

    Read-only worksheets do not expose merges, so they are read from the sheet's XML.
    """
    from openpyxl.utils import column_index_from_string

    return [
        (
            int(r1) - 1,
            column_index_from_string(c1.decode()) - 1,
            int(r2) - 1,
            column_index_from_string(c2.decode()) - 1,
        )
        for c1, r1, c2, r2 in _MERGE_REF.findall(xml)
    ]


def _grid_from_rows(
    path: Path,
    rows: list[list[str]],
    merges: list[tuple[int, int, int, int]],
    hints: set[str],
    sheet: str,
    hidden: set[int] = frozenset(),
) -> pd.DataFrame:
    total = max((len(r) for r in rows), default=0)
    cells = [r + [""] * (total - len(r)) for r in rows]
    for r1, c1, r2, c2 in merges:  # a merged cell's value belongs to the whole range
        value = cells[r1][c1] if r1 < len(cells) and c1 < total else ""
        for r in range(r1, min(r2 + 1, len(cells))):
            for c in range(c1, min(c2 + 1, total)):
                cells[r][c] = value
    header_index = _find_xlsx_header(path, cells, hints)
    upper = [c.strip() for c in cells[header_index]]
    width = max((i + 1 for i, v in enumerate(upper) if v), default=0)
    spanning = [(c1, c2) for r1, c1, r2, c2 in merges if r1 == header_index and c2 > c1 and c1 < width]
    names = upper[:width]
    levels: dict[str, tuple[str, str]] = {}
    data_start = header_index + 1
    if spanning and header_index + 1 < len(cells):
        lower = [c.strip() for c in cells[header_index + 1][:width]]
        for c1, c2 in spanning:
            for c in range(c1, min(c2 + 1, width)):
                if lower[c] and lower[c] != upper[c]:
                    names[c] = f"{upper[c]}_{lower[c]}"
                    levels[names[c]] = (upper[c], lower[c])
        data_start = header_index + 2
    names = [name or f"column_{i + 1}" for i, name in enumerate(names)]
    _check_names(path, names, f"row {header_index + 1}")

    body = cells[data_start:]
    row_numbers = np.arange(data_start + 1, data_start + 1 + len(body), dtype=np.int64)
    last = np.array(
        [max((i + 1 for i, v in enumerate(r) if v.strip()), default=0) for r in body], dtype=np.int64
    )
    keep = last > 0
    is_hidden = np.isin(row_numbers, np.fromiter(hidden, dtype=np.int64)) & keep
    hidden_rows = {int(row_numbers[i]): ";".join(body[i][: last[i]]) for i in np.flatnonzero(is_hidden)}
    keep &= ~is_hidden
    fields = np.where(last > width, last, width)
    grid = pd.DataFrame([r[:width] for r in body], columns=names, dtype=str)
    if grid.empty:
        grid = pd.DataFrame({name: pd.Series(dtype=str) for name in names})
    grid = grid[keep].reset_index(drop=True)
    grid["_row"] = row_numbers[keep]
    grid["_fields"] = fields[keep]
    raw_lines = {
        int(row_numbers[i]): ";".join(body[i][: last[i]]) for i in np.flatnonzero(keep & (last > width))
    }
    grid.attrs.update(
        format="xlsx",
        encoding=None,
        separator=None,
        decimal="either",
        header_row=header_index + 1,
        header_levels=levels,
        sheet=sheet,
        raw_lines=raw_lines,
        hidden_rows=hidden_rows,
        skipped_sheets=[],
        title_lines=[";".join(c.strip() for c in r if c.strip()) for r in cells[:header_index]],
    )
    return grid


def _find_xlsx_header(path: Path, cells: list[list[str]], hints: set[str]) -> int:
    """The first row whose non-empty cells cover the sheet's width and hold a hint (when given)."""
    scanned = [i for i, r in enumerate(cells) if any(c.strip() for c in r)][:_HEADER_SEARCH_LINES]
    filled = {i: [bool(c.strip()) for c in cells[i]] for i in scanned}
    width = max(max((j + 1 for j, f in enumerate(filled[i]) if f), default=0) for i in scanned)

    def has_hint(i: int) -> bool:
        return any(normalise_header(c) in hints for c in cells[i])

    covering = [i for i in scanned if all(filled[i][:width])]
    for i in covering:
        if not hints or has_hint(i):
            return i
    hinted = [i for i in scanned if sum(filled[i]) >= 2 and has_hint(i)]
    if hinted:
        return hinted[0]
    if covering:
        return covering[0]
    most = max(sum(filled[i]) for i in scanned)
    if most >= 2:
        return next(i for i in scanned if sum(filled[i]) == most)
    raise UnreadableFileError(
        path, "no header row found in the first sheet with data (no row has two or more cells)"
    )


# -------------------------------------------------------------------------------------- html


_HTML_MAGIC = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|h\d)\b", re.I | re.S
)
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "caption"}
_HTML_YEAR = (
    re.compile(r"bosettingen\s+i\s+kommunene\s+i\s+(\d{4})", re.I),
    re.compile(r"n(?:ø|o)kkeltall[\s-]+(?:for\s+)?bosetting(?:en)?[\s-]+(?:i\s+)?(\d{4})", re.I),
)
COUNTY_HEADER = "fylke"  # the column an HTML page's section headings become


def year_in_text(text: str) -> int | None:
    """The year a settlement page or file name states («bosettingen i kommunene i 2023»,
    ``nokkeltall-bosetting-2023``), or None."""
    for pattern in _HTML_YEAR:
        match = pattern.search(text)
        if match:
            return int(match[1])
    return None


def is_html(data: bytes) -> bool:
    return bool(_HTML_MAGIC.match(data[:4096].lstrip(b"\xef\xbb\xbf")))


def _read_html(path: Path, data: bytes) -> pd.DataFrame:
    """Every ``<table>`` of a saved web page, one below the other, each row tagged with the heading
    (``<h1>``–``<h6>`` or ``<caption>``) that precedes its table in the column ``fylke``.

    The stdlib's ``html.parser`` is enough: the pages are plain tables (no scripts build them), and
    it tolerates unclosed ``<td>``/``<tr>``. ``_row`` is the line of the ``<tr>`` in the file (what
    "view source" shows). Each table's first row (its ``<th>`` cells, or else its first row) is its
    header; tables are aligned by header name. ``attrs["year"]`` is the year the title or a heading
    states, else the one in the file name.
    """
    from html.parser import HTMLParser

    text = data.decode("utf-8-sig") if _first_non_utf8(data) is None else data.decode("cp1252", "replace")

    class Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tables: list[dict] = []  # {"heading", "rows": [(line, [cells], is_header)]}
            self.heading = ""
            self.texts: list[str] = []  # title and headings, for the year
            self._capture: str | None = None  # "heading", "title", "cell"
            self._buffer: list[str] = []
            self._row: list[str] | None = None
            self._row_line = 0
            self._row_th = True
            self._depth = 0

        def handle_starttag(self, tag, attrs):
            if tag in _HEADING_TAGS or tag == "title":
                self._capture, self._buffer = ("title" if tag == "title" else "heading"), []
            elif tag == "table":
                self._depth += 1
                if self._depth == 1:
                    self.tables.append({"heading": self.heading, "rows": []})
            elif tag == "tr" and self._depth == 1:
                self._end_cell()
                self._end_row()
                self._row, self._row_line, self._row_th = [], self.getpos()[0], True
            elif tag in ("td", "th") and self._depth == 1 and self._row is not None:
                self._end_cell()
                self._row_th &= tag == "th"
                self._capture, self._buffer = "cell", []
            elif tag == "br" and self._capture:
                self._buffer.append(" ")

        def handle_endtag(self, tag):
            if (tag in _HEADING_TAGS or tag == "title") and self._capture in ("heading", "title"):
                words = " ".join("".join(self._buffer).split())
                self.texts.append(words)
                if tag == "caption" and self.tables and self._depth == 1:
                    self.tables[-1]["heading"] = words
                elif self._capture == "heading":
                    self.heading = words
                self._capture = None
            elif tag in ("td", "th"):
                self._end_cell()
            elif tag == "tr":
                self._end_cell()
                self._end_row()
            elif tag == "table" and self._depth:
                if self._depth == 1:
                    self._end_cell()
                    self._end_row()
                self._depth -= 1

        def handle_data(self, chunk):
            if self._capture:
                self._buffer.append(chunk)

        def _end_cell(self):
            if self._capture == "cell" and self._row is not None:
                self._row.append(" ".join("".join(self._buffer).replace("\u00ad", "").split()))
                self._capture = None

        def _end_row(self):
            if self._row is not None:
                if any(self._row):
                    self.tables[-1]["rows"].append((self._row_line, self._row, self._row_th))
                self._row = None

    parser = Tables()
    parser.feed(text)
    parser.close()
    tables = [t for t in parser.tables if t["rows"]]
    if not tables:
        raise UnreadableFileError(path, "is a web page without any table")
    names: list[str] = [COUNTY_HEADER]
    records, lines, fields, raw = [], [], [], {}
    for table in tables:
        (header_line, header, _), body = table["rows"][0], table["rows"][1:]
        header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
        _check_names(path, header, f"the table at line {header_line}")
        names += [h for h in header if h not in names]
        for line, cells, _ in body:
            record = {COUNTY_HEADER: table["heading"], **dict(zip(header, cells, strict=False))}
            records.append(record)
            lines.append(line)
            fields.append(None if len(cells) == len(header) else len(cells) + 1)
            if len(cells) != len(header):
                raw[line] = ";".join(cells)
    grid = pd.DataFrame.from_records(records, columns=names).fillna("").astype(str)
    grid["_row"] = np.asarray(lines, dtype=np.int64)
    grid["_fields"] = np.asarray([len(names) if f is None else f for f in fields], dtype=np.int64)
    year = next((y for y in map(year_in_text, parser.texts) if y), None) or year_in_text(path.name)
    grid.attrs.update(
        format="html",
        encoding="utf-8",
        separator=None,
        decimal="either",
        header_row=tables[0]["rows"][0][0],
        header_levels={},
        sheet=None,
        raw_lines=raw,
        hidden_rows={},
        skipped_sheets=[],
        year=year,
    )
    return grid
