"""The SQL of a contributor's own standing page: their membership rows, the projects they
have answered in, and their gold answers with the gold they were judged against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from datafab.store.tables import items, project_members, submissions


def memberships(conn: Connection, contributor: int) -> dict[int, Row[*tuple[Any, ...]]]:
    """{project id: membership row} of the contributor."""
    return {r.project_id: r for r in conn.execute(
        select(project_members).where(project_members.c.contributor_id == contributor))}


def answered_in(conn: Connection, contributor: int) -> set[int]:
    """The projects the contributor has a submission in."""
    return set(conn.execute(select(submissions.c.project_id).distinct()
                            .where(submissions.c.contributor_id == contributor)).scalars())


def gold_answers(conn: Connection, contributor: int) -> list[Row[*tuple[Any, ...]]]:
    """(project_id, answer, gold_answer) of the contributor's answers to gold items, oldest
    first."""
    return list(conn.execute(
        select(submissions.c.project_id, submissions.c.answer, items.c.gold_answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.contributor_id == contributor, items.c.status == "gold")
        .order_by(submissions.c.id)).all())
