"""Disputes of gold verdicts, and the reads and writes that re-scoring a corrected gold item
needs (gold counts, qualification, standing, answers a removal stopped counting, missed
bonuses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, and_, func, insert, select, update

from datafab.statuses import DisputeStatus
from datafab.store.tables import (
    contributor_skills,
    contributors,
    earnings,
    gold_disputes,
    items,
    payouts,
    project_members,
    projects,
    submissions,
)


def answer_of(conn: Connection, submission: int) -> Row[Any] | None:
    """A submission with its item: who answered, what, and the item's gold answer if any."""
    query: Select[Any] = (
        select(submissions.c.id, submissions.c.contributor_id, submissions.c.project_id,
               submissions.c.item_id, submissions.c.answer, items.c.status,
               items.c.gold_answer, items.c.meta, items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.id == submission))
    return conn.execute(query).first()


def add(conn: Connection, *, project: int, item: int, submission: int, contributor: int,
        reason: str, now: float) -> int:
    made = conn.execute(insert(gold_disputes).values(
        project_id=project, item_id=item, submission_id=submission, contributor_id=contributor,
        reason=reason, status=DisputeStatus.OPEN, created_at=now).returning(gold_disputes.c.id)
    ).scalar_one()
    return int(made)


def exists_for(conn: Connection, submission: int) -> bool:
    return conn.execute(select(gold_disputes.c.id).where(
        gold_disputes.c.submission_id == submission)).first() is not None


_LISTED = (gold_disputes.c.id, gold_disputes.c.project_id, gold_disputes.c.item_id,
           gold_disputes.c.submission_id, gold_disputes.c.contributor_id, gold_disputes.c.reason,
           gold_disputes.c.status, gold_disputes.c.resolution, gold_disputes.c.corrected_answer,
           gold_disputes.c.resolved_by, gold_disputes.c.resolved_at, gold_disputes.c.created_at,
           projects.c.name.label("project_name"), projects.c.organization_id,
           items.c.external_id, items.c.data, items.c.gold_answer, items.c.meta,
           submissions.c.answer, contributors.c.name.label("contributor_name"))


def _listing() -> Select[Any]:
    return (select(*_LISTED)
            .join(projects, projects.c.id == gold_disputes.c.project_id)
            .join(items, items.c.id == gold_disputes.c.item_id)
            .join(submissions, submissions.c.id == gold_disputes.c.submission_id)
            .join(contributors, contributors.c.id == gold_disputes.c.contributor_id))


def get(conn: Connection, dispute: int) -> Row[Any] | None:
    return conn.execute(_listing().where(gold_disputes.c.id == dispute)).first()


def listed(conn: Connection, *, status: str | None, contributor: int | None = None,
           limit: int = 500) -> list[Row[Any]]:
    query = _listing()
    if status:
        query = query.where(gold_disputes.c.status == status)
    if contributor is not None:
        query = query.where(gold_disputes.c.contributor_id == contributor)
    return list(conn.execute(query.order_by(gold_disputes.c.id).limit(limit)))


def close(conn: Connection, dispute: int, *, status: str, resolution: str,
          corrected: dict[str, Any] | None, by: str, now: float) -> bool:
    """Close an open dispute; False when it was closed already (by someone else)."""
    return conn.execute(update(gold_disputes).where(
        gold_disputes.c.id == dispute, gold_disputes.c.status == "open").values(
        status=status, resolution=resolution, corrected_answer=corrected, resolved_by=by,
        resolved_at=now)).rowcount > 0


def set_gold(conn: Connection, item: int, answer: dict[str, Any],
             meta: dict[str, Any] | None) -> None:
    conn.execute(update(items).where(items.c.id == item, items.c.status == "gold")
                 .values(gold_answer=answer, meta=meta))


def answerers(conn: Connection, item: int) -> list[int]:
    """Everyone who answered this item, by id."""
    return sorted(set(conn.execute(select(submissions.c.contributor_id)
                                   .where(submissions.c.item_id == item)).scalars()))


def gold_answers(conn: Connection, project: int, contributor: int) -> list[Row[Any]]:
    """The contributor's answers to the project's gold items, oldest first, with the gold
    answers as they stand now and the guideline version each was made under."""
    return list(conn.execute(
        select(submissions.c.answer, submissions.c.guideline_version, items.c.gold_answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, submissions.c.contributor_id == contributor,
               items.c.status == "gold").order_by(submissions.c.id)))


def gold_counts(conn: Connection, project: int, contributor: int) -> tuple[int, int] | None:
    row = conn.execute(select(contributor_skills.c.gold_seen, contributor_skills.c.gold_correct)
                       .where(contributor_skills.c.project_id == project,
                              contributor_skills.c.contributor_id == contributor)).first()
    return (row.gold_seen, row.gold_correct) if row else None


def set_gold_counts(conn: Connection, project: int, contributor: int, seen: int,
                    correct: int, now: float) -> None:
    conn.execute(update(contributor_skills).where(
        contributor_skills.c.project_id == project,
        contributor_skills.c.contributor_id == contributor)
        .values(gold_seen=seen, gold_correct=correct, updated_at=now))


def member(conn: Connection, project: int, contributor: int) -> Row[Any] | None:
    return conn.execute(select(project_members).where(
        project_members.c.project_id == project,
        project_members.c.contributor_id == contributor)).first()


def update_member(conn: Connection, project: int, contributor: int, **values: Any) -> None:
    conn.execute(update(project_members).where(
        project_members.c.project_id == project,
        project_members.c.contributor_id == contributor).values(**values))


def uncounted_answers(conn: Connection, project: int, contributor: int) -> list[Row[Any]]:
    """(id, item_id) of the contributor's answers on ordinary items that do not count."""
    return list(conn.execute(
        select(submissions.c.id, submissions.c.item_id)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, submissions.c.contributor_id == contributor,
               submissions.c.counted.is_(False), items.c.status != "gold")
        .order_by(submissions.c.id)))


def count_again(conn: Connection, ids: list[int]) -> None:
    if ids:
        conn.execute(update(submissions).where(submissions.c.id.in_(ids)).values(counted=True))


def restore_pay(conn: Connection, ids: list[int], now: float) -> int:
    """Undo the reversals of these submissions' pay (an entry ``restored`` each); the total."""
    rows = conn.execute(select(earnings.c.contributor_id, earnings.c.project_id,
                               earnings.c.submission_id, earnings.c.amount_minor,
                               earnings.c.currency)
                        .where(earnings.c.kind == "reversal",
                               earnings.c.submission_id.in_(ids))).all() if ids else []
    for r in rows:
        conn.execute(insert(earnings).values(
            contributor_id=r.contributor_id, project_id=r.project_id,
            submission_id=r.submission_id, kind="restored", amount_minor=-r.amount_minor,
            currency=r.currency, created_at=now))
    return -int(sum(r.amount_minor for r in rows))


def settled_periods(conn: Connection, project: int, contributor: int) -> list[Row[Any]]:
    """Per payout of the contributor: the project's task pay it settled, and whether it
    carried a quality bonus for the project."""
    bonus = func.sum(earnings.c.amount_minor).filter(earnings.c.kind == "bonus")
    task = func.sum(earnings.c.amount_minor).filter(earnings.c.kind.in_(("task", "reversal")))
    return list(conn.execute(
        select(payouts.c.id, payouts.c.period_start, payouts.c.period_end, payouts.c.currency,
               task.label("task_minor"), bonus.label("bonus_minor"))
        .join(earnings, and_(earnings.c.payout_id == payouts.c.id,
                             earnings.c.project_id == project))
        .where(payouts.c.contributor_id == contributor)
        .group_by(payouts.c.id, payouts.c.period_start, payouts.c.period_end,
                  payouts.c.currency)
        .order_by(payouts.c.id)))


def late_bonus_since(conn: Connection, project: int, contributor: int, since: float) -> bool:
    """Is there an unpaid bonus for the project added after ``since`` (a period's end)?"""
    return conn.execute(select(earnings.c.id).where(
        earnings.c.project_id == project, earnings.c.contributor_id == contributor,
        earnings.c.kind == "bonus", earnings.c.payout_id.is_(None),
        earnings.c.created_at >= since)).first() is not None


def add_bonus(conn: Connection, *, project: int, contributor: int, amount: int, currency: str,
              now: float) -> None:
    conn.execute(insert(earnings).values(contributor_id=contributor, project_id=project,
                                         kind="bonus", amount_minor=amount, currency=currency,
                                         created_at=now))
