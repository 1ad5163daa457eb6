"""Projects' rows and their versioned guidelines. Named queries only; what a spec may say is
checked in ``services/projects.py``. Every function takes the caller's connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from datafab.store.tables import guidelines, items, projects


def insert_project(conn: Connection, values: dict[str, Any], text: str) -> int:
    """A project (``values`` name its columns) and its first guidelines; a taken name raises
    ``IntegrityError``."""
    pid: int = conn.execute(insert(projects).values(**values).returning(projects.c.id)
                            ).scalar_one()
    add_guidelines(conn, pid, 1, text, values["created_at"])
    return pid


def add_guidelines(conn: Connection, project: int, version: int, text: str,
                   now: float) -> None:
    conn.execute(insert(guidelines).values(project_id=project, version=version, text=text,
                                           created_at=now))


def load(conn: Connection, project: int,
         organization: int | None) -> Row[*tuple[Any, ...]] | None:
    """The project's row, if it belongs to ``organization`` (``None``: any)."""
    query = select(projects).where(projects.c.id == project)
    if organization is not None:
        query = query.where(projects.c.organization_id == organization)
    return conn.execute(query).first()


def guideline_text(conn: Connection, project: int, version: int) -> str:
    text: str = conn.execute(select(guidelines.c.text).where(
        guidelines.c.project_id == project, guidelines.c.version == version)).scalar_one()
    return text


def page(conn: Connection, organization: int, after: int,
         limit: int) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` of the organization's projects after project ``after``, in id order."""
    return list(conn.execute(
        select(projects)
        .where(projects.c.organization_id == organization, projects.c.id > after)
        .order_by(projects.c.id).limit(limit)).all())


def change(conn: Connection, project: int, values: dict[str, Any]) -> None:
    """Set the project's columns named in ``values``; a taken name raises
    ``IntegrityError``."""
    conn.execute(update(projects).where(projects.c.id == project).values(**values))


def item_tallies(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(status, items, labels, live leases) per item status of the project."""
    return list(conn.execute(
        select(items.c.status, func.count(), func.coalesce(func.sum(items.c.n_labels), 0),
               func.coalesce(func.sum(items.c.n_live), 0))
        .where(items.c.project_id == project)
        .group_by(items.c.status)).all())
