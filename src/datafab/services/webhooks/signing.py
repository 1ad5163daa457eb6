"""Signing: each request's ``Datafab-Signature`` is the HMAC-SHA256 of
``"<timestamp>.<body>"`` under the organization's signing secret (made on first use,
rotated on request; see docs/webhooks.md for the receiver's check)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from datafab.foundry import Foundry
from datafab.store import webhooks as queries
from datafab.store.handles import Connection
from datafab.store.outbox import secret_of

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"


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


def secret_in(conn: Connection, organization: int, now: float) -> str:
    """The organization's signing secret inside the caller's transaction (made if none)."""
    return secret_of(conn, organization, new_secret=SECRET_PREFIX + secrets.token_urlsafe(32),
                     now=now)


def signing_secret(foundry: Foundry, organization: int) -> str:
    """The organization's signing secret (made on first use)."""
    with foundry.db.write() as conn:
        return secret_in(conn, organization, foundry.now())


def rotate_secret(foundry: Foundry, organization: int) -> str:
    """A new signing secret; deliveries from now on are signed with it."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with foundry.db.write() as conn:
        secret_in(conn, organization, foundry.now())
        queries.set_secret(conn, organization, secret)
    return secret
