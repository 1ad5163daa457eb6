"""Messages and contributors' inboxes: a message row, one inbox entry per recipient."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, union, update

from datafab.store.tables import (
    contributors,
    inbox_entries,
    items,
    leases,
    messages,
    project_members,
    projects,
    submissions,
)


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


def claim_mail(conn: Connection, message: int, contributor: int, now: float) -> bool:
    """Take one inbox entry's e-mail to send (False: another process took it)."""
    return conn.execute(update(inbox_entries).where(
        inbox_entries.c.message_id == message, inbox_entries.c.contributor_id == contributor,
        inbox_entries.c.emailed_at.is_(None)).values(emailed_at=now)).rowcount > 0


def unclaim_mail(conn: Connection, message: int, contributor: int) -> None:
    """Give an entry whose e-mail failed back for the next try."""
    conn.execute(update(inbox_entries).where(
        inbox_entries.c.message_id == message, inbox_entries.c.contributor_id == contributor)
        .values(emailed_at=None))


def unmailed(conn: Connection, limit: int = 100) -> list[Row[Any]]:
    """Inbox entries not yet e-mailed to recipients who have an e-mail address."""
    return list(conn.execute(
        select(inbox_entries.c.message_id, inbox_entries.c.contributor_id,
               contributors.c.email, messages.c.subject, messages.c.body)
        .join(contributors, contributors.c.id == inbox_entries.c.contributor_id)
        .join(messages, messages.c.id == inbox_entries.c.message_id)
        .where(inbox_entries.c.emailed_at.is_(None), contributors.c.email.is_not(None))
        .order_by(inbox_entries.c.message_id, inbox_entries.c.contributor_id).limit(limit)))



def project_contributors(conn: Connection, project: int) -> list[int]:
    """Everyone who holds or held a lease, answered, or has a standing in the project."""
    held = select(leases.c.contributor_id).where(leases.c.project_id == project)
    answered = select(submissions.c.contributor_id).where(submissions.c.project_id == project)
    members = select(project_members.c.contributor_id).where(
        project_members.c.project_id == project)
    return sorted(set(conn.execute(union(held, answered, members)).scalars()))


def worked_on_item(conn: Connection, contributor: int, item: int, project: int) -> bool:
    """Did the contributor hold a lease on (or answer) this item of this project?"""
    return conn.execute(select(leases.c.id).where(
        leases.c.contributor_id == contributor, leases.c.item_id == item,
        leases.c.project_id == project).limit(1)).first() is not None


def message(conn: Connection, message_id: int) -> Row[Any] | None:
    return conn.execute(select(messages).where(messages.c.id == message_id)).first()


def questions(conn: Connection, project: int) -> list[Row[Any]]:
    """The project's questions, oldest first, each with its item's external id and its
    latest answer (if any)."""
    answer = messages.alias("answer")
    latest = (select(func.max(answer.c.id)).where(answer.c.parent_id == messages.c.id)
              .scalar_subquery())
    shown = messages.alias("shown")
    return list(conn.execute(
        select(messages.c.id, messages.c.item_id, messages.c.sender_contributor_id,
               messages.c.subject, messages.c.body, messages.c.created_at,
               items.c.external_id, shown.c.id.label("answer_id"),
               shown.c.body.label("answer"), shown.c.in_faq)
        .outerjoin(items, items.c.id == messages.c.item_id)
        .outerjoin(shown, shown.c.id == latest)
        .where(messages.c.project_id == project, messages.c.kind == "question")
        .order_by(messages.c.id)))


def set_faq(conn: Connection, message_id: int, in_faq: bool) -> None:
    conn.execute(update(messages).where(messages.c.id == message_id).values(in_faq=in_faq))


def faq(conn: Connection, project: int) -> list[Row[Any]]:
    """The project's FAQ: (question, answer) of answers promoted into it, oldest first."""
    question = messages.alias("question")
    return list(conn.execute(
        select(messages.c.id, question.c.body.label("question"),
               messages.c.body.label("answer"), messages.c.created_at)
        .join(question, question.c.id == messages.c.parent_id)
        .where(messages.c.project_id == project, messages.c.in_faq)
        .order_by(messages.c.id)))
