"""Records: the aggregated answer for each item, with its confidence and lineage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import Outcome, Vote
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import load_project
from datafab.store import submitting
from datafab.store.tables import items, records


def store_record(
    conn: Connection, project_id: int, item_id: int, outcome: Outcome, n_submissions: int,
    now: float,
) -> None:
    """Insert or replace the item's record."""
    submitting.upsert_record(
        conn, project=project_id, item=item_id, answer=outcome.answer,
        confidence=float(outcome.confidence), method=outcome.method, n=n_submissions,
        details=outcome.details or None, now=now,
    )


def stored_outcome(conn: Connection, item_id: int) -> Outcome | None:
    """The item's record as an outcome (``None``: no record)."""
    row = conn.execute(select(records.c.answer, records.c.confidence, records.c.method,
                              records.c.details).where(records.c.item_id == item_id)).first()
    if row is None:
        return None
    return Outcome(answer=row.answer, confidence=row.confidence, method=row.method,
                   details=row.details or {})


def recompute(foundry: Foundry, conn: Connection, project, item_ids: list[int],
              now: float) -> None:
    """Recompute these items' records from their counted votes (locked in id order, the
    order a submit takes them); an item with no votes left loses its record."""
    from datafab.services import quality

    locked = submitting.lock_items(conn, item_ids)
    for item_id in sorted(locked):
        votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                 for r in submitting.votes(conn, item_id)]
        if not votes:
            submitting.delete_record(conn, item_id)
            continue
        outcome = quality.item_outcome(foundry, conn, project, locked[item_id].data, votes,
                                       quality.Evidence())
        store_record(conn, project.id, item_id, outcome, len(votes), now)


def list_records(
    foundry: Foundry,
    organization: int,
    project_id: int,
    *,
    cursor: str | None = None,
    limit: int = 100,
    min_confidence: float | None = None,
    done_only: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    after, limit = decode_cursor(cursor), check_limit(limit)
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InvalidInput("min_confidence: must be between 0 and 1", field="min_confidence")
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        query = (
            select(records, items.c.external_id, items.c.status.label("item_status"))
            .join(items, items.c.id == records.c.item_id)
            .where(records.c.project_id == project.id, records.c.id > after)
            .order_by(records.c.id)
            .limit(limit + 1)
        )
        if min_confidence is not None:
            query = query.where(records.c.confidence >= min_confidence)
        if done_only:
            query = query.where(items.c.status == "done")
        rows = conn.execute(query).all()
    page = [record_dict(r) for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def record_dict(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "item_id": row.item_id,
        "external_id": row.external_id,
        "answer": row.answer,
        "confidence": row.confidence,
        "method": row.method,
        "n_submissions": row.n_submissions,
        "final": row.item_status == "done",
        "details": row.details,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
