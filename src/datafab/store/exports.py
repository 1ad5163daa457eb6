"""What an export reads, a page at a time in id order: records with their items, the counted
answers behind them, and items as a lease shows them. Named queries only; the formats are the
primitives' and ``services/exports.py`` streams them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from datafab.store.tables import items, records, submissions


def records_page(conn: Connection, project: int, after: int, limit: int, *,
                 min_confidence: float, include_open: bool) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` records after record ``after`` at least ``min_confidence`` sure (of
    finished items only unless ``include_open``), each with its item's external id and data."""
    query = (
        select(records, items.c.external_id, items.c.data)
        .join(items, items.c.id == records.c.item_id)
        .where(records.c.project_id == project, records.c.id > after,
               records.c.confidence >= min_confidence)
        .order_by(records.c.id)
        .limit(limit)
    )
    if not include_open:
        query = query.where(items.c.status == "done")
    return list(conn.execute(query).all())


def counted_answers(conn: Connection, item_ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """(item_id, contributor_id, answer, seconds_spent, guideline_version, draft) of the
    items' counted submissions, oldest first."""
    return list(conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer,
               submissions.c.seconds_spent, submissions.c.guideline_version,
               submissions.c.draft)
        .where(submissions.c.item_id.in_(item_ids), submissions.c.counted)
        .order_by(submissions.c.id)).all())


def items_page(conn: Connection, project: int, after: int,
               limit: int) -> list[Row[*tuple[Any, ...]]]:
    """(id, external_id, data, status) of up to ``limit`` items after item ``after`` that are
    not being ingested (status ``staged:…``)."""
    return list(conn.execute(
        select(items.c.id, items.c.external_id, items.c.data, items.c.status)
        .where(items.c.project_id == project, items.c.id > after,
               items.c.status.not_like("staged:%"))
        .order_by(items.c.id).limit(limit)).all())
