"""A lease's row as the work service reads it back: who holds it and in what state, its
project and item, and the submission an earlier try of a submit made under it.

Taking, renewing, releasing and expiring leases live in ``store/leasing.py``; these are the
plain look-ups around them. Every function takes the caller's connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from datafab.store.tables import items, leases, submissions


def state(conn: Connection, lease: int) -> Row[*tuple[Any, ...]] | None:
    """(status, expires_at, contributor_id) of the lease."""
    return conn.execute(select(leases.c.status, leases.c.expires_at, leases.c.contributor_id)
                        .where(leases.c.id == lease)).first()


def project_of(conn: Connection, lease: int, contributor: int) -> int | None:
    """The project of a lease the contributor holds or held."""
    found: int | None = conn.execute(select(leases.c.project_id).where(
        leases.c.id == lease, leases.c.contributor_id == contributor)).scalar()
    return found


def leased(conn: Connection, lease: int) -> Row[*tuple[Any, ...]]:
    """(item_id, project_id) of the lease (it exists)."""
    return conn.execute(select(leases.c.item_id, leases.c.project_id)
                        .where(leases.c.id == lease)).one()


def submitted_under(conn: Connection, lease: int,
                    contributor: int) -> Row[*tuple[Any, ...]] | None:
    """(id, answer, project_id, item_id, status, data) of the submission the contributor made
    under the lease, with its item's status and data."""
    return conn.execute(
        select(submissions.c.id, submissions.c.answer, submissions.c.project_id,
               items.c.id.label("item_id"), items.c.status, items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.lease_id == lease,
               submissions.c.contributor_id == contributor)).first()
