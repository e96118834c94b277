"""Load the files dropped in ``data/inbox/<source>/`` into the warehouse, losing nothing.

Every row read is either loaded into ``inbox_values`` or written to ``quarantine`` with the file,
row, column, raw value and a reason. Values are stored as reported: the municipality codes and years
of the file (each code checked to exist on 1 January of its year, not mapped); a blank cell is not
stored, so it never erases a value. Files are fingerprinted: dropping the same file again changes
nothing; a changed file replaces exactly its own earlier values (those it no longer contains are
removed). Two files of a source giving different values for one municipality × year × column
conflict: the cell is quarantined in both, naming both files, until one is corrected; equal values
are loaded once, both files named as provenance. Staging (:mod:`pipelines.staging.measures`)
harmonises the stored values to the pipeline's borders — the one place that does — and lets them
override the source's base values (its bundled file or StatBank table) for the keys they cover.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.contracts import Contract, RecordSource
from pipelines.inbox.guide import GUIDE_NAME
from pipelines.paths import DATA_DIR
from pipelines.warehouse import transaction

INBOX_ENV = "BOLIG_INBOX_DIR"
FILE_SUFFIXES = {".csv", ".txt", ".tsv", ".csv.gz", ".tsv.gz", ".txt.gz", ".xlsx", ".xlsm", ".html", ".htm"}
RECORD_SUFFIXES = {".parquet", ".csv"}
REFUSED_SUFFIXES = {
    ".xls": "is an Excel 97-2003 workbook (.xls), not read; save it as .xlsx or CSV and drop it again",
    ".xlsb": "is a binary Excel workbook (.xlsb), which is not read; save it as .xlsx or CSV",
    ".ods": "is an OpenDocument spreadsheet, which is not read; save it as .xlsx or CSV",
}
STATUS_SUFFIX = "__status"
CONFLICT = "conflicting files"  # how a quarantine reason for two files' different values begins
VALUE_COLUMNS = ["source_id", "geo_level", "geo_code", "year", "column_name", "value", "status", "file",
                 "fingerprint", "is_estimate", "file_row", "vintage", "file_sheet"]  # fmt: skip
QUARANTINE_COLUMNS = ["source_id", "file", "row", "column", "raw_value", "reason", "processed_at", "sheet"]

DDL = """
CREATE TABLE IF NOT EXISTS inbox_files (
    source_id VARCHAR, file VARCHAR, fingerprint VARCHAR, processed_at VARCHAR, layout VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT);
CREATE TABLE IF NOT EXISTS inbox_values (
    source_id VARCHAR, geo_level VARCHAR, geo_code VARCHAR, year INTEGER, column_name VARCHAR,
    value DOUBLE, status VARCHAR, file VARCHAR, fingerprint VARCHAR, is_estimate BOOLEAN, file_row BIGINT);
CREATE TABLE IF NOT EXISTS quarantine (
    source_id VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR, raw_value VARCHAR, reason VARCHAR,
    processed_at VARCHAR);
ALTER TABLE inbox_files ADD COLUMN IF NOT EXISTS vintage VARCHAR;
ALTER TABLE inbox_values ADD COLUMN IF NOT EXISTS vintage VARCHAR;
ALTER TABLE inbox_values ADD COLUMN IF NOT EXISTS file_sheet VARCHAR;
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS sheet VARCHAR;
"""
# vintage: the export date a file states (its name or an «Eksportert …» line), else NULL and the
# fingerprint stands for it. file_sheet / sheet: the workbook sheet of the row, set when a workbook
# has several data sheets read (row 7 exists in each), else NULL


def inbox_dir() -> Path:
    configured = os.environ.get(INBOX_ENV)
    return Path(configured) if configured else DATA_DIR / "inbox"


@dataclass
class FileReport:
    file: str
    status: str  # loaded | unchanged | skipped (not read, see reason) | unreadable (see reason)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str = ""  # why a file was skipped or could not be read
    notes: list[str] = field(default_factory=list)  # e.g. the workbook sheets that were skipped
    vintage: str | None = None  # the export date the file states (YYYY-MM-DD), if any
    # headers neither mapped to a contract column nor a key; a note names them too
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    source_id: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "unreadable"]

    def warnings(self) -> list[str]:
        """One line per file not read (skipped or unreadable) and per note, naming the file."""
        lines = [f"{f.file}: {f.status}: {f.reason}" for f in self.files if f.reason]
        return lines + [f"{f.file}: {note}" for f in self.files for note in f.notes]

    def as_metadata(self) -> dict[str, dict[str, object]]:
        metadata: dict[str, dict[str, object]] = {}
        for f in self.files:
            entry: dict[str, object] = {"status": f.status}
            if f.status in ("loaded", "unchanged"):
                entry |= {"read": f.rows_read, "loaded": f.rows_loaded, "quarantined": f.rows_quarantined}
            if f.reason:
                entry["reason"] = f.reason
            if f.vintage:
                entry["vintage"] = f.vintage
            if f.notes:
                entry["notes"] = list(f.notes)
            if f.unknown_columns:
                entry["unknown_columns"] = list(f.unknown_columns)
            metadata[f.file] = entry
        return metadata


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    # warehouses made before values kept their file row (to name it when two files conflict)
    con.execute("ALTER TABLE inbox_values ADD COLUMN IF NOT EXISTS file_row BIGINT")


def skip_reason(path: Path, suffixes: set[str]) -> str | None:
    """Why ``path`` (an entry of an inbox folder) is not read, or None when it is to be read.

    Decided by name and kind only, one rule for contract and record folders: Excel and LibreOffice
    lock files and dot files, links that lead nowhere, folders, refused and unknown file types.
    """
    name = path.name
    if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
        return "an Office lock file (the file is open in Excel or LibreOffice), not data"
    if name.startswith("."):
        return "a hidden file (its name starts with '.'), not read"
    if path.is_symlink() and not path.exists():
        return f"a link to {os.readlink(path)!s}, which does not exist"
    if path.is_dir():
        return "a folder; files in sub-folders are not read"
    if not path.is_file():
        return "not a regular file"
    lower = name.lower()
    if any(lower.endswith(s) for s in suffixes):
        return None
    suffix = "".join(path.suffixes[-2:]).lower() if lower.endswith(".gz") else path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        return REFUSED_SUFFIXES[suffix]
    return f"file type {suffix or '(none)'!r} is not read (expected one of {', '.join(sorted(suffixes))})"


def inbox_listing(folder: Path, suffixes: set[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """(files to read, [(name, reason)] for every other entry of ``folder``), both by name."""
    if not folder.exists():
        return [], []
    files, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name == GUIDE_NAME:
            continue  # the folder's own guide (pipelines/inbox/guide.py), written by the pipeline
        reason = skip_reason(path, suffixes)
        if reason is None:
            files.append(path)
        else:
            skipped.append((path.name, reason))
    return files, skipped


def dropped_files(folder: Path, suffixes: set[str]) -> list[Path]:
    return inbox_listing(folder, suffixes)[0]


def content_fingerprint(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _already_processed(con: duckdb.DuckDBPyConnection, source_id: str, file: str, fingerprint: str) -> bool:
    rows = con.execute(
        "SELECT 1 FROM inbox_files WHERE source_id = ? AND file = ? AND fingerprint = ?",
        [source_id, file, fingerprint],
    ).fetchall()
    return bool(rows)


def _long_as_reported(loaded: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Loaded rows (geo_code, year, columns, <column>__status) as long rows, codes and years as
    reported; staging harmonises them, so that borders are mapped in one stage only."""
    present = [c for c in columns if c in loaded.columns]
    if loaded.empty or not present:
        return pd.DataFrame(
            columns=["geo_code", "year", "column_name", "value", "status", "is_estimate", "file_row",
                     "file_sheet"]
        )  # fmt: skip
    loaded = loaded.assign(file_row=loaded.get("_row", -1), file_sheet=loaded.get("_sheet"))
    ids = ["geo_code", "year", "file_row", "file_sheet"]
    values = loaded.melt(id_vars=ids, value_vars=present, var_name="column_name")
    # The same melt over the status columns lines up row for row with the values.
    statuses = pd.DataFrame(
        {c: loaded.get(f"{c}{STATUS_SUFFIX}") for c in present}, index=loaded.index, dtype="object"
    )
    values["status"] = statuses.melt(value_vars=present)["value"].to_numpy()
    # A blank cell reports nothing: not stored, so it never erases another file's or source's value.
    values = values[values["value"].notna() | values["status"].notna()]
    # A reported value is never an estimate; staging flags the ones it apportions over a split.
    return values.assign(is_estimate=False)


def _replace_keys(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    geo_level: str,
    long: pd.DataFrame,
    quarantine: pd.DataFrame,
    report: FileReport,
    fingerprint: str,
    layout: str,
    vintage: str | None = None,
) -> None:
    """In one transaction: the file's keys replaced, its quarantine replaced, the file recorded."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    values = long.assign(
        source_id=source_id, geo_level=geo_level, file=report.file, fingerprint=fingerprint, vintage=vintage
    )
    values = values[VALUE_COLUMNS].astype(
        {
            "geo_code": str,
            "year": "int64",
            "value": "float64",
            "status": "object",
            "file_row": "int64",
            "vintage": "object",
            "file_sheet": "object",
        }  # fmt: skip
    )
    quarantine = quarantine.assign(
        source_id=source_id, file=report.file, processed_at=now, sheet=quarantine.get("sheet")
    )[QUARANTINE_COLUMNS].astype(
        {"row": "int64", "raw_value": "object", "column": "object", "reason": "object", "sheet": "object"}
    )
    con.register("_new_values", values)
    con.register("_new_quarantine", quarantine)
    try:
        with transaction(con):
            # the file's own earlier values go, whatever keys they had; other files' values stay
            con.execute("DELETE FROM inbox_values WHERE source_id = ? AND file = ?", [source_id, report.file])
            con.execute(f"INSERT INTO inbox_values ({', '.join(VALUE_COLUMNS)}) SELECT * FROM _new_values")
            con.execute("DELETE FROM quarantine WHERE source_id = ? AND file = ?", [source_id, report.file])
            con.execute(
                f"INSERT INTO quarantine ({', '.join(map(_quoted, QUARANTINE_COLUMNS))}) "
                "SELECT * FROM _new_quarantine"
            )
            con.execute("DELETE FROM inbox_files WHERE source_id = ? AND file = ?", [source_id, report.file])
            con.execute(
                "INSERT INTO inbox_files (source_id, file, fingerprint, processed_at, layout, rows_read, "
                "rows_loaded, rows_quarantined, vintage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source_id, report.file, fingerprint, now, layout, report.rows_read, report.rows_loaded,
                 report.rows_quarantined, vintage],
            )  # fmt: skip
    finally:
        con.unregister("_new_values")
        con.unregister("_new_quarantine")


def _quoted(name: str) -> str:
    return f'"{name}"'


# How the conflict message refers to a stored value's row: "row 7", or "sheet '2023' row 7" (as
# pipelines.inbox.read.row_reference words it) when its workbook had several data sheets.
_ROW_REFERENCE = (
    "CASE WHEN {t}.file_sheet IS NULL THEN 'row ' ELSE 'sheet ' || chr(39) || {t}.file_sheet || chr(39) "
    "|| ' row ' END || coalesce(CAST({t}.file_row AS VARCHAR), '?')"
)


def _settle_conflicts(con: duckdb.DuckDBPyConnection, source_id: str, report: IngestReport) -> None:
    """Quarantine, in every file concerned, each cell whose municipality × year × column another file
    of the source (or another sheet of the same workbook) gives a different value (or SSB symbol),
    naming both files and rows (and sheets); the values stay
    stored (staging leaves such keys out), so correcting either file ends the conflict. Recomputed
    after every run from the stored values, so it never depends on the order files were read in.
    A contract file's counts are recounted: a row with a conflicting cell counts as quarantined."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    row_a, row_b = _ROW_REFERENCE.format(t="a"), _ROW_REFERENCE.format(t="b")
    with transaction(con):
        con.execute(
            "DELETE FROM quarantine WHERE source_id = ? AND starts_with(reason, ?)", [source_id, CONFLICT]
        )
        con.execute(
            f"""
            INSERT INTO quarantine (source_id, file, "row", "column", raw_value, reason, processed_at, sheet)
            SELECT a.source_id, a.file, coalesce(a.file_row, -1), a.column_name,
                   coalesce(CAST(a.value AS VARCHAR), a.status),
                   '{CONFLICT}: ' || a.column_name || ' of ' || a.geo_code || ' in ' || a.year || ' is '
                   || coalesce(CAST(a.value AS VARCHAR), a.status) || ' in ' || a.file || ' ('
                   || {row_a} || ') but '
                   || string_agg(coalesce(CAST(b.value AS VARCHAR), b.status) || ' in ' || b.file || ' ('
                                 || {row_b} || ')', ', '
                                 ORDER BY b.file, b.file_sheet)
                   || '; not loaded: correct or remove one of the '
                   || CASE WHEN bool_and(a.file = b.file) THEN 'sheets' ELSE 'files' END, ?, a.file_sheet
            FROM inbox_values a JOIN inbox_values b
              ON a.source_id = b.source_id AND a.geo_code = b.geo_code AND a.year = b.year
             AND a.column_name = b.column_name
             AND (a.file <> b.file OR a.file_sheet IS DISTINCT FROM b.file_sheet)
            WHERE a.source_id = ?
              AND (a.value IS DISTINCT FROM b.value OR a.status IS DISTINCT FROM b.status)
            GROUP BY a.source_id, a.file, a.file_sheet, a.file_row, a.column_name, a.geo_code, a.year,
                     a.value, a.status
            """,
            [now, source_id],
        )
        con.execute(
            """
            UPDATE inbox_files f SET rows_quarantined = q.n, rows_loaded = f.rows_read - q.n
            FROM (SELECT f2.file, count(DISTINCT coalesce(q2.sheet, '') || ':' || q2."row")
                                  FILTER (WHERE q2."row" IS NOT NULL) AS n
                  FROM inbox_files f2 LEFT JOIN quarantine q2
                    ON q2.source_id = f2.source_id AND q2.file = f2.file
                  WHERE f2.source_id = ? AND f2.layout <> 'records' GROUP BY f2.file) q
            WHERE f.source_id = ? AND f.file = q.file
            """,
            [source_id, source_id],
        )
    counts = {
        file: (loaded, quarantined)
        for file, loaded, quarantined in con.execute(
            "SELECT file, rows_loaded, rows_quarantined FROM inbox_files WHERE source_id = ?", [source_id]
        ).fetchall()
    }
    for file_report in report.files:
        if file_report.status == "loaded" and file_report.file in counts:
            file_report.rows_loaded, file_report.rows_quarantined = counts[file_report.file]


def pipeline_years(catalogue: Catalogue, source_id: str) -> tuple[int, int]:
    """The pipeline's years (``assets/settings.yaml``) as years of a source's files (a measure may take
    year Y from the file's Y + ``year_offset``): a value of another year would be stored and never
    published, so it is quarantined at ingest instead."""
    offsets = [m.year_offset for m in catalogue.measures_of(source_id)] or [0]
    settings = catalogue.settings
    return settings.first_year + min(offsets), settings.last_year + max(offsets)


def ingest_contract(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, contract: Contract, folder: Path
) -> IngestReport:
    """Validate and load every file in ``folder`` against ``contract``."""
    from pipelines.inbox.read import UnreadableFileError, open_error
    from pipelines.inbox.validate import validate_file  # the reader pulls in openpyxl: import lazily

    ensure_tables(con)
    report = IngestReport(contract.source)
    columns = [c.name for c in contract.columns]
    years = pipeline_years(catalogue, contract.source)  # a row of another year is quarantined
    files, skipped = inbox_listing(folder, FILE_SUFFIXES)
    report.files.extend(FileReport(name, "skipped", reason=reason) for name, reason in skipped)
    for path in files:
        try:
            fingerprint = content_fingerprint(path)
        except OSError as exc:  # e.g. permission denied: named in words, the other files still read
            report.files.append(FileReport(path.name, "unreadable", reason=open_error(path, exc).problem))
            continue
        if _already_processed(con, contract.source, path.name, fingerprint):
            report.files.append(FileReport(path.name, "unchanged"))
            continue
        try:
            result = validate_file(path, contract, years=years)
        except UnreadableFileError as exc:  # the other files are still read; the caller fails after
            report.files.append(FileReport(path.name, "unreadable", reason=exc.problem))
            continue
        file_report = FileReport(
            path.name,
            "loaded",
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded if result.rows_loaded is not None else len(result.loaded),
            rows_quarantined=(
                result.rows_quarantined
                if result.rows_quarantined is not None
                else int(result.quarantine["row"].nunique())
                if len(result.quarantine)
                else 0
            ),
            notes=[*(result.reading.get("skipped_sheets") or []), *result.notes],
            vintage=result.reading.get("vintage"),
            unknown_columns=list(result.ignored_columns),
        )
        long = _long_as_reported(result.loaded, columns)
        _replace_keys(
            con,
            contract.source,
            contract.geo_level,
            long,
            result.quarantine,
            file_report,
            fingerprint,
            result.layout,
            result.reading.get("vintage"),
        )
        report.files.append(file_report)
    _settle_conflicts(con, contract.source, report)
    return report


def ingest_records(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, record: RecordSource, folder: Path
) -> IngestReport:
    """Aggregate every record file in ``folder`` inside DuckDB and load the aggregates."""
    from pipelines.geography.harmonise import code_problems
    from pipelines.records.aggregate import aggregate_bostotte, aggregate_startlan

    ensure_tables(con)
    report = IngestReport(record.feeds_source)
    aggregate = {"bostotte": aggregate_bostotte, "startlan": aggregate_startlan}[record.kind]
    measure_columns = {m.column for m in catalogue.measures_of(record.feeds_source)}
    # the same listing as a contract folder's: lock files, dot files, sub-folders, dangling links and
    # other file types are named with their reason, never passed over silently
    files, skipped = inbox_listing(folder, RECORD_SUFFIXES)
    report.files.extend(FileReport(f"{record.id}/{name}", "skipped", reason=why) for name, why in skipped)
    for path in files:
        stat = path.stat()
        # Record files are large: fingerprint by name, size and modification time, not content.
        fingerprint = f"stat:{stat.st_size}:{stat.st_mtime_ns}"
        name = f"{record.id}/{path.name}"
        if _already_processed(con, record.feeds_source, name, fingerprint):
            report.files.append(FileReport(name, "unchanged"))
            continue
        result = aggregate(con, str(path))
        aggregates = result.aggregates.rename(columns={"kommunenr": "geo_code"})
        problems = code_problems(aggregates["geo_code"], aggregates["geo_code"], aggregates["year"])
        problems = problems.astype(object)
        first, last = pipeline_years(catalogue, record.feeds_source)
        outside = problems.isna() & ~aggregates["year"].between(first, last)
        problems[outside] = (
            "year " + aggregates.loc[outside, "year"].astype(str) + f" is outside the pipeline's years "
            f"{first}–{last} (assets/settings.yaml), so it would be stored but never published"
        )
        bad = problems.notna()
        quarantine = result.problems.rename(columns=str)[["row", "column", "raw_value", "reason"]].copy()
        if bad.any():
            quarantine = pd.concat(
                [
                    quarantine,
                    pd.DataFrame(
                        {
                            "row": -1,
                            "column": "kommunenr",
                            "raw_value": aggregates.loc[bad, "geo_code"],
                            "reason": "aggregated records: " + problems[bad],
                        }
                    ),
                ],
                ignore_index=True,
            )  # fmt: skip
        columns = [c for c in aggregates.columns if c in measure_columns]
        long = _long_as_reported(aggregates[~bad], columns)
        file_report = FileReport(
            name, "loaded", rows_read=int(result.rows_read), rows_loaded=int(result.rows_aggregated),
            rows_quarantined=int(result.rows_read - result.rows_aggregated),
        )  # fmt: skip
        _replace_keys(
            con, record.feeds_source, "kommune", long, quarantine, file_report, fingerprint, "records"
        )
        report.files.append(file_report)
    _settle_conflicts(con, record.feeds_source, report)
    return report


def inbox_overrides(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every loaded inbox value (empty when nothing was ever dropped)."""
    ensure_tables(con)
    return con.execute("SELECT * FROM inbox_values").df()
