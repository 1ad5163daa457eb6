"""A contributor's inbox: notices put in it by other use cases (in their transaction), the
list of messages, and marking one read."""

from __future__ import annotations

from dataclasses import dataclass

from datafab.errors import NotFound
from datafab.foundry import Foundry
from datafab.services.accounts import Contributor
from datafab.store import inbox as sql
from datafab.store.handles import Connection

NOTICE = "notice"


@dataclass(frozen=True)
class Message:
    id: int
    project_id: int | None
    project_name: str | None
    kind: str
    sender: str
    item_id: int | None
    parent_id: int | None
    subject: str
    body: str
    created_at: float
    read_at: float | None


def notify(conn: Connection, contributor_id: int, *, project_id: int | None, subject: str,
           body: str, now: float, sender: str = "operator") -> int:
    """Put a notice in one contributor's inbox, inside the caller's transaction."""
    message = sql.add_message(conn, project=project_id, kind=NOTICE, sender=sender,
                              subject=subject[:200], body=body, now=now)
    sql.deliver(conn, message, [contributor_id])
    return message


def messages_of(foundry: Foundry, contributor: Contributor) -> list[Message]:
    """The contributor's messages, newest first."""
    with foundry.db.read() as conn:
        rows = sql.inbox(conn, contributor.id)
    return [Message(r.id, r.project_id, r.project_name, r.kind, r.sender, r.item_id,
                    r.parent_id, r.subject, r.body, r.created_at, r.read_at) for r in rows]


def unread(foundry: Foundry, contributor: Contributor) -> int:
    with foundry.db.read() as conn:
        return sql.unread(conn, contributor.id)


def mark_read(foundry: Foundry, contributor: Contributor, message_id: int) -> None:
    """Mark one of the contributor's messages read (again: no change; not theirs: 404)."""
    with foundry.db.write() as conn:
        if not sql.has_entry(conn, contributor.id, message_id):
            raise NotFound(f"message {message_id} not found", field="message_id")
        sql.mark_read(conn, contributor.id, message_id, foundry.now())
