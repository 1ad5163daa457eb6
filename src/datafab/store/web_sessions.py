"""Browser sessions' SQL: open, look up, slide, end and forget a session row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from datafab.store.tables import web_sessions


def slide(conn: Connection, *, id_hash: str, until: float, longest: float) -> None:
    """Make the live session end at ``until``, but never past ``longest`` seconds after it
    began."""
    latest = web_sessions.c.created_at + longest
    least = func.min if conn.dialect.name == "sqlite" else func.least
    conn.execute(update(web_sessions)
                 .where(web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None))
                 .values(expires_at=least(latest, until)))


def forget_before(conn: Connection, before: float) -> None:
    """Delete the sessions that expired before ``before``."""
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < before))


def open_row(conn: Connection, *, id_hash: str, role: str, subject: int, now: float,
             expires: float) -> None:
    conn.execute(insert(web_sessions).values(
        id_hash=id_hash, role=role, subject=subject, created_at=now, expires_at=expires))


def session(conn: Connection, id_hash: str) -> Row[*tuple[Any, ...]] | None:
    """(role, subject, expires_at, ended_at) of the session with this digest."""
    return conn.execute(select(web_sessions.c.role, web_sessions.c.subject,
                               web_sessions.c.expires_at, web_sessions.c.ended_at)
                        .where(web_sessions.c.id_hash == id_hash)).first()


def end(conn: Connection, id_hash: str, now: float) -> None:
    conn.execute(update(web_sessions)
                 .where(web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None))
                 .values(ended_at=now))
