"""Keys the site holds for itself: random keys made on first use and kept in the database, so
every process serving the same database agrees and they survive a restart.

- the key browser sessions are signed with (``DATAFAB_SESSION_SECRET`` when set instead);
- the key contributor pseudonyms are made with (exports and dashboards show
  ``HMAC(key, project:contributor)``, so nobody without the key can confirm a guess of who
  answered — a plain hash of two small integers could be reversed by trying them all).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from datafab.foundry import Foundry
from datafab.store.tables import site_keys

SESSION_KEY = "session"
PSEUDONYM_KEY = "pseudonym"


def session_key(foundry: Foundry) -> bytes:
    configured = foundry.settings.session_secret
    if configured:
        return hashlib.sha256(b"datafab-session:" + configured.encode()).digest()
    return site_key(foundry, SESSION_KEY)


class Pseudonyms:
    """Stable, keyed pseudonyms for contributors within one project (not linkable across
    projects, not reversible without the site's key)."""

    def __init__(self, foundry: Foundry) -> None:
        self._key = site_key(foundry, PSEUDONYM_KEY)

    def __call__(self, project_id: int, contributor_id: int) -> str:
        message = f"{project_id}:{contributor_id}".encode()
        return "c_" + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:12]


def site_key(foundry: Foundry, name: str) -> bytes:
    """The site's key called ``name``, made on first use."""
    stored = _stored(foundry, name)
    if stored is None:
        try:
            with foundry.db.write() as conn:
                conn.execute(site_keys.insert().values(
                    name=name, secret=secrets.token_hex(32), created_at=foundry.now()))
        except IntegrityError:  # another process made it first: use theirs
            pass
        stored = _stored(foundry, name)
    return bytes.fromhex(stored)


def _stored(foundry: Foundry, name: str) -> str | None:
    with foundry.db.read() as conn:
        return conn.execute(
            select(site_keys.c.secret).where(site_keys.c.name == name)
        ).scalar()
