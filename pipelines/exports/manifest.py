"""The manifest of a release folder, ``release.json``: what each file holds, where its numbers come
from, under which licence. Generic over whatever files the folder holds. No Dagster here.

Schema 2.0 (``schema_version``)::

    release, built_at (UTC, ISO 8601), content_sha256 (see release.content_digest),
    synthetic (true when any file holds synthetic demo data), notice_nb/notice_en,
    data_origin: the origin codes found in any file (ssb, file, synthetic),
    licence: {id, name, url, credits: [{source, credit_nb, credit_en, data_origin}]},
    files: [{path, bytes, sha256, rows, data_origin}]

Per file, ``rows`` is the row count of a Parquet or CSV file (else null); ``data_origin`` is, for a
table with a ``data_origin`` column, its rows per origin value (rows without one under ``"null"``),
for a JSON file that declares its origins (JSON-stat ``extension.data_origin``) that list, else null.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines.formatting import SYNTHETIC_EN, SYNTHETIC_NB, data_origin_codes

SCHEMA_VERSION = "2.0"
ORIGIN_COLUMN = "data_origin"
NULL_ORIGIN = "null"
SYNTHETIC_NOTICE_NB = f"{SYNTHETIC_NB}."
SYNTHETIC_NOTICE_EN = f"{SYNTHETIC_EN}."


def file_entry(folder: Path, path: Path) -> dict[str, Any]:
    """One file's entry: path relative to the folder (with /), size, SHA-256, rows, data origin."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    rows, origin = _contents(path)
    return {
        "path": path.relative_to(folder).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
        "rows": rows,
        "data_origin": origin,
    }


def _contents(path: Path) -> tuple[int | None, dict[str, int] | list[str] | None]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        rows = pq.read_metadata(path).num_rows
        if ORIGIN_COLUMN not in pq.read_schema(path).names:
            return rows, None
        return rows, _counts(pq.read_table(path, columns=[ORIGIN_COLUMN]).column(ORIGIN_COLUMN))
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            rows = sum(1 for _ in reader)
        if not header or ORIGIN_COLUMN not in header:
            return rows, None
        options = pa_csv.ConvertOptions(include_columns=[ORIGIN_COLUMN])
        return rows, _counts(pa_csv.read_csv(path, convert_options=options).column(ORIGIN_COLUMN))
    if suffix == ".json":
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, None
        declared = document.get("extension", {}).get(ORIGIN_COLUMN) if isinstance(document, dict) else None
        if isinstance(declared, str):
            declared = [declared]
        return None, sorted(declared) if isinstance(declared, list) else None
    return None, None


def _counts(column) -> dict[str, int]:
    counts = pc.value_counts(column).to_pylist()
    return {
        (NULL_ORIGIN if c["values"] is None else str(c["values"])): c["counts"]
        for c in sorted(counts, key=lambda c: (c["values"] is None, str(c["values"])))
    }


def origin_codes(files: list[dict[str, Any]]) -> list[str]:
    """The origin codes (ssb, file, synthetic) found in any file's ``data_origin``."""
    values: set[str] = set()
    for entry in files:
        origin = entry["data_origin"]
        values.update(o for o in (origin or []) if o != NULL_ORIGIN)
    codes: list[str] = []
    for value in sorted(values):
        try:
            codes.extend(data_origin_codes(value))
        except ValueError:
            codes.append(value)  # not ours to judge: listed as found
    return sorted(set(codes))


def build_manifest(
    folder: Path,
    release: str,
    content_sha256: str,
    built_at: str,
    licence: dict[str, Any] | None,
    exclude: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The manifest of ``folder`` (every file except the names in ``exclude``)."""
    paths = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() not in exclude
    )
    files = [file_entry(folder, p) for p in paths]
    origins = origin_codes(files)
    synthetic = "synthetic" in origins
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "release": release,
        "built_at": built_at,
        "content_sha256": content_sha256,
        "synthetic": synthetic,
    }
    if synthetic:
        manifest |= {"notice_nb": SYNTHETIC_NOTICE_NB, "notice_en": SYNTHETIC_NOTICE_EN}
    manifest |= {"data_origin": origins, "licence": licence, "files": files}
    return manifest
