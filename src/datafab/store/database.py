"""The database handle: one engine per process, built on demand, never at import time.

SQLite has one writer. Datafab serialises its own writes through one lock per process and
opens each write transaction with ``BEGIN IMMEDIATE``, so the writer never waits on a busy
handler in the middle of a transaction (other processes wait up to the busy timeout at BEGIN).
PostgreSQL runs write transactions concurrently; leasing uses ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError
from sqlalchemy.pool import ConnectionPoolEntry

from datafab.errors import InvalidInput

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


class Database:
    """Owns the engine and hands out read connections and write transactions."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine = _make_engine(url, self.dialect, pool_size)
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on error. A value
        the database refuses (a number past 64 bits, a string longer than its column) is the
        caller's to fix: it comes out as ``InvalidInput``, with nothing written."""
        try:
            if self._write_lock is None:
                with self.engine.begin() as conn:
                    yield conn
                return
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(datafab_begin="BEGIN IMMEDIATE")
                with conn.begin():
                    yield conn
        except DataError as exc:
            raise _refused(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection (its implicit transaction is rolled back when done)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except DataError as exc:
            raise _refused(exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_file(url: str) -> str | None:
    """The file a SQLite database URL names (None for another database or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and \
            parsed.database != ":memory:":
        return parsed.database
    return None


def shown_url(url: str) -> str:
    """A database URL as it may be printed: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def _refused(exc: DataError) -> InvalidInput:
    return InvalidInput("a number is out of range or a value is too long "
                        f"({type(exc.orig).__name__})")


def json_loads(stored: str | bytes) -> Any:
    """A JSON column's value as read back: orjson (several times faster than the standard
    parser on the many small values a refit reads), the standard parser for what orjson
    refuses (NaN, a lone surrogate). Both read every value Datafab stores alike: the one
    difference, an integer past 64 bits (orjson reads it as a float), is refused on the way
    in (``json_limits.check``)."""
    try:
        return orjson.loads(stored)
    except orjson.JSONDecodeError:
        return json.loads(stored)


def _make_engine(url: str, dialect: str, pool_size: int) -> Engine:
    if dialect != "sqlite":
        # No pre-ping: it costs a round trip per transaction; stale connections are recycled.
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                             json_deserializer=json_loads)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                           json_deserializer=json_loads)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # let Datafab emit BEGIN itself
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("datafab_begin", "BEGIN"))

    return engine
