"""Contributors' clearances: one row per cleared contributor (the latest grant)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from datafab.store.tables import contributor_clearances, contributors


def get(conn: Connection, contributor: int) -> Row[Any] | None:
    return conn.execute(select(contributor_clearances).where(
        contributor_clearances.c.contributor_id == contributor)).first()


def put(conn: Connection, contributor: int, level: str, until: float | None, now: float,
        by: str) -> None:
    """Replace the contributor's clearance with this grant."""
    conn.execute(delete(contributor_clearances).where(
        contributor_clearances.c.contributor_id == contributor))
    conn.execute(insert(contributor_clearances).values(
        contributor_id=contributor, level=level, until=until, granted_at=now, granted_by=by))


def contributor_exists(conn: Connection, contributor: int) -> bool:
    return conn.execute(select(contributors.c.id).where(
        contributors.c.id == contributor)).first() is not None


def expired(conn: Connection, now: float) -> list[Row[Any]]:
    return list(conn.execute(select(contributor_clearances).where(
        contributor_clearances.c.until.is_not(None), contributor_clearances.c.until <= now)))


def drop(conn: Connection, contributor: int, until: float) -> bool:
    """Delete this expired grant, unless another sweep or a new grant got there first."""
    return conn.execute(delete(contributor_clearances).where(
        contributor_clearances.c.contributor_id == contributor,
        contributor_clearances.c.until == until)).rowcount == 1
