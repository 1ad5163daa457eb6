"""The access log's SQL: one row per (event, item) shown, one per export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from datafab.store.tables import access_log as log


def record(conn: Connection, *, project: int, event: str, items: Iterable[int | None],
           at: float, address: str, contributor: int | None = None,
           actor: str | None = None) -> int:
    """Add one row per item (in the caller's transaction); how many."""
    rows = [{"project_id": project, "event": event, "item_id": item,
             "contributor_id": contributor, "actor": actor[:200] if actor else None,
             "address": address[:64], "at": at} for item in items]
    if rows:
        conn.execute(insert(log), rows)
    return len(rows)


def page(conn: Connection, *, project: int, before: int, limit: int,
         contributor: int | None = None, item: int | None = None) -> list[Any]:
    """The project's rows newest first, with ids below ``before`` (0: from the newest)."""
    query = select(log).where(log.c.project_id == project)
    if before:
        query = query.where(log.c.id < before)
    if contributor is not None:
        query = query.where(log.c.contributor_id == contributor)
    if item is not None:
        query = query.where(log.c.item_id == item)
    return list(conn.execute(query.order_by(log.c.id.desc()).limit(limit)))


def forget_addresses(conn: Connection, *, contributor: int) -> int:
    """Blank the addresses of an erased contributor's rows (the rows stay: which items the
    pseudonymous id was shown); how many."""
    return conn.execute(update(log).where(log.c.contributor_id == contributor)
                        .values(address="erased")).rowcount


def purge(conn: Connection, *, before: float) -> int:
    """Delete rows written before ``before``; how many."""
    return conn.execute(delete(log).where(log.c.at < before)).rowcount


def contributors(conn: Connection, *, project: int) -> list[int]:
    """The contributors the project's log names."""
    return list(conn.execute(select(log.c.contributor_id).distinct().where(
        log.c.project_id == project, log.c.contributor_id.is_not(None))).scalars())
