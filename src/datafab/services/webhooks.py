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
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from datafab import netguard
from datafab.errors import InvalidInput, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.store import outbox
from datafab.store.outbox import claim_deliveries, secret_of
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

#: A subscriber is called inside the emitting transaction as
#: ``fn(conn, organization, type, subject, data, now)`` and returns one-off targets
#: ``[(url, body_text), …]`` (a task's callback, say).
Subscriber = Callable[[Connection, int, str, str, dict[str, Any], float], list[tuple[str, str]]]

#: Who else receives an event: event type -> subscribers by their qualified name (so an
#: integration imported twice is still one subscriber). See ``subscribe``.
_SUBSCRIBERS: dict[str, dict[str, Subscriber]] = {}
#: Whether a subscriber has anything for an organization at all: ``present(conn, org)``.
Presence = Callable[[Connection, int], bool]
_PRESENT: dict[str, Presence] = {}


def subscribe(kind: str, fn: Subscriber, *, present: Presence | None = None) -> Subscriber:
    """Have ``fn`` add targets to every ``kind`` event from now on, in this process.

    An integration subscribes when it is imported (the Scale adapter's task callbacks);
    the composition roots import the integrations (``datafab.integrations.install``).
    ``present(conn, organization)`` says whether ``fn`` can have anything for the
    organization at all (it has Scale tasks with a callback, say): where it says no, the
    batch path (``emit_many``) never calls ``fn``. The answer is cached per organization
    with the outbox's audience (see ``audience``); whatever makes it turn true must call
    ``forget_audience``."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    name = f"{fn.__module__}.{fn.__qualname__}"
    _SUBSCRIBERS.setdefault(kind, {})[name] = fn
    if present is not None:
        _PRESENT[name] = present
    return fn


def subscribers(kind: str) -> list[Subscriber]:
    """The subscribers to ``kind`` events, in the order they subscribed."""
    return list(_SUBSCRIBERS.get(kind, {}).values())


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
    return secret_of(conn, organization, new_secret=SECRET_PREFIX + secrets.token_urlsafe(32),
                     now=now)


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
    allowed. A host name is only checked at delivery, when it is resolved.

    The URL is parsed here by the parser that sends it (httpx: the host IDNA-encoded, the rest
    percent-encoded), so what is stored is what can be sent, and the host judged is the host
    connected to. No control character, whitespace or lone surrogate is kept anywhere in it:
    each would fail every delivery (or the write that stores it) instead."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(f"{field}: expected an http(s) URL", field=field)
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"{field}: longer than {MAX_URL} characters", field=field)
    bad = _unsendable_character(url)
    if bad is not None:
        raise InvalidInput(f"{field}: the URL contains {bad}", field=field)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise InvalidInput(f"{field}: not a valid URL ({exc})", field=field) from exc
    if parsed.scheme not in ("http", "https"):
        raise InvalidInput(f"{field}: the scheme must be http or https", field=field)
    if not host:
        raise InvalidInput(f"{field}: the URL has no host", field=field)
    if parsed.userinfo:
        raise InvalidInput(f"{field}: credentials in the URL are not allowed", field=field)
    if port is not None and not 0 < port < 65536:
        raise InvalidInput(f"{field}: {port} is not a port (1 to 65535)", field=field)
    if netguard.literal(host) is None and not all(part for part in host.split(".")):
        raise InvalidInput(f"{field}: {host!r} is not a host name", field=field)
    why = netguard.refusal(host, allowlist)
    if why is not None:
        raise InvalidInput(f"{field}: {why}; webhooks go only to public addresses unless the "
                           f"operator allows it in {netguard.SETTING}", field=field)
    return url


def _unsendable_character(url: str) -> str | None:
    """The first character no request line can carry, described (never echoed: a lone
    surrogate cannot even be written into the error's JSON); None if there is none."""
    for position, char in enumerate(url):
        kind = unicodedata.category(char)
        if kind == "Cs":
            what = "a lone surrogate"
        elif kind == "Cc":
            what = "a control character"
        elif char.isspace() or kind in ("Zl", "Zp"):
            what = "whitespace"
        else:
            continue
        return f"{what} (U+{ord(char):04X}) at position {position}"
    return None


class EndpointIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

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
    events = spec.events
    if events is not None:
        for i, kind in enumerate(events):
            if kind not in EVENT_TYPES:
                raise InvalidInput(f"events.{i}: unknown event type {kind!r}; one of "
                                   f"{', '.join(EVENT_TYPES)}", field=f"events.{i}")
        events = list(dict.fromkeys(events))  # one subscription per event type
    now = foundry.now()
    with foundry.db.write() as conn:
        _secret_of(conn, organization, now)
        new_id = conn.execute(insert(webhook_endpoints).values(
            organization_id=organization, url=url, events=events, active=True,
            created_at=now).returning(webhook_endpoints.c.id)).scalar_one()
        row = conn.execute(select(webhook_endpoints).where(
            webhook_endpoints.c.id == new_id)).one()
    forget_audience(foundry, organization)
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
    forget_audience(foundry, organization)


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
    for subscriber in subscribers(kind):
        extra += subscriber(conn, organization, kind, subject, data, now)
    for url, body in extra:
        rows.append({"endpoint_id": None, "url": url, "target": url, "body": body})
    if rows:
        conn.execute(insert(webhook_deliveries), [
            {**row, "event_id": event_id, "organization_id": organization, "subject": subject,
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for row in rows
        ])
    return event_id


@dataclass(frozen=True)
class Audience:
    """Who can receive an organization's events: whether it has an active endpoint, and
    which conditional subscribers (``subscribe(…, present=…)``) have something for it."""

    endpoints: bool
    present: frozenset[str]

    def reaches(self, name: str) -> bool:
        return name not in _PRESENT or name in self.present


def audience(foundry: Foundry, conn: Connection, organization: int) -> Audience:
    """The organization's audience, cached for a moment (``MomentCache``): cleared at once
    by a change in this process (``forget_audience``), seen by the others within
    ``CACHE_SECONDS``."""
    key = ("outbox_audience", organization)
    hit = foundry.cache.get(key)
    if hit is None:
        hit = Audience(outbox.has_endpoints(conn, organization),
                       frozenset(name for name, present in _PRESENT.items()
                                 if present(conn, organization)))
        foundry.cache.put(key, hit)
    return hit


def forget_audience(foundry: Foundry, organization: int) -> None:
    """An endpoint or a subscriber's object (a Scale task with a callback) came or went."""
    foundry.cache.forget(("outbox_audience", organization))


def emit_many(foundry: Foundry, conn: Connection, organization: int, kind: str,
              events: list[tuple[str, dict[str, Any]]], now: float) -> list[int]:
    """``emit`` for several events of one organization and type, each about a different
    subject, set-based: one insert for
    the events, one for their deliveries, and no query for endpoints or subscribers the
    organization does not have (its cached ``audience``). Their ids, in order."""
    ids = outbox.insert_events(conn, [
        {"organization_id": organization, "type": kind, "subject": subject, "payload": data,
         "created_at": now} for subject, data in events])
    listeners = audience(foundry, conn, organization)
    wanted = [ep for ep in (outbox.endpoints(conn, organization) if listeners.endpoints else [])
              if ep.events is None or kind in ep.events]
    called = [fn for name, fn in _SUBSCRIBERS.get(kind, {}).items() if listeners.reaches(name)]
    rows = []
    for event_id, (subject, data) in zip(ids, events, strict=True):
        targets: list[tuple[int | None, str, str, str | None]] = [
            (ep.id, ep.url, f"endpoint:{ep.id}", None) for ep in wanted]
        for fn in called:
            targets += [(None, url, url, body)
                        for url, body in fn(conn, organization, kind, subject, data, now)]
        rows += [{"endpoint_id": endpoint, "url": url, "target": target, "body": body,
                  "event_id": event_id, "organization_id": organization, "subject": subject,
                  "status": "pending", "attempts": 0, "next_attempt_at": now,
                  "created_at": now} for endpoint, url, target, body in targets]
    outbox.insert_deliveries(conn, rows)
    return ids


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

@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    ok: bool
    status_code: int | None
    error: str | None


#: When the delivery this thread is sending must be done (``time.monotonic()``); every socket
#: operation of its request waits at most until then, whatever its own timeout.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_deadline", default=None)


def _within(timeout: float | None, late: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the current delivery's deadline; ``late`` if none."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the delivery's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the delivery's deadline: a receiver
    that answers a byte at a time cannot hold a delivery longer than that (a timeout per read
    alone would let it hold one for ever)."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(
            ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _CheckedBackend(httpcore.NetworkBackend):
    """Opens connections only to addresses ``netguard`` allows: the host is resolved once,
    every address checked, and the socket opened to a checked address (so DNS cannot answer
    differently between the check and the connect). TLS still verifies the host name. Each
    connection keeps to the deadline of the delivery using it."""

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
                return _DeadlineStream(self.inner.connect_tcp(
                    str(address), port, timeout=_within(timeout, httpcore.ConnectTimeout),
                    local_address=local_address, socket_options=socket_options))
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


def _reason(text: str) -> str:
    """An error as the log can store it (no NUL, no lone surrogate), at most 500 characters."""
    clean = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return clean[:500]


class Deliverer:
    """Sends due deliveries, several at once, none of them longer than its deadline.

    ``run_once`` is one pass (claim, send all in parallel, wait); ``start`` runs
    ``run_forever`` in a thread, which keeps up to ``workers`` deliveries in flight and claims
    more as each ends. The claim (``store.outbox``) takes organizations in turn and never gives
    one organization more than ``per_org`` (half the slots) in flight, so one organization's
    backlog or slow endpoint cannot hold up another's deliveries for longer than a claim.

    Each delivery settles alone: a 2xx marks it delivered; a failed try (refused connection,
    timeout, non-2xx) is retried with backoff; a request that cannot be made at all (the
    destination rule refuses it, or a URL stored before URLs were checked as they are now)
    fails at once with the reason. Whatever one delivery raises is caught for that delivery.

    ``webhook_timeout_seconds`` bounds a whole delivery — connect, send, the answer's status
    line and headers — by wall clock, not per read; the answer's body is never read.

    Its client connects only where ``webhook_allowed_networks`` permits, does not follow
    redirects (a 3xx is a failed try: the next hop could be anywhere) and takes nothing from
    the environment: no proxy (which, not Datafab, would resolve the host), no .netrc."""

    def __init__(self, foundry: Foundry, *, batch: int = 50, workers: int | None = None
                 ) -> None:
        settings = foundry.settings
        self.foundry, self.batch = foundry, batch
        self.workers = workers or settings.webhook_concurrency
        self.per_org = max(1, self.workers // 2)
        self.deadline = settings.webhook_timeout_seconds
        # held well past the deadline, so a delivery still being sent is never taken twice
        self.lock_seconds = max(LOCK_SECONDS, 2 * self.deadline + 10)
        self.client = httpx.Client(timeout=self.deadline, follow_redirects=False,
                                   trust_env=False, transport=CheckedTransport(allowed(foundry)))
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="datafab-webhook")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self, n: int | None = None) -> list[Any]:
        now = self.foundry.now()
        with self.foundry.db.write() as conn:
            return claim_deliveries(conn, now=now, lock_until=now + self.lock_seconds,
                                    n=self.batch if n is None else n, per_org=self.per_org)

    def run_once(self) -> list[Attempt]:
        """Claim what is due (the head of each chain, organizations in turn) and send it, in
        parallel; what happened to each."""
        futures = [self.pool.submit(self._send, row) for row in self.claim()]
        attempts = []
        for future in futures:
            try:
                attempts.append(future.result())
            except Exception:  # settling failed (the database): the lock runs out, retried
                log.exception("webhook delivery could not be settled")
        return attempts

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
        started = time.monotonic()
        _DEADLINE.set(started + self.deadline)
        code, error, final = None, None, False
        try:
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
            # streamed, so only the status line and headers are read, never the body
            with self.client.stream("POST", row.url, content=body.encode(),
                                    headers=headers) as response:
                code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except netguard.Refused as exc:  # policy, not a fault: trying again cannot help
            error, final = f"refused: {exc}", True
        except httpx.TimeoutException as exc:
            error = f"{type(exc).__name__}: " + (
                f"no answer within {self.deadline:g} s"
                if time.monotonic() - started >= self.deadline else str(exc))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError, ValueError) as exc:
            # the request cannot be made as stored (a URL from before URLs were checked as
            # they are now): it never will be
            log.warning("webhook delivery %s cannot be sent: %r", row.id, exc)
            error, final = f"unsendable: {type(exc).__name__}: {exc}", True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # anything else (the database, say): this try failed alone
            log.exception("webhook delivery %s failed", row.id)
            error = f"error: {type(exc).__name__}: {exc}"
        finally:
            _DEADLINE.set(None)
        error = None if error is None else _reason(error)
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
        """Keep up to ``workers`` deliveries in flight: claim for the free slots, wait until
        one ends (or ``idle_seconds``, for new work), claim again."""
        in_flight: set[Future] = set()
        while not self._stop.is_set():
            free = self.workers - len(in_flight)
            if free > 0:
                try:
                    rows = self.claim(free)
                except Exception:  # the loop must outlive a database hiccup
                    log.exception("claiming webhook deliveries failed")
                    rows = []
                in_flight |= {self.pool.submit(self._send, row) for row in rows}
            if not in_flight:
                self._stop.wait(idle_seconds)
                continue
            done, in_flight = wait(in_flight, timeout=idle_seconds,
                                   return_when=FIRST_COMPLETED)
            for future in done:
                if future.exception() is not None:
                    log.error("webhook delivery could not be settled",
                              exc_info=future.exception())
        wait(in_flight, timeout=self.deadline + 5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.deadline + 10)
        self.pool.shutdown(wait=True, cancel_futures=True)
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


def records_finished(foundry: Foundry, conn: Connection, organization: int, project_id: int,
                     item_ids: list[int], now: float) -> None:
    """Items' records became final (inside the transaction that finished them):
    ``record.finished`` for each, written in one go (``emit_many``)."""
    found = outbox.finished_records(conn, item_ids)
    emit_many(foundry, conn, organization, "record.finished", [
        (f"item:{item_id}", {
            "project_id": project_id, "item_id": item_id, "external_id": row.external_id,
            "record": {"id": row.id, "answer": row.answer, "confidence": row.confidence,
                       "method": row.method, "n_submissions": row.n_submissions}})
        for item_id in item_ids if (row := found.get(item_id)) is not None], now)


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
