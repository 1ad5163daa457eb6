"""The delivery log: what was sent where, and sending a delivery's event again."""

from __future__ import annotations

from typing import Any

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.store import webhooks as queries
from datafab.store.handles import Row

STATUSES = ("pending", "delivered", "failed", "dropped")


def _delivery_dict(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id, "event_id": f"evt_{row.event_id}", "event_type": row.type,
        "subject": row.subject, "endpoint_id": row.endpoint_id, "url": row.url,
        "status": row.status, "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "created_at": row.created_at, "delivered_at": row.delivered_at,
    }


def list_deliveries(foundry: Foundry, organization: int, *, cursor: str | None = None,
                    limit: int = 100, status: str | None = None
                    ) -> tuple[list[dict[str, Any]], str | None]:
    """The organization's deliveries, oldest first."""
    after, limit = decode_cursor(cursor), check_limit(limit)
    if status is not None and status not in STATUSES:
        raise InvalidInput("status: one of pending, delivered, failed, dropped", field="status")
    with foundry.db.read() as conn:
        rows = queries.delivery_page(conn, organization, after=after, limit=limit + 1,
                                     status=status)
    page = [_delivery_dict(r) for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def replay(foundry: Foundry, organization: int, delivery_id: int) -> dict[str, Any]:
    """Send a delivery's event again, to the same target: a new delivery in the log."""
    now = foundry.now()
    with foundry.db.write() as conn:
        row = queries.delivery_of(conn, organization, delivery_id)
        if row is None:
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        fresh = queries.requeue_delivery(conn, row, now)
    return _delivery_dict(fresh)
