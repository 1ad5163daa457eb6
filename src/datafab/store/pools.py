"""Organizations' own pools of contributors and the invitation codes into them.

A member row is the whole fact ("this organization admitted this contributor"); whether a
project is private is its workforce policy's business. An invitation keeps only the hash of
its code and how many sign-ups it still admits; redeeming it is one conditional update
(``uses_left > 0`` and not expired), so two sign-ups racing for the last use cannot both win.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, select, text, update

from datafab.store.tables import (
    contributors,
    leases,
    organizations,
    projects,
    workforce_invitations,
    workforce_members,
)

_ADMIT = text(
    "INSERT INTO workforce_members (organization_id, contributor_id, admitted_at, admitted_by) "
    "VALUES (:organization, :contributor, :now, :by) "
    "ON CONFLICT (organization_id, contributor_id) DO NOTHING"
)


def is_member(conn: Connection, organization: int, contributor: int) -> bool:
    return conn.execute(
        select(workforce_members.c.contributor_id).where(
            workforce_members.c.organization_id == organization,
            workforce_members.c.contributor_id == contributor)).first() is not None


def admit(conn: Connection, organization: int, contributor: int, now: float, by: str) -> None:
    """Admit the contributor (already a member: nothing changes)."""
    conn.execute(_ADMIT, {"organization": organization, "contributor": contributor, "now": now,
                          "by": by})


def dismiss(conn: Connection, organization: int, contributor: int) -> bool:
    """Take the contributor out of the pool; False when they were not in it."""
    return bool(conn.execute(delete(workforce_members).where(
        workforce_members.c.organization_id == organization,
        workforce_members.c.contributor_id == contributor)).rowcount)


def members(conn: Connection, organization: int) -> list[Row[*tuple[Any, ...]]]:
    """The organization's members, oldest admission first: id, name, admitted_at/by."""
    return list(conn.execute(
        select(workforce_members.c.contributor_id, contributors.c.name,
               workforce_members.c.admitted_at, workforce_members.c.admitted_by)
        .join(contributors, contributors.c.id == workforce_members.c.contributor_id)
        .where(workforce_members.c.organization_id == organization)
        .order_by(workforce_members.c.admitted_at, workforce_members.c.contributor_id)).all())


def add_invitation(conn: Connection, organization: int, code_hash: str, prefix: str,
                   uses: int, expires_at: float, now: float) -> int:
    return int(conn.execute(workforce_invitations.insert().values(
        organization_id=organization, code_hash=code_hash, prefix=prefix, uses_left=uses,
        expires_at=expires_at, created_at=now).returning(workforce_invitations.c.id)
    ).scalar_one())


def redeem(conn: Connection, code_hash: str, now: float) -> int | None:
    """Spend one use of the invitation; its organization, or None (unknown, used up or
    expired)."""
    return conn.execute(
        update(workforce_invitations)
        .where(workforce_invitations.c.code_hash == code_hash,
               workforce_invitations.c.uses_left > 0,
               workforce_invitations.c.expires_at > now)
        .values(uses_left=workforce_invitations.c.uses_left - 1)
        .returning(workforce_invitations.c.organization_id)).scalar()


def active_projects(conn: Connection) -> list[int]:
    """Ids of every active project, oldest first (the candidates a contributor may see)."""
    return list(conn.execute(select(projects.c.id).where(projects.c.status == "active")
                             .order_by(projects.c.id)).scalars())


def organization_name(conn: Connection, organization: int) -> str | None:
    return conn.execute(select(organizations.c.name)
                        .where(organizations.c.id == organization)).scalar()


def live_leases(
    conn: Connection, organization: int, contributor: int
) -> list[Row[*tuple[Any, ...]]]:
    """The contributor's live leases in the organization's projects: (id, project_id)."""
    return list(conn.execute(
        select(leases.c.id, leases.c.project_id)
        .join(projects, projects.c.id == leases.c.project_id)
        .where(projects.c.organization_id == organization,
               leases.c.contributor_id == contributor, leases.c.status == "active")
        .order_by(leases.c.id)).all())
