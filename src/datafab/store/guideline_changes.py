"""Guideline changelogs and contributors' acknowledgements of them.

The lease gate asks two questions per lease of a project whose latest material change is
version ``V``: has the contributor acknowledged ``V`` (or later), and did they work under an
earlier version? Both are primary-key or indexed reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, exists, func, insert, select

from datafab.store.tables import (
    contributors,
    guideline_acks,
    guideline_changes,
    guidelines,
    items,
    submissions,
)


@dataclass(frozen=True)
class Change:
    version: int
    changelog: str
    requires_ack: bool
    quiz_items: int
    created_at: float


@dataclass(frozen=True)
class Acknowledger:
    contributor_id: int
    name: str
    acknowledged_at: float | None
    quiz_seen: int
    quiz_correct: int


def add_change(conn: Connection, *, project: int, version: int, changelog: str,
               requires_ack: bool, quiz_items: int, now: float) -> None:
    conn.execute(insert(guideline_changes).values(
        project_id=project, version=version, changelog=changelog, requires_ack=requires_ack,
        quiz_items=quiz_items, created_at=now))


def changes(conn: Connection, project: int) -> list[Change]:
    """Every recorded change of the project's guidelines, newest first."""
    rows = conn.execute(select(guideline_changes).where(guideline_changes.c.project_id == project)
                        .order_by(guideline_changes.c.version.desc())).all()
    return [Change(r.version, r.changelog, bool(r.requires_ack), r.quiz_items, r.created_at)
            for r in rows]


def latest_required(conn: Connection, project: int) -> Change | None:
    """The newest change that contributors must acknowledge."""
    row = conn.execute(select(guideline_changes).where(
        guideline_changes.c.project_id == project, guideline_changes.c.requires_ack)
        .order_by(guideline_changes.c.version.desc()).limit(1)).first()
    if row is None:
        return None
    return Change(row.version, row.changelog, True, row.quiz_items, row.created_at)


def version_exists(conn: Connection, project: int, version: int) -> bool:
    return conn.execute(select(guidelines.c.id).where(
        guidelines.c.project_id == project, guidelines.c.version == version)).first() is not None


def acknowledged(conn: Connection, project: int, contributor: int, version: int) -> bool:
    """Has the contributor acknowledged this version or a later one?"""
    return conn.execute(select(exists().where(
        guideline_acks.c.project_id == project, guideline_acks.c.contributor_id == contributor,
        guideline_acks.c.version >= version))).scalar_one()


def worked_before(conn: Connection, project: int, contributor: int, version: int) -> bool:
    """Did the contributor answer any item of the project under a version before this one?"""
    return conn.execute(select(exists().where(
        submissions.c.contributor_id == contributor, submissions.c.project_id == project,
        submissions.c.guideline_version < version))).scalar_one()


def add_ack(conn: Connection, *, project: int, contributor: int, version: int, quiz_seen: int,
            quiz_correct: int, now: float) -> bool:
    """Record an acknowledgement; False when this version was acknowledged already."""
    if conn.execute(select(guideline_acks.c.version).where(
            guideline_acks.c.project_id == project,
            guideline_acks.c.contributor_id == contributor,
            guideline_acks.c.version == version)).first() is not None:
        return False
    conn.execute(insert(guideline_acks).values(
        project_id=project, contributor_id=contributor, version=version, quiz_seen=quiz_seen,
        quiz_correct=quiz_correct, acknowledged_at=now))
    return True


def roster(conn: Connection, project: int, version: int) -> list[Acknowledger]:
    """Everyone who worked under a version before ``version``, with their acknowledgement
    of ``version`` or later (the earliest such) if any; by contributor id."""
    worked = (select(submissions.c.contributor_id).distinct()
              .where(submissions.c.project_id == project,
                     submissions.c.guideline_version < version).subquery())
    acks = (select(guideline_acks.c.contributor_id,
                   func.min(guideline_acks.c.acknowledged_at).label("at"),
                   func.max(guideline_acks.c.quiz_seen).label("seen"),
                   func.max(guideline_acks.c.quiz_correct).label("correct"))
            .where(guideline_acks.c.project_id == project, guideline_acks.c.version >= version)
            .group_by(guideline_acks.c.contributor_id).subquery())
    rows = conn.execute(
        select(worked.c.contributor_id, contributors.c.name, acks.c.at, acks.c.seen,
               acks.c.correct)
        .join(contributors, contributors.c.id == worked.c.contributor_id)
        .outerjoin(acks, acks.c.contributor_id == worked.c.contributor_id)
        .order_by(worked.c.contributor_id)).all()
    return [Acknowledger(r.contributor_id, r.name, r.at, r.seen or 0, r.correct or 0)
            for r in rows]


def gold_item_ids(conn: Connection, project: int, limit: int = 1000) -> list[int]:
    return list(conn.execute(select(items.c.id).where(
        items.c.project_id == project, items.c.status == "gold")
        .order_by(items.c.id).limit(limit)).scalars())


def gold_items(conn: Connection, ids: list[int]) -> list[Row[Any]]:
    """Gold items by id (id, data, gold_answer, meta), in id order."""
    if not ids:
        return []
    return list(conn.execute(select(items.c.id, items.c.data, items.c.gold_answer, items.c.meta)
                             .where(items.c.id.in_(ids), items.c.status == "gold")
                             .order_by(items.c.id)))
