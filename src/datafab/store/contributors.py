"""Contributors' rows as their profile and the pool console read and change them: skills and
their levels, status, the pool search, and their gold and lease tallies.

Named queries only; what a level or a status allows is decided in ``services/profiles.py``,
``services/contributor_standing.py`` and ``services/workforce/``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, or_, select, update

from datafab.store.tables import contributor_skills, contributors, leases


def load(conn: Connection, contributor: int) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(contributors).where(contributors.c.id == contributor)).first()


def exists(conn: Connection, contributor: int) -> bool:
    return conn.execute(select(contributors.c.id)
                        .where(contributors.c.id == contributor)).first() is not None


def skill_levels(conn: Connection, contributor: int) -> dict[str, Any]:
    levels: dict[str, Any] = conn.execute(
        select(contributors.c.skill_levels)
        .where(contributors.c.id == contributor)).scalar() or {}
    return levels


def set_skill_levels(conn: Connection, contributor: int, levels: dict[str, Any]) -> None:
    conn.execute(update(contributors).where(contributors.c.id == contributor)
                 .values(skill_levels=levels))


def set_skills(conn: Connection, contributor: int, skills: list[str],
               levels: dict[str, Any]) -> bool:
    """Replace the contributor's skills and levels (False: no such contributor)."""
    done = conn.execute(update(contributors).where(contributors.c.id == contributor)
                        .values(skills=skills, skill_levels=levels)).rowcount
    return bool(done)


def set_status(conn: Connection, contributor: int, status: str) -> bool:
    """(False: no such contributor.)"""
    done = conn.execute(update(contributors).where(contributors.c.id == contributor)
                        .values(status=status)).rowcount
    return bool(done)


# -- the pool search ----------------------------------------------------------------------------


def matching(conn: Connection, *, text: str, status: str,
             only: int | None) -> list[Row[*tuple[Any, ...]]]:
    """Contributors in id order whose name or email holds ``text`` (any case; lowered by the
    caller), of ``status`` and id ``only`` where given."""
    query = select(contributors).order_by(contributors.c.id)
    if text:
        like = f"%{text}%"
        query = query.where(or_(func.lower(contributors.c.name).like(like),
                                func.lower(contributors.c.email).like(like)))
    if status:
        query = query.where(contributors.c.status == status)
    if only is not None:
        query = query.where(contributors.c.id == only)
    return list(conn.execute(query).all())


def gold_totals(conn: Connection) -> dict[int, Row[*tuple[Any, ...]]]:
    """Contributor -> (labels, seen, correct) summed over every project."""
    return {r.contributor_id: r for r in conn.execute(
        select(contributor_skills.c.contributor_id,
               func.sum(contributor_skills.c.n_labels).label("labels"),
               func.sum(contributor_skills.c.gold_seen).label("seen"),
               func.sum(contributor_skills.c.gold_correct).label("correct"))
        .group_by(contributor_skills.c.contributor_id))}


def live_lease_counts(conn: Connection, now: float) -> dict[int, int]:
    """Contributor -> how many active leases they hold that have not expired."""
    return dict(conn.execute(
        select(leases.c.contributor_id, func.count())
        .where(leases.c.status == "active", leases.c.expires_at > now)
        .group_by(leases.c.contributor_id)).all())


def active_leases(conn: Connection, contributor: int) -> list[int]:
    """The contributor's active leases, in id order."""
    return list(conn.execute(
        select(leases.c.id).where(leases.c.contributor_id == contributor,
                                  leases.c.status == "active")
        .order_by(leases.c.id)).scalars().all())


# -- the import contributor ---------------------------------------------------------------------


def import_contributor(conn: Connection, name: str) -> int | None:
    """The id of the import contributor of this name, if there is one."""
    found: int | None = conn.execute(select(contributors.c.id).where(
        contributors.c.name == name, contributors.c.kind == "import")).scalar()
    return found


def insert_import_contributor(conn: Connection, name: str, token_prefix: str, token_hash: str,
                              now: float) -> int:
    made: int = conn.execute(insert(contributors).values(
        name=name, kind="import", skills=[], status="active", token_prefix=token_prefix,
        token_hash=token_hash, created_at=now).returning(contributors.c.id)).scalar_one()
    return made
