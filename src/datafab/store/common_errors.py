"""The answers a project's common-errors digest is built from, in two reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from datafab.store.tables import items, submissions


def gold_answers(conn: Connection, project: int) -> list[Row[Any]]:
    """Every answer to the project's gold items, oldest first, with the item."""
    return list(conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer, items.c.id.label("item_id"),
               items.c.external_id, items.c.data, items.c.gold_answer, items.c.meta)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, items.c.status == "gold")
        .order_by(submissions.c.id)))


def item_answers(conn: Connection, project: int) -> list[Row[Any]]:
    """Every counted answer to the project's ordinary items, oldest first, with the item."""
    return list(conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer, items.c.id.label("item_id"),
               items.c.external_id, items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, items.c.status != "gold",
               submissions.c.counted)
        .order_by(submissions.c.id)))
