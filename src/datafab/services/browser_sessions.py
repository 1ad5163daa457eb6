"""Signed-in browser sessions, kept on the server.

A signed-in cookie carries a random session id; the database keeps only its SHA-256 digest,
with who it is for and until when. A session is live while its row exists, has not ended and
has not expired: logging out ends the row, so the same cookie, copied or replayed, opens
nothing afterwards. A copy of the database holds neither the ids nor the key cookies are
signed with, so it cannot be turned into a session either.
"""

from __future__ import annotations

from datafab.foundry import Foundry
from datafab.services.secrets import digest
from datafab.store import accounts as accounts_sql
from datafab.store import web_sessions as web_sessions_sql

FORGET_AFTER = 7 * 86_400.0  # seconds past its end a session's row is deleted


def open_session(foundry: Foundry, session_id: str, role: str, subject: int,
                 expires: float) -> None:
    """Record a new signed-in session (and drop rows long past their end)."""
    now = foundry.now()
    with foundry.db.write() as conn:
        web_sessions_sql.forget_before(conn, now - FORGET_AFTER)
        web_sessions_sql.open_row(conn, id_hash=digest(session_id), role=role,
                                  subject=subject, now=now, expires=expires)


def is_live(foundry: Foundry, session_id: str, role: str, subject: int) -> bool:
    """Whether the session is still open, for this role and subject."""
    with foundry.db.read() as conn:
        row = web_sessions_sql.session(conn, digest(session_id))
    return (row is not None and row.ended_at is None and row.expires_at > foundry.now()
            and row.role == role and row.subject == subject)


def idle_limit(foundry: Foundry, session_id: str, seconds: float, longest: float) -> None:
    """End the session ``seconds`` from now unless it is used again, and never past
    ``longest`` seconds after it began (each restricted project's page calls this again, so
    working keeps it open and leaving the screen closes it)."""
    with foundry.db.write() as conn:
        web_sessions_sql.slide(conn, id_hash=digest(session_id), until=foundry.now() + seconds,
                               longest=longest)


def end_session(foundry: Foundry, session_id: str) -> None:
    with foundry.db.write() as conn:
        web_sessions_sql.end(conn, digest(session_id), foundry.now())


def live_key_digests(foundry: Foundry, organization: int) -> list[str]:
    """The digests of the organization's working API keys (a requester session stays open
    while the key it was opened with is one of them)."""
    with foundry.db.read() as conn:
        return accounts_sql.live_key_digests(conn, organization)
