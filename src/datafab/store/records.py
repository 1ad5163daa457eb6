"""Records' rows: the aggregated answer of each item, read one at a time or a page at a time.

Named queries only; how a record is aggregated is decided in ``services/records.py`` and
``services/quality/``. Writing a record after a submit lives in ``store/submitting.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from datafab.store.tables import items, records


def outcome_row(conn: Connection, item: int) -> Row[*tuple[Any, ...]] | None:
    """(answer, confidence, method, details) of the item's record, if it has one."""
    return conn.execute(select(records.c.answer, records.c.confidence, records.c.method,
                               records.c.details).where(records.c.item_id == item)).first()


def reviewed(conn: Connection, item_ids: list[int]) -> set[int]:
    """Which of the items hold a record an audit review set (method ``review``)."""
    if not item_ids:
        return set()
    return set(conn.execute(select(records.c.item_id).where(
        records.c.item_id.in_(item_ids), records.c.method == "review")).scalars())


def page(conn: Connection, project: int, after: int, limit: int, *,
         min_confidence: float | None, done_only: bool) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` records of the project after record ``after``, in id order, each with
    its item's external id and status (``item_status``)."""
    query = (
        select(records, items.c.external_id, items.c.status.label("item_status"))
        .join(items, items.c.id == records.c.item_id)
        .where(records.c.project_id == project, records.c.id > after)
        .order_by(records.c.id)
        .limit(limit)
    )
    if min_confidence is not None:
        query = query.where(records.c.confidence >= min_confidence)
    if done_only:
        query = query.where(items.c.status == "done")
    return list(conn.execute(query).all())
