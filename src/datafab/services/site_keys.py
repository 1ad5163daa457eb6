"""The key browser sessions are signed with: ``DATAFAB_SESSION_SECRET`` when set, otherwise a
random key made on first use and kept in the database, so every process serving the same
database signs and checks cookies alike and sessions survive a restart."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from datafab.foundry import Foundry
from datafab.store.tables import site_keys

SESSION_KEY = "session"


def session_key(foundry: Foundry) -> bytes:
    configured = foundry.settings.session_secret
    if configured:
        return hashlib.sha256(b"datafab-session:" + configured.encode()).digest()
    stored = _stored(foundry)
    if stored is None:
        try:
            with foundry.db.write() as conn:
                conn.execute(site_keys.insert().values(
                    name=SESSION_KEY, secret=secrets.token_hex(32), created_at=foundry.now()))
        except IntegrityError:  # another process made it first: use theirs
            pass
        stored = _stored(foundry)
    return bytes.fromhex(stored)


def _stored(foundry: Foundry) -> str | None:
    with foundry.db.read() as conn:
        return conn.execute(
            select(site_keys.c.secret).where(site_keys.c.name == SESSION_KEY)
        ).scalar()
