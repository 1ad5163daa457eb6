"""API keys and contributor tokens: random, prefixed so a leaked one is recognisable, stored
only as a SHA-256 hash (they carry 256 bits of entropy, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "dfk_"
CONTRIBUTOR_TOKEN_PREFIX = "dfc_"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def shown_prefix(secret: str) -> str:
    """The part of a secret that may be shown and logged: enough to recognise it."""
    return secret[:12]
