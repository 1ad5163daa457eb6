"""The outbox: events written in the transaction that caused them.

``emit(conn, …)`` is called inside a write transaction (the submit that finished a record,
say): it stores the event and one delivery row per target — every active endpoint of the
organization that wants the event type, plus any one-off URL a subscriber adds (a task's
callback; integrations ``subscribe`` to the event types they act on). If the transaction
rolls back, no event exists; if it commits, the event will be delivered, however often the
deliverer is restarted. ``emit_many`` does the same for a batch, set-based, asking only the
organization's ``audience`` (cached for a moment)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datafab.foundry import Foundry
from datafab.services.webhooks.registry import (
    is_conditional,
    named_subscribers,
    presences,
    subscribers,
)
from datafab.store import outbox
from datafab.store import webhooks as queries
from datafab.store.handles import Connection


def event_body(event_id: int, kind: str, created_at: float, data: dict[str, Any]) -> str:
    return json.dumps({"id": f"evt_{event_id}", "type": kind, "created_at": created_at,
                       "data": data}, separators=(",", ":"), sort_keys=True)


def _pending(row: dict[str, Any], event_id: int, organization: int, subject: str,
             now: float) -> dict[str, Any]:
    return {**row, "event_id": event_id, "organization_id": organization, "subject": subject,
            "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


def emit(conn: Connection, organization: int, kind: str, subject: str, data: dict[str, Any],
         now: float, targets: Iterable[tuple[str, str]] = ()) -> int:
    """Write an event to the outbox inside the caller's transaction; its id.

    ``subject`` names what the event is about (``item:42``): the events of one subject reach
    each target in order. ``targets`` adds one-off deliveries ``(url, body_text)``."""
    event_id = queries.insert_event(conn, organization=organization, kind=kind,
                                    subject=subject, payload=data, now=now)
    rows = []
    for ep in outbox.endpoints(conn, organization):
        if ep.events is None or kind in ep.events:
            rows.append({"endpoint_id": ep.id, "url": ep.url, "target": f"endpoint:{ep.id}",
                         "body": None})
    extra = list(targets)
    for subscriber in subscribers(kind):
        extra += subscriber(conn, organization, kind, subject, data, now)
    for url, body in extra:
        rows.append({"endpoint_id": None, "url": url, "target": url, "body": body})
    outbox.insert_deliveries(conn, [_pending(row, event_id, organization, subject, now)
                                    for row in rows])
    return event_id


@dataclass(frozen=True)
class Audience:
    """Who can receive an organization's events: whether it has an active endpoint, and
    which conditional subscribers (``subscribe(…, present=…)``) have something for it."""

    endpoints: bool
    present: frozenset[str]

    def reaches(self, name: str) -> bool:
        return not is_conditional(name) or name in self.present


def audience(foundry: Foundry, conn: Connection, organization: int) -> Audience:
    """The organization's audience, cached for a moment (``MomentCache``): cleared at once
    by a change in this process (``forget_audience``), seen by the others within
    ``CACHE_SECONDS``."""
    key = ("outbox_audience", organization)
    hit = foundry.cache.get(key)
    if hit is None:
        hit = Audience(outbox.has_endpoints(conn, organization),
                       frozenset(name for name, present in presences().items()
                                 if present(conn, organization)))
        foundry.cache.put(key, hit)
    return hit


def forget_audience(foundry: Foundry, organization: int) -> None:
    """An endpoint or a subscriber's object (a Scale task with a callback) came or went."""
    foundry.cache.forget(("outbox_audience", organization))


def emit_many(foundry: Foundry, conn: Connection, organization: int, kind: str,
              events: list[tuple[str, dict[str, Any]]], now: float) -> list[int]:
    """``emit`` for several events of one organization and type, each about a different
    subject, set-based: one insert for the events, one for their deliveries, and no query
    for endpoints or subscribers the organization does not have (its cached ``audience``).
    Their ids, in order."""
    ids = outbox.insert_events(conn, [
        {"organization_id": organization, "type": kind, "subject": subject, "payload": data,
         "created_at": now} for subject, data in events])
    listeners = audience(foundry, conn, organization)
    wanted = [ep for ep in (outbox.endpoints(conn, organization) if listeners.endpoints else [])
              if ep.events is None or kind in ep.events]
    called = [fn for name, fn in named_subscribers(kind).items() if listeners.reaches(name)]
    rows = []
    for event_id, (subject, data) in zip(ids, events, strict=True):
        targets: list[tuple[int | None, str, str, str | None]] = [
            (ep.id, ep.url, f"endpoint:{ep.id}", None) for ep in wanted]
        for fn in called:
            targets += [(None, url, url, body)
                        for url, body in fn(conn, organization, kind, subject, data, now)]
        rows += [_pending({"endpoint_id": endpoint, "url": url, "target": target,
                           "body": body}, event_id, organization, subject, now)
                 for endpoint, url, target, body in targets]
    outbox.insert_deliveries(conn, rows)
    return ids
