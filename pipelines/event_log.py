"""Dagster's local SQLite event log, without a new database connection for every event.

Why: a full run stores ~600 events (one "planned" and one "materialised" per asset and year),
and Dagster's SQLite event log opens a fresh engine and connection for each, then closes it.
In WAL mode the close of the last connection checkpoints the log with fsyncs, so every event
cost ~3 ms — several seconds per run, and more than some of our assets take.

:class:`LocalSqliteEventLogStorage` (named in ``dagster.yaml``) changes two things:

- the cross-run index database (``index.db``) keeps one open connection per process, so a write
  is an insert and a commit;
- every database runs with ``synchronous=NORMAL``, SQLite's recommended setting for WAL: a
  commit no longer waits for the disk, and a power cut can lose the last events but cannot
  corrupt the file.

Per-run databases still open and close a connection per write: the UI follows a running run by
watching that file change, which happens when the closing connection checkpoints the log.
Production uses PostgreSQL (docs/production.md) and none of this applies there.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import NullPool, QueuePool

RUN_ENGINES_KEPT = 8
_LIVE: weakref.WeakSet = weakref.WeakSet()


def default_base_dir() -> str:
    """Where Dagster keeps the event log by default: ``$DAGSTER_HOME/history/runs``."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "dagster.yaml: event_log_storage (pipelines.event_log) keeps the event log in "
            "$DAGSTER_HOME/history/runs, but DAGSTER_HOME is not set. Set it to the Dagster instance "
            "folder (the Makefile uses .dagster_home/) or give event_log_storage a config.base_dir."
        )
    return os.path.join(home, "history", "runs")


def _set_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class LocalSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with a pooled index connection and ``synchronous=NORMAL``."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: dict[str, sa.Engine] = {}
        super().__init__(base_dir or default_base_dir(), inst_data)
        _LIVE.add(self)

    @classmethod
    def config_type(cls):
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LocalSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.get(shard)
        if engine is None:
            pooled = shard == INDEX_SHARD_NAME
            engine = sa.create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool if pooled else NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                **({"pool_size": 1, "max_overflow": 4} if pooled else {}),
            )
            sa.event.listen(engine, "connect", _set_pragmas)
            self._engines[shard] = engine
            # Keep the index and the last few runs' engines (a run writes its own database many
            # times); per-run engines hold no connection between writes (NullPool).
            run_shards = [key for key in self._engines if key != INDEX_SHARD_NAME]
            for old in run_shards[:-RUN_ENGINES_KEPT]:
                self._engines.pop(old).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()

    def _forget_connections(self) -> None:
        """In a forked child: drop the parent's pooled connections without closing them."""
        for engine in self._engines.values():
            engine.dispose(close=False)


def _after_fork_in_child() -> None:
    # SQLite connections must not be used (or closed) across fork(); the child opens its own.
    for storage in list(_LIVE):
        storage._forget_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)
