"""Idempotency keys: a POST sent again with the same ``Idempotency-Key`` gets the first
answer back instead of doing the work twice.

A key belongs to one caller (the credential that sent it) and lives 24 hours. The first
request claims it (in flight); when it finishes, its response is stored. A repeat with the
same request (method, path, query and body: its fingerprint) gets that stored response; with a
different request, 422; while the first is still running, 409 with ``Retry-After``. A running
request renews its claim (``heartbeat``) every third of ``idempotency_lock_seconds``, so a long
one keeps its key however long it takes, while one that never finished — its server died —
frees its key within ``idempotency_lock_seconds`` of its last heartbeat; a retry then runs it
again (every POST is safe to run again: a submitted lease refuses a second answer or returns
the first receipt, a released lease answers as its first release did, a re-sent item changes
nothing).

A response that shows a secret (a new API key, a webhook signing secret, a contributor token)
is never stored: the key remembers only that the request succeeded, and a repeat gets 409
``idempotency_secret_shown_once`` instead of the secret, and nothing is done twice.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from datafab.errors import Conflict, InvalidInput
from datafab.foundry import Foundry
from datafab.services.secrets import carries_secret
from datafab.store import idempotency as store

TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255
PURGE_EVERY = 600.0  # seconds between sweeps for expired keys, per process


class KeyInFlight(Conflict):
    type = "idempotency_in_flight"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="Idempotency-Key")
        self.retry_after = retry_after


class KeyReused(InvalidInput):
    type = "idempotency_key_reused"


class SecretShownOnce(Conflict):
    type = "idempotency_secret_shown_once"


@dataclass(frozen=True)
class Stored:
    """A finished request's response, to be replayed."""

    status: int
    content_type: str | None
    body: bytes


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def scope_of(credential: str) -> str:
    """The caller a key belongs to: a digest of the credential (never the credential)."""
    return hashlib.sha256(b"idempotency:" + credential.encode()).hexdigest()


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            field="Idempotency-Key",
        )
    return key


def begin(foundry: Foundry, scope: str, key: str, print_: str) -> int | Stored:
    """Claim ``key`` for a request with fingerprint ``print_``: the claim's id (run the
    request, then ``finish``), or the stored response of the earlier identical request.
    Raises ``KeyReused`` (another request had this key) or ``KeyInFlight``."""
    now = foundry.now()
    lock = now + foundry.settings.idempotency_lock_seconds
    with foundry.db.write() as conn:
        claimed = store.claim(conn, scope=scope, key=key, fingerprint=print_, now=now,
                              locked_until=lock)
        if claimed is not None:
            return claimed
        row = store.get(conn, scope=scope, key=key)
        if store.take_over(conn, row.id, fingerprint=print_, now=now, locked_until=lock,
                           expired_before=now - TTL_SECONDS):
            return row.id
    if row.fingerprint != print_:
        raise KeyReused(
            "Idempotency-Key: already used for a different request (another path or body)",
            field="Idempotency-Key",
        )
    if row.status == "in_flight":
        raise KeyInFlight("Idempotency-Key: the first request with this key is still running",
                          retry_after=max(1, math.ceil(row.locked_until - now)))
    if row.status == store.WITHHELD:
        raise SecretShownOnce(
            f"Idempotency-Key: the first request with this key succeeded "
            f"({row.response_status}) and was not run again; its response showed a secret, "
            "which is shown only once and never stored",
            field="Idempotency-Key",
        )
    return Stored(row.response_status, row.response_type, bytes(row.response_body or b""))


def heartbeat(foundry: Foundry, claim: int) -> None:
    """Tell the key a request is still running: it stays busy for another lock period."""
    with foundry.db.write() as conn:
        store.extend(conn, claim,
                     locked_until=foundry.now() + foundry.settings.idempotency_lock_seconds)


def finish(foundry: Foundry, claim: int, status: int, content_type: str | None,
           body: bytes, *, storable: bool = True) -> None:
    """Store a finished request's response under its key; only its status when it shows a
    secret, or when it says it must not be stored (``storable``: no ``Cache-Control:
    no-store``)."""
    with foundry.db.write() as conn:
        if storable and not carries_secret(body):
            store.finish(conn, claim, status=status, content_type=content_type, body=body)
        else:
            store.withhold(conn, claim, status=status)


def abandon(foundry: Foundry, claim: int) -> None:
    """Forget a claim whose request failed (a 5xx, a refusal worth retrying)."""
    with foundry.db.write() as conn:
        store.drop(conn, claim)


def purge(foundry: Foundry) -> int:
    """Delete keys older than 24 hours; how many."""
    with foundry.db.write() as conn:
        return store.purge(conn, before=foundry.now() - TTL_SECONDS)
