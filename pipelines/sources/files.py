"""Read a declared CSV source and check it before anything is loaded.

A problem raises :class:`SourceDataError` naming the file, the row (as the line number a
person sees in an editor, header = line 1) and the column, so the analyst can open the file
and fix it. Nothing is dropped silently: either every row loads or the asset fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from pipelines.catalogue.models import Measure, Source
from pipelines.geography.codes import normalise_codes
from pipelines.geography.reference import NATION_CODE
from pipelines.paths import REPO_ROOT

# Every loaded row says where it came from: the file or StatBank table, its vintage (a file's
# content hash; a StatBank table's `updated` time) and whether it is a stale cached copy.
PROVENANCE_COLUMNS = ("source_ref", "vintage", "stale")


def file_provenance(path: Path, shown: str) -> dict[str, object]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"source_ref": f"file:{shown}", "vintage": f"sha256:{digest[:16]}", "stale": False}


class SourceDataError(ValueError):
    """A source file does not match its declaration in ``assets/sources.yaml``."""


def source_path(source: Source, repo_root: Path = REPO_ROOT) -> Path:
    return repo_root / source.path


def read_source(source: Source, measures: list[Measure], repo_root: Path = REPO_ROOT) -> pd.DataFrame:
    """The file's rows with key columns as text and measure columns as numbers.

    Returns columns: the two key columns, every measure column, ``data_origin`` and the
    provenance columns (:data:`PROVENANCE_COLUMNS`).
    """
    path = source_path(source, repo_root)
    shown = source.path
    if not path.exists():
        raise SourceDataError(f"{shown}: file not found (declared by source '{source.id}')")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    code_column, year_column = source.key_columns
    needed = [code_column, year_column, *dict.fromkeys(m.column for m in measures)]
    if source.data_origin == "column":
        needed.append("data_origin")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SourceDataError(
            f"{shown}: missing column(s) {', '.join(missing)}; header has {list(frame.columns)}"
        )

    out = pd.DataFrame(
        {
            code_column: _codes(frame[code_column], shown, code_column, source.geo_level),
            year_column: _integers(frame[year_column], shown, year_column),
        }
    )
    for column in dict.fromkeys(m.column for m in measures):
        out[column] = _numbers(frame[column], shown, column)
    if source.data_origin == "column":
        origins = frame["data_origin"]
        bad = ~origins.isin(["ssb", "file", "synthetic"])
        _raise_at(bad, origins, shown, "data_origin", "expected ssb, file or synthetic")
        out["data_origin"] = origins
    else:
        out["data_origin"] = source.data_origin
    out = out.assign(**file_provenance(path, source.path))

    duplicated = out.duplicated([code_column, year_column], keep=False)
    _raise_at(duplicated, frame[code_column] + "/" + frame[year_column], shown, code_column, "duplicate key")
    return out


def _raise_at(bad: pd.Series, raw: pd.Series, shown: str, column: str, reason: str) -> None:
    if bad.any():
        positions = list(bad[bad].index[:5])
        rows = ", ".join(f"row {p + 2} ({raw.iloc[p]!r})" for p in positions)
        more = f" and {int(bad.sum()) - len(positions)} more" if bad.sum() > len(positions) else ""
        raise SourceDataError(f"{shown}: column '{column}': {reason} at {rows}{more}")


def _codes(raw: pd.Series, shown: str, column: str, level: str) -> pd.Series:
    if level == "kommune":
        codes = normalise_codes(raw)
        _raise_at(codes.isna(), raw, shown, column, "not a municipality number")
        return codes.astype("string")
    text = raw.str.strip()
    if level == "fylke":
        _raise_at(~text.str.fullmatch(r"\d{1,2}"), raw, shown, column, "not a county number")
        return text.str.zfill(2).astype("string")
    _raise_at(text != NATION_CODE, raw, shown, column, f"expected {NATION_CODE} (the nation)")
    return text.astype("string")


def _integers(raw: pd.Series, shown: str, column: str) -> pd.Series:
    bad = ~raw.str.strip().str.fullmatch(r"\d{4}")
    _raise_at(bad, raw, shown, column, "not a four-digit year")
    return raw.astype("int64")


def _numbers(raw: pd.Series, shown: str, column: str) -> pd.Series:
    text = raw.str.strip()
    parsed = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = parsed.isna() & (text != "")
    _raise_at(bad, raw, shown, column, "not a number")
    return parsed.astype("float64")
