"""Accounts' SQL: organizations, their API keys (kept as digests), and contributors with
their tokens and sign-in details. Rows, not rules: who may do what is ``services/accounts.py``
and ``services/logins.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from datafab.store.tables import api_keys, contributors, organizations

# -- organizations -------------------------------------------------------------------------


def add_organization(conn: Connection, *, name: str, now: float) -> int:
    return int(conn.execute(insert(organizations).values(name=name, created_at=now)
                            .returning(organizations.c.id)).scalar_one())


def organization_exists(conn: Connection, organization: int) -> bool:
    return conn.execute(select(organizations.c.id)
                        .where(organizations.c.id == organization)).first() is not None


def organization_name(conn: Connection, organization: int) -> str | None:
    return conn.execute(select(organizations.c.name)
                        .where(organizations.c.id == organization)).scalar()


def organization_named(conn: Connection, name: str) -> int | None:
    """The id of the organization called ``name``."""
    return conn.execute(select(organizations.c.id)
                        .where(organizations.c.name == name)).scalar()


# -- API keys ------------------------------------------------------------------------------


def add_api_key(conn: Connection, *, organization: int, name: str, prefix: str, key_hash: str,
                now: float) -> int:
    return int(conn.execute(insert(api_keys).values(
        organization_id=organization, name=name, prefix=prefix, key_hash=key_hash,
        created_at=now).returning(api_keys.c.id)).scalar_one())


def key_by_digest(conn: Connection, key_hash: str) -> Row[*tuple[Any, ...]] | None:
    """(id, organization_id, revoked_at, last_used_at) of the key with this digest."""
    return conn.execute(
        select(api_keys.c.id, api_keys.c.organization_id, api_keys.c.revoked_at,
               api_keys.c.last_used_at).where(api_keys.c.key_hash == key_hash)).first()


def note_key_used(conn: Connection, key_id: int, now: float) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))


def revoke_by_digest(conn: Connection, *, organization: int, key_hash: str,
                     now: float) -> None:
    conn.execute(update(api_keys)
                 .where(api_keys.c.organization_id == organization,
                        api_keys.c.key_hash == key_hash)
                 .values(revoked_at=now))


def keys_of(conn: Connection, organization: int) -> list[Row[*tuple[Any, ...]]]:
    """The organization's key rows, oldest first."""
    return list(conn.execute(select(api_keys).where(api_keys.c.organization_id == organization)
                             .order_by(api_keys.c.id)).all())


def lock_live_keys(conn: Connection, organization: int) -> list[int]:
    """The ids of the organization's unrevoked keys, locked for this transaction (so two
    revocations at once cannot both see another live key)."""
    return list(conn.execute(
        select(api_keys.c.id).where(api_keys.c.organization_id == organization,
                                    api_keys.c.revoked_at.is_(None))
        .with_for_update()).scalars().all())


def key_of(conn: Connection, *, organization: int, key_id: int) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(api_keys).where(api_keys.c.id == key_id,
                                               api_keys.c.organization_id == organization)
                        ).first()


def revoke_key(conn: Connection, key_id: int, now: float) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))


def live_key_digests(conn: Connection, organization: int) -> list[str]:
    """The digests of the organization's unrevoked keys."""
    return list(conn.execute(
        select(api_keys.c.key_hash).where(api_keys.c.organization_id == organization,
                                          api_keys.c.revoked_at.is_(None))).scalars())


# -- contributors --------------------------------------------------------------------------


def add_contributor(conn: Connection, **values: Any) -> int:
    """A new contributor row with these column values; its id."""
    return int(conn.execute(insert(contributors).values(**values)
                            .returning(contributors.c.id)).scalar_one())


def contributor_by_token(conn: Connection, token_hash: str) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(contributors)
                        .where(contributors.c.token_hash == token_hash)).first()


def contributor_by_email(conn: Connection, email: str) -> Row[*tuple[Any, ...]] | None:
    """The contributor whose email, lower-cased, is ``email``."""
    return conn.execute(select(contributors)
                        .where(func.lower(contributors.c.email) == email)).first()


def contributor(conn: Connection, contributor_id: int) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(contributors)
                        .where(contributors.c.id == contributor_id)).first()


def set_password_hash(conn: Connection, contributor_id: int, password_hash: str) -> None:
    conn.execute(update(contributors).where(contributors.c.id == contributor_id)
                 .values(password_hash=password_hash))


def set_token_by_name(conn: Connection, *, name: str, token_hash: str, prefix: str) -> None:
    """Give the contributors called ``name`` this token."""
    conn.execute(update(contributors).where(contributors.c.name == name)
                 .values(token_hash=token_hash, token_prefix=prefix))
