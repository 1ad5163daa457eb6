"""Webhooks: events written to an outbox in the transaction that caused them, delivered at
least once, in order per subject, signed with the organization's secret.

- ``emit(conn, …)`` is called inside a write transaction (the submit that finished a record,
  say): it stores the event and one delivery row per target — every active endpoint of the
  organization that wants the event type, plus any one-off URL a subscriber adds (a task's
  callback). If the transaction rolls back, no event exists; if it commits, the event will be
  delivered, however often the deliverer is restarted.
- The ``Deliverer`` claims due deliveries in one statement (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), only the oldest pending delivery of each (target, subject) chain, so a receiver
  sees the events about one item in the order they happened. A failed try is retried with
  exponential backoff until ``webhook_retry_hours`` after the event; then it is marked failed.
- Only public addresses are sent to, unless the operator allows more
  (``webhook_allowed_networks``, see ``datafab.netguard``): a URL naming a non-public address
  is refused when it is given; at delivery the host is resolved, every address checked, and
  the connection made to a checked address. A refused delivery fails at once (no retries);
  redirects are never followed.
- Every request carries ``Datafab-Event-Id``, ``Datafab-Event-Type``, ``Datafab-Timestamp``
  and ``Datafab-Signature: v1=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
  organization's signing secret (see docs/webhooks.md for the receiver's check).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from datafab import netguard
from datafab.errors import InvalidInput, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.store.tables import (
    Json,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_secrets,
)

log = logging.getLogger("datafab.webhooks")

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
EVENT_TYPES = ("record.finished", "project.finished", "budget.reached")
MAX_URL = 2000
LOCK_SECONDS = 60.0  # a claimed delivery is someone's for this long (then it is free again)
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20,
                      keepalive_expiry=5.0)  # httpx's own defaults, for the deliverer's pool

#: Who else receives an event: event type -> "module:function" entries, each called inside
#: the emitting transaction as ``fn(conn, organization, type, subject, data, now)`` and
#: returning one-off targets ``[(url, body_text), …]`` (a task's callback, say).
SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    "record.finished": ("datafab.services.scale_compat:task_callbacks",),
}


# -- signing ------------------------------------------------------------------------------------

def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The signature header's value for a body sent at ``timestamp`` (UNIX seconds)."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp, given = lower.get("datafab-timestamp"), lower.get("datafab-signature", "")
    if not timestamp or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in given.split(","))


def _secret_of(conn: Connection, organization: int, now: float) -> str:
    row = conn.execute(select(webhook_secrets.c.secret).where(
        webhook_secrets.c.organization_id == organization)).first()
    if row is not None:
        return row.secret
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    conn.execute(insert(webhook_secrets).values(organization_id=organization, secret=secret,
                                                created_at=now))
    return secret


def signing_secret(foundry: Foundry, organization: int) -> str:
    """The organization's signing secret (made on first use)."""
    with foundry.db.write() as conn:
        return _secret_of(conn, organization, foundry.now())


def rotate_secret(foundry: Foundry, organization: int) -> str:
    """A new signing secret; deliveries from now on are signed with it."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with foundry.db.write() as conn:
        _secret_of(conn, organization, foundry.now())
        conn.execute(update(webhook_secrets).where(
            webhook_secrets.c.organization_id == organization).values(secret=secret))
    return secret


# -- endpoints ----------------------------------------------------------------------------------

def allowed(foundry: Foundry) -> netguard.Allowlist:
    """The non-public destinations the operator allows (``webhook_allowed_networks``)."""
    return netguard.allowlist(foundry.settings.webhook_allowed_networks)


def check_url(url: Any, field: str = "url", *, allowlist: netguard.Allowlist) -> str:
    """An absolute http(s) URL with a host, no credentials, at most ``MAX_URL`` characters,
    whose host is not spelled as a non-public address (or ``localhost``) the operator has not
    allowed. A host name is only checked at delivery, when it is resolved."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(f"{field}: expected an http(s) URL", field=field)
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"{field}: longer than {MAX_URL} characters", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"{field}: not a valid URL ({exc})", field=field) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"{field}: the scheme must be http or https", field=field)
    if not parts.hostname:
        raise InvalidInput(f"{field}: the URL has no host", field=field)
    if parts.username or parts.password:
        raise InvalidInput(f"{field}: credentials in the URL are not allowed", field=field)
    if any(c.isspace() for c in url):
        raise InvalidInput(f"{field}: the URL contains whitespace", field=field)
    if port == 0:
        raise InvalidInput(f"{field}: port 0 is not a port", field=field)
    if netguard.literal(parts.hostname) is None and not all(
            part for part in parts.hostname.split(".")):
        raise InvalidInput(f"{field}: {parts.hostname!r} is not a host name", field=field)
    why = netguard.refusal(parts.hostname, allowlist)
    if why is not None:
        raise InvalidInput(f"{field}: {why}; webhooks go only to public addresses unless the "
                           f"operator allows it in {netguard.SETTING}", field=field)
    return url


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Where events are POSTed (http or https).")
    events: list[str] | None = Field(
        None, description=f"Event types to send (of {', '.join(EVENT_TYPES)}); all if omitted.")


def _endpoint_dict(row) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": row.events, "active": row.active,
            "created_at": row.created_at}


def create_endpoint(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInput("body: expected a JSON object", field="body")
    try:
        spec = EndpointIn.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    url = check_url(spec.url, allowlist=allowed(foundry))
    if spec.events is not None:
        for i, kind in enumerate(spec.events):
            if kind not in EVENT_TYPES:
                raise InvalidInput(f"events.{i}: unknown event type {kind!r}; one of "
                                   f"{', '.join(EVENT_TYPES)}", field=f"events.{i}")
    now = foundry.now()
    with foundry.db.write() as conn:
        _secret_of(conn, organization, now)
        new_id = conn.execute(insert(webhook_endpoints).values(
            organization_id=organization, url=url, events=spec.events, active=True,
            created_at=now).returning(webhook_endpoints.c.id)).scalar_one()
        row = conn.execute(select(webhook_endpoints).where(
            webhook_endpoints.c.id == new_id)).one()
    return _endpoint_dict(row)


def list_endpoints(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = conn.execute(select(webhook_endpoints).where(
            webhook_endpoints.c.organization_id == organization).order_by(
            webhook_endpoints.c.id)).all()
    return [_endpoint_dict(r) for r in rows]


def delete_endpoint(foundry: Foundry, organization: int, endpoint_id: int) -> None:
    """Stop sending to an endpoint; its pending deliveries are dropped with it."""
    with foundry.db.write() as conn:
        gone = conn.execute(delete(webhook_endpoints).where(
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.organization_id == organization)).rowcount
        if not gone:
            raise NotFound(f"endpoint {endpoint_id} not found", field="endpoint_id")
        conn.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.target == f"endpoint:{endpoint_id}",
            webhook_deliveries.c.status == "pending").values(status="dropped"))


# -- the outbox ---------------------------------------------------------------------------------

def event_body(event_id: int, kind: str, created_at: float, data: dict[str, Any]) -> str:
    return json.dumps({"id": f"evt_{event_id}", "type": kind, "created_at": created_at,
                       "data": data}, separators=(",", ":"), sort_keys=True)


_ENDPOINTS = text(
    "SELECT id, url, events FROM webhook_endpoints WHERE organization_id = :org AND active"
).columns(events=Json)


def emit(conn: Connection, organization: int, kind: str, subject: str, data: dict[str, Any],
         now: float, targets: Iterable[tuple[str, str]] = ()) -> int:
    """Write an event to the outbox inside the caller's transaction; its id.

    ``subject`` names what the event is about (``item:42``): the events of one subject reach
    each target in order. ``targets`` adds one-off deliveries ``(url, body_text)``."""
    event_id = conn.execute(insert(webhook_events).values(
        organization_id=organization, type=kind, subject=subject, payload=data,
        created_at=now).returning(webhook_events.c.id)).scalar_one()
    rows = []
    for ep in conn.execute(_ENDPOINTS, {"org": organization}).all():
        if ep.events is None or kind in ep.events:
            rows.append({"endpoint_id": ep.id, "url": ep.url, "target": f"endpoint:{ep.id}",
                         "body": None})
    extra = list(targets)
    for entry in SUBSCRIBERS.get(kind, ()):
        extra += _load(entry)(conn, organization, kind, subject, data, now)
    for url, body in extra:
        rows.append({"endpoint_id": None, "url": url, "target": url, "body": body})
    if rows:
        conn.execute(insert(webhook_deliveries), [
            {**row, "event_id": event_id, "organization_id": organization, "subject": subject,
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for row in rows
        ])
    return event_id


_LOADED: dict[str, Callable] = {}


def _load(entry: str) -> Callable:
    if entry not in _LOADED:
        module, attr = entry.split(":")
        _LOADED[entry] = getattr(importlib.import_module(module), attr)
    return _LOADED[entry]


# -- the delivery log ---------------------------------------------------------------------------

def _delivery_dict(row) -> dict[str, Any]:
    return {
        "id": row.id, "event_id": f"evt_{row.event_id}", "event_type": row.type,
        "subject": row.subject, "endpoint_id": row.endpoint_id, "url": row.url,
        "status": row.status, "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "created_at": row.created_at, "delivered_at": row.delivered_at,
    }


def _log_query():
    d, e = webhook_deliveries, webhook_events
    return select(d, e.c.type).join(e, e.c.id == d.c.event_id)


def list_deliveries(foundry: Foundry, organization: int, *, cursor: str | None = None,
                    limit: int = 100, status: str | None = None
                    ) -> tuple[list[dict[str, Any]], str | None]:
    """The organization's deliveries, oldest first."""
    after, limit = decode_cursor(cursor), check_limit(limit)
    if status not in (None, "pending", "delivered", "failed", "dropped"):
        raise InvalidInput("status: one of pending, delivered, failed, dropped", field="status")
    d = webhook_deliveries
    query = _log_query().where(d.c.organization_id == organization, d.c.id > after)
    if status is not None:
        query = query.where(d.c.status == status)
    with foundry.db.read() as conn:
        rows = conn.execute(query.order_by(d.c.id).limit(limit + 1)).all()
    page = [_delivery_dict(r) for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def replay(foundry: Foundry, organization: int, delivery_id: int) -> dict[str, Any]:
    """Send a delivery's event again, to the same target: a new delivery in the log."""
    d = webhook_deliveries
    now = foundry.now()
    with foundry.db.write() as conn:
        row = conn.execute(select(d).where(d.c.id == delivery_id,
                                           d.c.organization_id == organization)).first()
        if row is None:
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        new_id = conn.execute(insert(d).values(
            event_id=row.event_id, organization_id=organization, endpoint_id=row.endpoint_id,
            url=row.url, target=row.target, subject=row.subject, body=row.body,
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        ).returning(d.c.id)).scalar_one()
        fresh = conn.execute(_log_query().where(d.c.id == new_id)).one()
    return _delivery_dict(fresh)


# -- the deliverer ------------------------------------------------------------------------------

_CLAIM = (
    "UPDATE webhook_deliveries SET locked_until = :lock WHERE id IN ("
    " SELECT d.id FROM webhook_deliveries d"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= :now"
    " AND (d.locked_until IS NULL OR d.locked_until < :now)"
    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending'"
    "  AND e.target = d.target AND e.subject = d.subject AND e.id < d.id)"
    " ORDER BY d.id LIMIT :n{skip})"
    " RETURNING id"
)
_CLAIMS = {"postgresql": text(_CLAIM.format(skip=" FOR UPDATE SKIP LOCKED")),
           "sqlite": text(_CLAIM.format(skip=""))}
_DUE = text(
    "SELECT d.id, d.organization_id, d.url, d.body, d.attempts, d.subject,"
    " e.id AS event_id, e.type, e.payload, e.created_at AS event_created_at, s.secret"
    " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id"
    " LEFT JOIN webhook_secrets s ON s.organization_id = d.organization_id"
    " WHERE d.id IN :ids ORDER BY d.id"
).bindparams(bindparam("ids", expanding=True)).columns(payload=Json)


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    ok: bool
    status_code: int | None
    error: str | None


class _CheckedBackend(httpcore.NetworkBackend):
    """Opens connections only to addresses ``netguard`` allows: the host is resolved once,
    every address checked, and the socket opened to a checked address (so DNS cannot answer
    differently between the check and the connect). TLS still verifies the host name."""

    def __init__(self, allowlist: netguard.Allowlist) -> None:
        self.allowlist = allowlist
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = netguard.resolve(host, port, self.allowlist)
        except OSError as exc:  # does not resolve (now): a connect error, retried
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        last: Exception = httpcore.ConnectError(f"{host}: no address")
        for address in addresses:  # in the resolver's order, as a plain connect would
            try:
                return self.inner.connect_tcp(str(address), port, timeout=timeout,
                                              local_address=local_address,
                                              socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class CheckedTransport(httpx.HTTPTransport):
    """httpx's transport, its connections opened by ``_CheckedBackend``: the pool httpx
    builds (``_pool``, what ``handle_request`` sends through) with our network backend."""

    def __init__(self, allowlist: netguard.Allowlist, limits: httpx.Limits = LIMITS) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(allowlist))


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: base·2^(n-1), at most ``cap``."""
    return min(cap, base * 2 ** max(0, attempts - 1))


class Deliverer:
    """Sends due deliveries. ``run_once`` is one pass; ``start`` runs passes in a thread.

    Its client connects only where ``webhook_allowed_networks`` permits, does not follow
    redirects (a 3xx is a failed try: the next hop could be anywhere) and takes nothing from
    the environment: no proxy (which, not Datafab, would resolve the host), no .netrc."""

    def __init__(self, foundry: Foundry, *, batch: int = 50) -> None:
        self.foundry, self.batch = foundry, batch
        settings = foundry.settings
        self.client = httpx.Client(timeout=settings.webhook_timeout_seconds,
                                   follow_redirects=False, trust_env=False,
                                   transport=CheckedTransport(allowed(foundry)))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self) -> list[Any]:
        now = self.foundry.now()
        with self.foundry.db.write() as conn:
            ids = [r.id for r in conn.execute(_CLAIMS[conn.dialect.name],
                                              {"now": now, "lock": now + LOCK_SECONDS,
                                               "n": self.batch}).all()]
            if not ids:
                return []
            return list(conn.execute(_DUE, {"ids": ids}).all())

    def run_once(self) -> list[Attempt]:
        """Claim what is due (the head of each chain) and send it; what happened."""
        return [self._send(row) for row in self.claim()]

    def drain(self, max_passes: int = 1000) -> int:
        """Pass until nothing is due now; how many deliveries succeeded."""
        ok = 0
        for _ in range(max_passes):
            attempts = self.run_once()
            if not attempts:
                break
            ok += sum(a.ok for a in attempts)
        return ok

    def _send(self, row) -> Attempt:
        body = row.body if row.body is not None else event_body(
            row.event_id, row.type, row.event_created_at, row.payload)
        timestamp = int(self.foundry.now())
        secret = row.secret or signing_secret(self.foundry, row.organization_id)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Datafab-Webhooks/1",
            "Datafab-Event-Id": f"evt_{row.event_id}",
            "Datafab-Event-Type": row.type,
            "Datafab-Delivery-Id": str(row.id),
            "Datafab-Timestamp": str(timestamp),
            "Datafab-Signature": sign(secret, timestamp, body),
        }
        code, error, final = None, None, False
        try:
            response = self.client.post(row.url, content=body.encode(), headers=headers)
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except netguard.Refused as exc:  # policy, not a fault: trying again cannot help
            error, final = f"refused: {exc}"[:500], True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        self._settle(row, code, error, final=final)
        return Attempt(row.id, error is None, code, error)

    def _settle(self, row, code: int | None, error: str | None, *, final: bool = False
                ) -> None:
        settings, now = self.foundry.settings, self.foundry.now()
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_status_code": code,
                                  "last_error": error, "locked_until": None}
        if error is None:
            values.update(status="delivered", delivered_at=now)
        else:
            wait = backoff(attempts, settings.webhook_backoff_seconds,
                           settings.webhook_backoff_max_seconds)
            horizon = row.event_created_at + settings.webhook_retry_hours * 3600
            if final or now + wait > horizon:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = now + wait
        with self.foundry.db.write() as conn:
            conn.execute(update(webhook_deliveries).where(
                webhook_deliveries.c.id == row.id).values(**values))

    def start(self, idle_seconds: float = 0.5) -> None:
        """Deliver in a background thread until ``stop``."""
        self._thread = threading.Thread(target=self.run_forever, args=(idle_seconds,),
                                        name="datafab-webhooks", daemon=True)
        self._thread.start()

    def run_forever(self, idle_seconds: float = 0.5) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the loop must outlive a database hiccup
                log.exception("webhook delivery pass failed")
                worked = []
            if not worked:
                self._stop.wait(idle_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.client.close()


# -- the line's events --------------------------------------------------------------------------

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


def record_finished(conn: Connection, organization: int, project_id: int, item_id: int,
                    now: float) -> None:
    """An item's record became final (inside the transaction that finished it): emit
    ``record.finished``."""
    row = conn.execute(_RECORD, {"item": item_id}).first()
    if row is None:
        return
    emit(conn, organization, "record.finished", f"item:{item_id}", {
        "project_id": project_id, "item_id": item_id, "external_id": row.external_id,
        "record": {"id": row.id, "answer": row.answer, "confidence": row.confidence,
                   "method": row.method, "n_submissions": row.n_submissions},
    }, now)


_PROJECT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
PROJECT_LOCK_SPACE = 0x44460000  # keeps these advisory lock keys apart from others


def projects_finished(conn: Connection, projects: Iterable[tuple[int, int]],
                      now: float) -> None:
    """After items of these (organization, project) pairs finished, at the end of the
    transaction that finished them: ``project.finished`` for each project with no work left
    (once, until new items arrive). On PostgreSQL an advisory lock per project, taken in
    project order, makes two transactions that finish a project's last two items see each
    other's work (the second waits for the first to commit), so neither misses it."""
    for organization, project_id in sorted(set(projects), key=lambda p: p[1]):
        if conn.dialect.name == "postgresql":
            conn.execute(_PROJECT_LOCK, {"key": PROJECT_LOCK_SPACE * 2**16 + project_id})
        if conn.execute(_UNFINISHED, {"project": project_id}).scalar():
            continue
        subject = f"project:{project_id}"
        if not conn.execute(_ANNOUNCED, {"org": organization, "subject": subject,
                                         "project": project_id}).scalar():
            emit(conn, organization, "project.finished", subject,
                 {"project_id": project_id}, now)


def items_finished(conn: Connection, project, item_ids: list[int], now: float) -> None:
    """A refit finished these items (those it could: an item answered meanwhile kept its
    state): ``record.finished`` for each that is now done."""
    done = conn.execute(text(
        "SELECT id FROM items WHERE id IN :ids AND status = 'done' ORDER BY id"
    ).bindparams(bindparam("ids", expanding=True)), {"ids": item_ids}).scalars().all()
    for item_id in done:
        record_finished(conn, project.organization_id, project.id, item_id, now)
    projects_finished(conn, [(project.organization_id, project.id)], now)
