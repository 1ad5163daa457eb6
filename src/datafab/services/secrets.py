"""API keys, contributor tokens and webhook signing secrets: random, prefixed so a leaked one
is recognisable. Keys and tokens are stored only as a SHA-256 hash (they carry 256 bits of
entropy, so a fast hash is enough); no response that shows one is ever stored."""

from __future__ import annotations

import hashlib
import re
import secrets

API_KEY_PREFIX = "dfk_"
CONTRIBUTOR_TOKEN_PREFIX = "dfc_"
WEBHOOK_SECRET_PREFIX = "whsec_"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def shown_prefix(secret: str) -> str:
    """The part of a secret that may be shown and logged: enough to recognise it."""
    return secret[:12]


# Every secret Datafab hands out once: API keys, contributor tokens, webhook signing secrets.
SECRET_PREFIXES = (API_KEY_PREFIX, CONTRIBUTOR_TOKEN_PREFIX, WEBHOOK_SECRET_PREFIX)
# A whole secret has 43 random characters after its prefix; a shown prefix (12 characters in
# all, as in the key list and the audit log) never matches.
_SECRET = re.compile(b"(?:" + b"|".join(re.escape(p.encode()) for p in SECRET_PREFIXES)
                     + rb")[A-Za-z0-9_-]{32,}")


def carries_secret(body: bytes) -> bool:
    """Whether a response body shows a whole secret (so it must never be kept anywhere)."""
    return _SECRET.search(body) is not None
