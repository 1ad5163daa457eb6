"""Ingest's keys, kept originals and redaction policies: an organization's encrypted
pseudonym and data keys, the originals it opted to keep (encrypted), and each project's
rule for personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from datafab.store.tables import ingest_policies, item_originals, items, organization_keys


def key_row(conn: Connection, organization: int) -> Row[Any] | None:
    return conn.execute(select(organization_keys).where(
        organization_keys.c.organization_id == organization)).first()


def insert_keys(conn: Connection, organization: int, pseudonym_key: str, data_key: str,
                now: float) -> None:
    """The organization's keys, already encrypted; a second maker raises IntegrityError."""
    conn.execute(insert(organization_keys).values(
        organization_id=organization, pseudonym_key=pseudonym_key, data_key=data_key,
        keep_originals=False, created_at=now))


def set_keep_originals(conn: Connection, organization: int, keep: bool) -> None:
    conn.execute(update(organization_keys)
                 .where(organization_keys.c.organization_id == organization)
                 .values(keep_originals=keep))


def delete_originals(conn: Connection, organization: int) -> int:
    return conn.execute(delete(item_originals).where(
        item_originals.c.organization_id == organization)).rowcount


def original_of(conn: Connection, item_id: int) -> Row[Any, Any, Any] | None:
    """The item's kept original (``ciphertext``, ``organization_id``, ``project_id``)."""
    return conn.execute(
        select(item_originals.c.ciphertext, item_originals.c.organization_id,
               items.c.project_id)
        .join(items, items.c.id == item_originals.c.item_id)
        .where(item_originals.c.item_id == item_id)).first()


def policy_row(conn: Connection, project_id: int) -> Row[Any] | None:
    return conn.execute(select(ingest_policies).where(
        ingest_policies.c.project_id == project_id)).first()


def save_policy(conn: Connection, project_id: int, values: dict[str, Any]) -> None:
    changed = conn.execute(update(ingest_policies).where(
        ingest_policies.c.project_id == project_id).values(**values)).rowcount
    if not changed:
        conn.execute(insert(ingest_policies).values(project_id=project_id, **values))
