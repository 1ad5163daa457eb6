"""The site's keys kept in the database (pseudonym key; older session and data keys until
the key file takes them over)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select

from datafab.store.tables import site_keys


def secrets_named(conn: Connection, names: Iterable[str]) -> dict[str, str]:
    """{name: secret} of the kept keys among ``names``."""
    return dict(conn.execute(select(site_keys.c.name, site_keys.c.secret)
                             .where(site_keys.c.name.in_(list(names)))).all())


def forget(conn: Connection, names: Iterable[str]) -> None:
    conn.execute(delete(site_keys).where(site_keys.c.name.in_(list(names))))


def add(conn: Connection, *, name: str, secret: str, now: float) -> None:
    """Keep a new key (``IntegrityError`` when one of that name exists)."""
    conn.execute(site_keys.insert().values(name=name, secret=secret, created_at=now))


def secret(conn: Connection, name: str) -> str | None:
    return conn.execute(select(site_keys.c.secret).where(site_keys.c.name == name)).scalar()
