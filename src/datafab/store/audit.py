"""The audit log's SQL: entries are only ever added, and read a page at a time or by
target."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select

from datafab.store.tables import audit_log


def add(conn: Connection, *, organization: int | None, actor: str, action: str, target: str,
        details: dict[str, Any] | None, now: float) -> None:
    conn.execute(insert(audit_log).values(
        organization_id=organization, actor=actor, action=action, target=target,
        details=details, created_at=now))


def page(conn: Connection, organization: int, *, after: int, limit: int,
         action: str | None = None) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` of the organization's entries with ids above ``after``, oldest first."""
    query = select(audit_log).where(audit_log.c.organization_id == organization,
                                    audit_log.c.id > after)
    if action:
        query = query.where(audit_log.c.action == action)
    return list(conn.execute(query.order_by(audit_log.c.id).limit(limit)).all())


def about(conn: Connection, target: str, *, organizations: list[int],
          actions: tuple[str, ...]) -> list[Row[*tuple[Any, ...]]]:
    """(created_at, action, details) of the entries about ``target``, oldest first."""
    return list(conn.execute(
        select(audit_log.c.created_at, audit_log.c.action, audit_log.c.details)
        .where(audit_log.c.organization_id.in_(organizations), audit_log.c.target == target,
               audit_log.c.action.in_(actions))
        .order_by(audit_log.c.id)).all())
