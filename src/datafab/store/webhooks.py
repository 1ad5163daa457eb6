"""The webhooks' named queries outside the claim (``store.outbox``): endpoints, the signing
secret's rotation, single events, a delivery's settlement, the delivery log, and what the
line's events read (an item's record, whether a project has work left).

Rows, not rules: which event goes to whom, and when a delivery is retried, are the
services' (``services/webhooks/``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, insert, select, text, update

from datafab.statuses import DeliveryStatus
from datafab.store.tables import (
    Json,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_secrets,
)

# -- endpoints -----------------------------------------------------------------------------

def insert_endpoint(conn: Connection, *, organization: int, url: str,
                    events: list[str] | None, now: float) -> Row[Any]:
    """A new active endpoint; its row."""
    new_id = conn.execute(insert(webhook_endpoints).values(
        organization_id=organization, url=url, events=events, active=True,
        created_at=now).returning(webhook_endpoints.c.id)).scalar_one()
    return conn.execute(select(webhook_endpoints).where(
        webhook_endpoints.c.id == new_id)).one()


def endpoints_of(conn: Connection, organization: int) -> list[Row[Any]]:
    """Every endpoint of the organization, by id."""
    return list(conn.execute(select(webhook_endpoints).where(
        webhook_endpoints.c.organization_id == organization).order_by(
        webhook_endpoints.c.id)).all())


def delete_endpoint(conn: Connection, organization: int, endpoint_id: int) -> bool:
    """Delete the organization's endpoint and drop its pending deliveries; whether it was
    there."""
    gone = conn.execute(delete(webhook_endpoints).where(
        webhook_endpoints.c.id == endpoint_id,
        webhook_endpoints.c.organization_id == organization)).rowcount
    if not gone:
        return False
    conn.execute(update(webhook_deliveries).where(
        webhook_deliveries.c.target == f"endpoint:{endpoint_id}",
        webhook_deliveries.c.status == "pending").values(status=DeliveryStatus.DROPPED))
    return True


def set_secret(conn: Connection, organization: int, secret: str) -> None:
    """Replace the organization's signing secret (it must have one)."""
    conn.execute(update(webhook_secrets).where(
        webhook_secrets.c.organization_id == organization).values(secret=secret))


# -- events and deliveries -----------------------------------------------------------------

def insert_event(conn: Connection, *, organization: int, kind: str, subject: str,
                 payload: dict[str, Any], now: float) -> int:
    """Store one event; its id."""
    return int(conn.execute(insert(webhook_events).values(
        organization_id=organization, type=kind, subject=subject, payload=payload,
        created_at=now).returning(webhook_events.c.id)).scalar_one())


def settle_delivery(conn: Connection, delivery_id: int, values: dict[str, Any]) -> None:
    """Write what a try of a delivery came to."""
    conn.execute(update(webhook_deliveries).where(
        webhook_deliveries.c.id == delivery_id).values(**values))


def _log_query() -> Select[Any]:
    d, e = webhook_deliveries, webhook_events
    return select(d, e.c.type).join(e, e.c.id == d.c.event_id)


def delivery_page(conn: Connection, organization: int, *, after: int, limit: int,
                  status: str | None) -> list[Row[Any]]:
    """Up to ``limit`` of the organization's deliveries after id ``after`` (with their
    event's type), oldest first, of one status if given."""
    d = webhook_deliveries
    query = _log_query().where(d.c.organization_id == organization, d.c.id > after)
    if status is not None:
        query = query.where(d.c.status == status)
    return list(conn.execute(query.order_by(d.c.id).limit(limit)).all())


def delivery_of(conn: Connection, organization: int, delivery_id: int) -> Row[Any] | None:
    """The organization's delivery, if it is one of its."""
    d = webhook_deliveries
    return conn.execute(select(d).where(d.c.id == delivery_id,
                                        d.c.organization_id == organization)).first()


def requeue_delivery(conn: Connection, row: Row[Any], now: float) -> Row[Any]:
    """A new pending delivery of ``row``'s event to the same target; its log row."""
    d = webhook_deliveries
    new_id = conn.execute(insert(d).values(
        event_id=row.event_id, organization_id=row.organization_id,
        endpoint_id=row.endpoint_id, url=row.url, target=row.target, subject=row.subject,
        body=row.body, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now,
        created_at=now,
    ).returning(d.c.id)).scalar_one()
    return conn.execute(_log_query().where(d.c.id == new_id)).one()


# -- what the line's events read -----------------------------------------------------------

_RECORD = text(
    "SELECT r.id, r.answer, r.confidence, r.method, r.n_submissions, r.updated_at, "
    "i.external_id FROM records r JOIN items i ON i.id = r.item_id WHERE r.item_id = :item"
).columns(answer=Json)
_UNFINISHED = text(
    "SELECT EXISTS (SELECT 1 FROM items WHERE project_id = :project AND status = 'open' "
    "AND slots > 0) OR EXISTS (SELECT 1 FROM items WHERE project_id = :project "
    "AND status = 'model') OR EXISTS (SELECT 1 FROM leases WHERE status = 'active' "
    "AND project_id = :project)"
)
_ANNOUNCED = text(
    "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE organization_id = :org "
    "AND subject = :subject AND type = 'project.finished' AND created_at >= "
    "(SELECT max(created_at) FROM items WHERE project_id = :project))"
)
_PROJECT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
PROJECT_LOCK_SPACE = 0x44460000  # keeps these advisory lock keys apart from others
_DONE = text(
    "SELECT id FROM items WHERE id IN :ids AND status = 'done' ORDER BY id"
).bindparams(bindparam("ids", expanding=True))


def finished_record(conn: Connection, item_id: int) -> Row[Any] | None:
    """An item's record with its item's external id."""
    return conn.execute(_RECORD, {"item": item_id}).first()


def lock_project(conn: Connection, project_id: int) -> None:
    """On PostgreSQL, wait for (then hold until commit) the project's advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(_PROJECT_LOCK, {"key": PROJECT_LOCK_SPACE * 2**16 + project_id})


# The open item a claim would take last (the leasable index read backwards) that no other
# transaction holds, locked as for an update (not shared: concurrent submits each take a
# different one, and no multixact is made); leasers skip it until this transaction ends.
_HOLD_OPEN_ITEM = text(
    "SELECT id FROM items WHERE project_id = :project AND status = 'open' AND slots > 0 "
    "ORDER BY priority, id DESC LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"
)


def holds_open_item(conn: Connection, project_id: int) -> bool:
    """On PostgreSQL, lock one open item of the project that no other transaction holds,
    and whether there was one: then no transaction can finish that item before this
    one commits, so the project still has work when it does. On SQLite, ``False`` without a
    statement (the single writer sees everything there is; ``has_work_left`` suffices)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(_HOLD_OPEN_ITEM, {"project": project_id}).first() is not None


def has_work_left(conn: Connection, project_id: int) -> bool:
    """Whether the project has open slots, items at the model stage or active leases."""
    return bool(conn.execute(_UNFINISHED, {"project": project_id}).scalar())


def finish_announced(conn: Connection, organization: int, subject: str,
                     project_id: int) -> bool:
    """Whether ``project.finished`` went out since the project's newest item arrived."""
    return bool(conn.execute(_ANNOUNCED, {"org": organization, "subject": subject,
                                          "project": project_id}).scalar())


def done_items(conn: Connection, item_ids: list[int]) -> list[int]:
    """Which of these items are done, in id order."""
    return list(conn.execute(_DONE, {"ids": item_ids}).scalars().all())
