"""The SQL of leak tracing: a project's item texts, and who received which items."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, select, union

from datafab.store.tables import access_log, items, leases


def item_data(conn: Connection, *, project: int) -> Iterator[tuple[int, Any]]:
    """(item id, data) for every item of the project, in id order."""
    query = select(items.c.id, items.c.data).where(items.c.project_id == project)
    for row in conn.execute(query.order_by(items.c.id)):
        yield row.id, row.data


def recipients(conn: Connection, *, project: int) -> list[int]:
    """Every contributor who was ever handed an item of the project: a lease (even a
    released or expired one), or a row of the access log."""
    held = select(leases.c.contributor_id.label("who")).where(leases.c.project_id == project)
    logged = select(access_log.c.contributor_id.label("who")).where(
        access_log.c.project_id == project, access_log.c.contributor_id.is_not(None))
    return sorted(conn.execute(union(held, logged)).scalars())


def received(conn: Connection, *, project: int,
             item_ids: Iterable[int]) -> dict[int, set[int]]:
    """Item id -> the contributors who were handed it (leases and the access log)."""
    wanted = sorted(set(item_ids))
    found: dict[int, set[int]] = {item: set() for item in wanted}
    if not wanted:
        return found
    held = select(leases.c.item_id, leases.c.contributor_id).where(
        leases.c.project_id == project, leases.c.item_id.in_(wanted))
    logged = select(access_log.c.item_id, access_log.c.contributor_id).where(
        access_log.c.project_id == project, access_log.c.item_id.in_(wanted),
        access_log.c.contributor_id.is_not(None))
    for item, who in conn.execute(union(held, logged)):
        found[item].add(who)
    return found
