"""Browser sessions' SQL that the session service shares with nothing else."""

from __future__ import annotations

from sqlalchemy import Connection, func, update

from datafab.store.tables import web_sessions


def slide(conn: Connection, *, id_hash: str, until: float, longest: float) -> None:
    """Make the live session end at ``until``, but never past ``longest`` seconds after it
    began."""
    latest = web_sessions.c.created_at + longest
    least = func.min if conn.dialect.name == "sqlite" else func.least
    conn.execute(update(web_sessions)
                 .where(web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None))
                 .values(expires_at=least(latest, until)))
