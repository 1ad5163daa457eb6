"""Item flags' rows: a contributor's report that an item is broken, unclear or harmful, and
its resolution. Named queries only; ``services/item_flags.py`` checks what a flag says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from datafab.store.tables import contributors, item_flags, items, leases, projects


def leased_item(conn: Connection, lease: int, contributor: int) -> Row[*tuple[Any, ...]] | None:
    """(project_id, item_id) of a lease the contributor holds or held."""
    return conn.execute(
        select(leases.c.project_id, leases.c.item_id)
        .where(leases.c.id == lease, leases.c.contributor_id == contributor)).first()


def insert_flag(conn: Connection, *, project: int, item: int, contributor: int, reason: str,
                note: str, now: float) -> int:
    flag: int = conn.execute(
        insert(item_flags).values(
            project_id=project, item_id=item, contributor_id=contributor, reason=reason,
            note=note, status="open", created_at=now,
        ).returning(item_flags.c.id)).scalar_one()
    return flag


def newest(conn: Connection, status: str | None, limit: int) -> list[Row[*tuple[Any, ...]]]:
    """Flags (of one status, if given) newest first, each with its project's name, its
    item's external id and its contributor's name."""
    query = (
        select(item_flags, projects.c.name.label("project_name"), items.c.external_id,
               contributors.c.name.label("contributor_name"))
        .join(projects, projects.c.id == item_flags.c.project_id)
        .join(items, items.c.id == item_flags.c.item_id)
        .join(contributors, contributors.c.id == item_flags.c.contributor_id)
        .order_by(item_flags.c.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(item_flags.c.status == status)
    return list(conn.execute(query).all())


def resolve(conn: Connection, flag: int, now: float) -> bool:
    """Mark the flag resolved (False: no such flag)."""
    done = conn.execute(update(item_flags).where(item_flags.c.id == flag)
                        .values(status="resolved", resolved_at=now)).rowcount
    return bool(done)
