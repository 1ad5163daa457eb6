"""Customer primitive definitions: named queries, each scoped to one organization."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from datafab.store.tables import primitive_definitions as defs
from datafab.store.tables import projects


def get(conn: Connection, organization: int, name: str, version: int | None = None
        ) -> Row[Any] | None:
    """One version of the organization's primitive (the latest when ``version`` is None)."""
    query = select(defs).where(defs.c.organization_id == organization, defs.c.name == name)
    if version is not None:
        query = query.where(defs.c.version == version)
    return conn.execute(query.order_by(defs.c.version.desc()).limit(1)).first()


def versions(conn: Connection, organization: int, name: str) -> list[Row[Any]]:
    return list(conn.execute(
        select(defs.c.version, defs.c.digest, defs.c.created_at, defs.c.created_by)
        .where(defs.c.organization_id == organization, defs.c.name == name)
        .order_by(defs.c.version)))


def latest_per_name(conn: Connection, organization: int) -> list[Row[Any]]:
    """Each of the organization's primitives: its name, latest version and version count."""
    return list(conn.execute(
        select(defs.c.name, func.max(defs.c.version).label("latest"),
               func.count().label("versions"), func.min(defs.c.created_at).label("created_at"))
        .where(defs.c.organization_id == organization)
        .group_by(defs.c.name).order_by(defs.c.name)))


def names(conn: Connection, organization: int) -> list[str]:
    return list(conn.execute(select(defs.c.name).distinct()
                             .where(defs.c.organization_id == organization)).scalars())


def add(conn: Connection, organization: int, name: str, version: int,
        definition: dict[str, Any], digest: str, now: float, by: str) -> None:
    """Store a new version; a version taken meanwhile raises ``IntegrityError``."""
    conn.execute(insert(defs).values(
        organization_id=organization, name=name, version=version, definition=definition,
        digest=digest, created_at=now, created_by=by))


def remove(conn: Connection, organization: int, name: str, version: int) -> bool:
    return conn.execute(delete(defs).where(
        defs.c.organization_id == organization, defs.c.name == name,
        defs.c.version == version)).rowcount == 1


def projects_using(conn: Connection, organization: int, pinned: str) -> list[Row[Any]]:
    """The organization's projects pinned to ``pinned`` (``NAME@VERSION``)."""
    return list(conn.execute(
        select(projects.c.id, projects.c.name, projects.c.status)
        .where(projects.c.organization_id == organization, projects.c.primitive == pinned)
        .order_by(projects.c.id)))
