"""Webhooks: events written to an outbox in the transaction that caused them, delivered at
least once, in order per subject, signed with the organization's secret.

- ``emit(conn, …)`` is called inside a write transaction (the submit that finished a record,
  say): it stores the event and one delivery row per target — every active endpoint of the
  organization that wants the event type, plus any one-off URL a subscriber adds (a task's
  callback; integrations ``subscribe`` to the event types they act on). If the transaction
  rolls back, no event exists; if it commits, the event will be delivered, however often the
  deliverer is restarted.
- The ``Deliverer`` claims due deliveries in one statement (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, see ``store.outbox``), only the oldest pending delivery of each (target,
  subject) chain, so a receiver sees the events about one item in the order they happened;
  organizations in turn, none with more than half the slots in flight. It sends several at
  once, each within a wall-clock deadline, and settles each alone. A failed try is retried
  with exponential backoff until ``webhook_retry_hours`` after the event; then it is marked
  failed.
- Only public addresses are sent to, unless the operator allows more
  (``webhook_allowed_networks``, see ``datafab.netguard``): a URL naming a non-public address
  is refused when it is given; at delivery the host is resolved, every address checked, and
  the connection made to a checked address. A refused delivery fails at once (no retries);
  redirects are never followed.
- Every request carries ``Datafab-Event-Id``, ``Datafab-Event-Type``, ``Datafab-Timestamp``
  and ``Datafab-Signature: v1=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
  organization's signing secret (see docs/webhooks.md for the receiver's check).

One concept per module — ``registry`` (the integrations' subscribers), ``signing``,
``endpoints`` (and the URL rule), ``outbox`` (``emit``, ``emit_many`` and the cached
audience), ``events`` (the line's ``record.finished``/``project.finished``), ``deliveries``
(the log, replay), ``transport`` (checked addresses, the deadline) and ``deliverer`` — and
their SQL in ``store/webhooks.py`` and ``store/outbox.py``. What the rest of Datafab uses is
importable from here.
"""

from __future__ import annotations

from datafab.services.webhooks.deliverer import LOCK_SECONDS, Attempt, Deliverer, backoff
from datafab.services.webhooks.deliveries import list_deliveries, replay
from datafab.services.webhooks.endpoints import (
    MAX_URL,
    EndpointIn,
    allowed,
    check_url,
    create_endpoint,
    delete_endpoint,
    list_endpoints,
)
from datafab.services.webhooks.events import (
    PROJECT_LOCK_SPACE,
    items_finished,
    projects_finished,
    record_finished,
    records_finished,
)
from datafab.services.webhooks.outbox import (
    Audience,
    audience,
    emit,
    emit_many,
    event_body,
    forget_audience,
)
from datafab.services.webhooks.registry import (
    EVENT_TYPES,
    Presence,
    Subscriber,
    subscribe,
    subscribers,
)
from datafab.services.webhooks.signing import (
    SECRET_PREFIX,
    SIGNATURE_VERSION,
    rotate_secret,
    sign,
    signing_secret,
    verify,
)
from datafab.services.webhooks.transport import LIMITS, CheckedTransport

__all__ = [
    "EVENT_TYPES", "LIMITS", "LOCK_SECONDS", "MAX_URL", "PROJECT_LOCK_SPACE", "SECRET_PREFIX",
    "SIGNATURE_VERSION", "Attempt", "Audience", "CheckedTransport", "Deliverer", "EndpointIn",
    "Presence", "Subscriber", "allowed", "audience", "backoff", "check_url",
    "create_endpoint", "delete_endpoint", "emit", "emit_many", "event_body",
    "forget_audience", "items_finished", "list_deliveries", "list_endpoints",
    "projects_finished", "record_finished", "records_finished", "replay", "rotate_secret",
    "sign", "signing_secret", "subscribe", "subscribers", "verify",
]
