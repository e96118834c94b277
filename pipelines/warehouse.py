"""The DuckDB warehouse: one file, one writer at a time.

Tables are replaced whole inside a transaction, so a reader (or a killed run) never sees a
half-written table: either the old table or the new one.

DuckDB lets one process open a database file for writing. Steps of the pipeline take turns
through a file lock beside the warehouse (``warehouse.duckdb.lock``, via the `filelock`
library): the operating system drops the lock when its process dies, even after ``kill -9``,
so a killed run never blocks the next one. Analysts read the published Parquet files, not this
file (see the README); if someone holds the file open anyway, a step waits for it, saying so,
instead of failing at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from pipelines.paths import output_dir

WAREHOUSE_FILE = "warehouse.duckdb"


def warehouse_path(base: Path | None = None) -> Path:
    return (base or output_dir()) / WAREHOUSE_FILE


class WarehouseBusyError(RuntimeError):
    """The warehouse stayed in use by another process for longer than a step may wait."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


LOCK_POLL_SECONDS = 0.5


@contextmanager
def open_for_writing(
    path: Path, wait_seconds: float, log: logging.Logger | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse, held under the warehouse lock until closed.

    Waits up to ``wait_seconds`` for another run's step (the lock) and for any other process
    that has the file open (DuckDB's own lock), then fails naming the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    lock = FileLock(lock_path(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if log:
            log.info(f"{path.name} is in use by another run's step; waiting for it to finish")
        try:
            lock.acquire(timeout=max(deadline - time.monotonic(), 0))
        except Timeout:
            raise WarehouseBusyError(
                f"{path}: another run kept the warehouse for more than {wait_seconds:.0f} s"
            ) from None
    try:
        con = _connect_when_free(path, deadline, wait_seconds, log)
        try:
            yield con
        finally:
            con.close()
    finally:
        lock.release()


def _connect_when_free(
    path: Path, deadline: float, wait_seconds: float, log: logging.Logger | None
) -> duckdb.DuckDBPyConnection:
    warned = False
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"{path}: another process (a notebook or a DuckDB shell?) kept the file open for more "
                    f"than {wait_seconds:.0f} s. Close it; analysts read the published Parquet in "
                    "exports/ instead (README, «Lese resultatene»)."
                ) from error
            if log and not warned:
                log.warning(
                    f"{path} is open in another process (a notebook or a DuckDB shell?): waiting until "
                    f"it is closed, at most {wait_seconds:.0f} s. Read exports/ instead."
                )
                warned = True
            time.sleep(LOCK_POLL_SECONDS)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together, or — on any error, or a killed process — not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    """Replace table ``name`` with ``frame`` atomically; returns the row count."""
    con.register("_incoming", frame)
    try:
        with transaction(con):
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
    finally:
        con.unregister("_incoming")
    return len(frame)


def replace_table_from_sql(con: duckdb.DuckDBPyConnection, name: str, query: str) -> int:
    """Replace table ``name`` with the result of ``query`` atomically; returns the row count."""
    with transaction(con):
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {query}')
    return table_rows(con, name)


def replace_rows_from_sql(
    con: duckdb.DuckDBPyConnection, name: str, query: str, column: str, keys: list[int] | None
) -> int:
    """`replace_rows` with the new rows given by ``query`` (computed inside DuckDB)."""
    if keys is None or not table_exists(con, name):
        return replace_table_from_sql(con, name, query)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming_rows AS {query}")
    try:
        _swap_rows(con, name, "_incoming_rows", column, keys)
        return table_rows(con, "_incoming_rows")
    finally:
        con.execute("DROP TABLE IF EXISTS _incoming_rows")


def table_rows(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) pairs, for the column schema shown in the Dagster UI."""
    return [(row[0], row[1]) for row in con.execute(f'DESCRIBE "{name}"').fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
        ).fetchall()
    )


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    frame: pd.DataFrame,
    column: str,
    keys: list[int] | None,
) -> int:
    """Replace the rows of ``name`` whose ``column`` is in ``keys`` with ``frame``, in one transaction.

    ``keys=None`` replaces the whole table. A run killed half-way leaves the previous rows: the
    delete and the insert commit together or not at all. Returns the rows written.
    """
    if keys is None or not table_exists(con, name):
        return replace_table(con, name, frame)
    con.register("_incoming", frame)
    try:
        _swap_rows(con, name, "_incoming", column, keys)
    finally:
        con.unregister("_incoming")
    return len(frame)


def _swap_rows(
    con: duckdb.DuckDBPyConnection, name: str, incoming: str, column: str, keys: list[int]
) -> None:
    existing = [c for c, _ in table_columns(con, name)]
    columns = [c for c, _ in table_columns(con, incoming)]
    if existing != columns:
        raise ValueError(
            f"table {name} has columns {existing}, but this run writes {columns}: "
            "the table's shape changed — materialise all years once (a backfill) to rebuild it"
        )
    with transaction(con):
        placeholders = ", ".join("?" for _ in keys)
        con.execute(f'DELETE FROM "{name}" WHERE "{column}" IN ({placeholders})', list(keys))
        con.execute(f'INSERT INTO "{name}" SELECT * FROM "{incoming}"')
