"""Messages and contributors' inboxes: a message row, one inbox entry per recipient."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from datafab.store.tables import contributors, inbox_entries, messages, projects


def add_message(conn: Connection, *, project: int | None, kind: str, sender: str,
                subject: str, body: str, now: float, sender_contributor: int | None = None,
                item: int | None = None, parent: int | None = None) -> int:
    made = conn.execute(insert(messages).values(
        project_id=project, kind=kind, sender=sender, sender_contributor_id=sender_contributor,
        item_id=item, parent_id=parent, subject=subject, body=body, created_at=now)
        .returning(messages.c.id)).scalar_one()
    return int(made)


def deliver(conn: Connection, message: int, recipients: list[int]) -> int:
    """Put the message in each recipient's inbox; how many."""
    if recipients:
        conn.execute(insert(inbox_entries), [{"message_id": message, "contributor_id": cid}
                                             for cid in sorted(set(recipients))])
    return len(set(recipients))


def inbox(conn: Connection, contributor: int, limit: int = 200) -> list[Row[Any]]:
    """The contributor's messages, newest first, with the project's name."""
    return list(conn.execute(
        select(messages.c.id, messages.c.project_id, messages.c.kind, messages.c.sender,
               messages.c.item_id, messages.c.parent_id, messages.c.subject, messages.c.body,
               messages.c.created_at, inbox_entries.c.read_at,
               projects.c.name.label("project_name"))
        .join(inbox_entries, inbox_entries.c.message_id == messages.c.id)
        .outerjoin(projects, projects.c.id == messages.c.project_id)
        .where(inbox_entries.c.contributor_id == contributor)
        .order_by(messages.c.id.desc()).limit(limit)))


def unread(conn: Connection, contributor: int) -> int:
    return int(conn.execute(select(func.count()).select_from(inbox_entries).where(
        inbox_entries.c.contributor_id == contributor, inbox_entries.c.read_at.is_(None))
    ).scalar_one())


def has_entry(conn: Connection, contributor: int, message: int) -> bool:
    return conn.execute(select(inbox_entries.c.message_id).where(
        inbox_entries.c.contributor_id == contributor,
        inbox_entries.c.message_id == message)).first() is not None


def mark_read(conn: Connection, contributor: int, message: int, now: float) -> bool:
    return conn.execute(update(inbox_entries).where(
        inbox_entries.c.contributor_id == contributor, inbox_entries.c.message_id == message,
        inbox_entries.c.read_at.is_(None)).values(read_at=now)).rowcount > 0


def unmailed(conn: Connection, limit: int = 100) -> list[Row[Any]]:
    """Inbox entries not yet e-mailed to recipients who have an e-mail address."""
    return list(conn.execute(
        select(inbox_entries.c.message_id, inbox_entries.c.contributor_id,
               contributors.c.email, messages.c.subject, messages.c.body)
        .join(contributors, contributors.c.id == inbox_entries.c.contributor_id)
        .join(messages, messages.c.id == inbox_entries.c.message_id)
        .where(inbox_entries.c.emailed_at.is_(None), contributors.c.email.is_not(None))
        .order_by(inbox_entries.c.message_id, inbox_entries.c.contributor_id).limit(limit)))


def mark_mailed(conn: Connection, message: int, contributor: int, now: float) -> None:
    conn.execute(update(inbox_entries).where(
        inbox_entries.c.message_id == message, inbox_entries.c.contributor_id == contributor)
        .values(emailed_at=now))
