"""Records: the aggregated answer for each item, with its confidence and lineage."""

from __future__ import annotations

from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import Outcome
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import load_project
from datafab.store import records as queries
from datafab.store import submitting
from datafab.store.handles import Connection, Row


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
    row = queries.outcome_row(conn, item_id)
    if row is None:
        return None
    return Outcome(answer=row.answer, confidence=row.confidence, method=row.method,
                   details=row.details or {})


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
        rows = queries.page(conn, project.id, after, limit + 1,
                            min_confidence=min_confidence, done_only=done_only)
    page = [record_dict(r) for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def record_dict(row: Row[Any]) -> dict[str, Any]:
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
