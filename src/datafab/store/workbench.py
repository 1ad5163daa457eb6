"""What the contributor's workbench reads: how much work each project has and how much of it
they hold, the live tasks they hold, their latest answers and their tallies on gold.

Named queries only; which projects they may see and what a verdict on gold is are decided in
``services/workbench.py``. Every function takes the caller's connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select

from datafab.store.tables import contributor_skills, items, leases, projects, submissions


def open_counts(conn: Connection, project_ids: list[int]) -> dict[int, int]:
    """Project -> how many of its items are open with a slot free."""
    if not project_ids:
        return {}
    return {p: n for p, n in conn.execute(
        select(items.c.project_id, func.count())
        .where(items.c.project_id.in_(project_ids), items.c.status == "open",
               items.c.slots > 0)
        .group_by(items.c.project_id)).all()}


def held_counts(conn: Connection, contributor: int, project_ids: list[int],
                now: float) -> dict[int, int]:
    """Project -> how many live leases the contributor holds on it."""
    if not project_ids:
        return {}
    return {p: n for p, n in conn.execute(
        select(leases.c.project_id, func.count())
        .where(leases.c.contributor_id == contributor, leases.c.status == "active",
               leases.c.expires_at > now, leases.c.project_id.in_(project_ids))
        .group_by(leases.c.project_id)).all()}


def live_task(conn: Connection, lease: int, contributor: int,
              now: float) -> Row[*tuple[Any, ...]] | None:
    """(id, project_id, expires_at, item, external_id, data) of a live lease the contributor
    holds."""
    return conn.execute(
        select(leases.c.id, leases.c.project_id, leases.c.expires_at, items.c.id.label("item"),
               items.c.external_id, items.c.data)
        .join(items, items.c.id == leases.c.item_id)
        .where(leases.c.id == lease, leases.c.contributor_id == contributor,
               leases.c.status == "active", leases.c.expires_at > now)).first()


def live_tasks(conn: Connection, contributor: int, project: int,
               now: float) -> list[Row[*tuple[Any, ...]]]:
    """(id, expires_at, item, external_id, data) of the live leases the contributor holds on
    the project, oldest first."""
    return list(conn.execute(
        select(leases.c.id, leases.c.expires_at, items.c.id.label("item"),
               items.c.external_id, items.c.data)
        .join(items, items.c.id == leases.c.item_id)
        .where(leases.c.contributor_id == contributor, leases.c.project_id == project,
               leases.c.status == "active", leases.c.expires_at > now)
        .order_by(leases.c.id)).all())


def latest_answers(conn: Connection, contributor: int,
                   limit: int) -> list[Row[*tuple[Any, ...]]]:
    """The contributor's latest submissions, newest first: (project_id, answer, created_at,
    seconds_spent) with the item's external_id, status and gold_answer."""
    return list(conn.execute(
        select(submissions.c.project_id, submissions.c.answer, submissions.c.created_at,
               submissions.c.seconds_spent, items.c.external_id, items.c.status,
               items.c.gold_answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.contributor_id == contributor)
        .order_by(submissions.c.id.desc())
        .limit(limit)).all())


def gold_tallies(conn: Connection, contributor: int,
                 project_ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """(name, n_labels, gold_seen, gold_correct) per listed project, by project name."""
    return list(conn.execute(
        select(projects.c.name, contributor_skills.c.n_labels,
               contributor_skills.c.gold_seen, contributor_skills.c.gold_correct)
        .join(projects, projects.c.id == contributor_skills.c.project_id)
        .where(contributor_skills.c.contributor_id == contributor,
               projects.c.id.in_(project_ids))
        .order_by(projects.c.name)).all())


def answered_per_project(conn: Connection, contributor: int,
                         project_ids: list[int]) -> dict[str, int]:
    """Project name -> how many answers the contributor gave in it."""
    return {name: n for name, n in conn.execute(
        select(projects.c.name, func.count())
        .join(projects, projects.c.id == submissions.c.project_id)
        .where(submissions.c.contributor_id == contributor,
               submissions.c.project_id.in_(project_ids))
        .group_by(projects.c.name)).all()}
