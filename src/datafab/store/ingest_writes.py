"""Ingest's writes: many new items at once, without a per-row round trip or per-row statement
processing. On SQLite one ``executemany`` of rows whose JSON is already serialised; on
PostgreSQL one ``COPY``. The rows stored are the ones ``insert(items)`` stores (JSON as
``json.dumps`` writes it, a ``None`` JSON value as JSON ``null``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert

from datafab.store.tables import items

COLUMNS = ("project_id", "external_id", "data", "content_hash", "priority", "status", "slots",
           "n_labels", "n_live", "gold_answer", "meta", "created_at")
_JSON = frozenset(("data", "gold_answer", "meta"))


def _row(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(json.dumps(values[c]) if c in _JSON else values[c] for c in COLUMNS)


def insert_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with exactly ``COLUMNS``) into ``items``."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        sql = (f"INSERT INTO items ({', '.join(COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        conn.exec_driver_sql(sql, [_row(r) for r in rows])
    elif conn.dialect.name == "postgresql":
        driver = conn.connection.dbapi_connection
        assert driver is not None  # a checked-out connection has its driver connection
        cursor = driver.cursor()
        try:
            with cursor.copy(f"COPY items ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(_row(r))
        finally:
            cursor.close()
    else:  # any other database: the portable statement
        conn.execute(insert(items), rows)
