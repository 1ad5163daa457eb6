"""Pay's SQL: the earnings ledger (task pay, bonuses, reversals) and the payout statements
that settle it. Rows, not rates: what a task earns is ``services/pay.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, select, text, update

from datafab.store.tables import (
    contributor_skills,
    earnings,
    items,
    payouts,
    projects,
    submissions,
    workforce_policies,
)

_REVERSE = text(
    "INSERT INTO earnings (contributor_id, project_id, submission_id, kind, amount_minor, "
    "currency, created_at) SELECT e.contributor_id, e.project_id, e.submission_id, 'reversal', "
    "-e.amount_minor, e.currency, :now FROM earnings e WHERE e.kind = 'task' AND "
    "e.payout_id IS NULL AND e.submission_id IN :ids AND NOT EXISTS (SELECT 1 FROM earnings "
    "r WHERE r.kind = 'reversal' AND r.submission_id = e.submission_id)"
).bindparams(bindparam("ids", expanding=True))


def add_entries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Ledger entries: dicts of the earnings columns."""
    conn.execute(earnings.insert(), rows)


def add_entry(conn: Connection, **values: Any) -> None:
    conn.execute(earnings.insert().values(**values))


def reverse(conn: Connection, submission_ids: list[int], now: float) -> None:
    """A reversal of each unsettled, not yet reversed task entry of these submissions."""
    conn.execute(_REVERSE, {"ids": submission_ids, "now": now})


def policies(conn: Connection) -> dict[int, Any]:
    """{project id: workforce policy} of every project with one."""
    return {r.project_id: r.policy for r in conn.execute(
        select(workforce_policies.c.project_id, workforce_policies.c.policy))}


def unpaid_task_pay(conn: Connection, start: float, end: float) -> list[Row[*tuple[Any, ...]]]:
    """(contributor, project, currency, sum) of the unsettled task and reversal entries
    written in [start, end)."""
    return list(conn.execute(
        select(earnings.c.contributor_id, earnings.c.project_id, earnings.c.currency,
               func.sum(earnings.c.amount_minor))
        .where(earnings.c.kind.in_(("task", "reversal")), earnings.c.payout_id.is_(None),
               earnings.c.created_at >= start, earnings.c.created_at < end)
        .group_by(earnings.c.contributor_id, earnings.c.project_id, earnings.c.currency)
        .order_by(earnings.c.contributor_id, earnings.c.project_id)).all())


def gold_record(conn: Connection, project: int, contributor: int) -> Row[*tuple[Any, ...]] | None:
    """(gold_seen, gold_correct) of the contributor in the project."""
    return conn.execute(select(contributor_skills.c.gold_seen,
                               contributor_skills.c.gold_correct).where(
        contributor_skills.c.project_id == project,
        contributor_skills.c.contributor_id == contributor)).first()


def _unsettled(start: float, end: float) -> Any:
    return and_(earnings.c.payout_id.is_(None), earnings.c.created_at >= start,
                earnings.c.created_at < end)


def unsettled(conn: Connection, start: float, end: float) -> list[Row[*tuple[Any, ...]]]:
    """(contributor, currency, sum, entries) of the unsettled entries of [start, end)."""
    return list(conn.execute(
        select(earnings.c.contributor_id, earnings.c.currency,
               func.sum(earnings.c.amount_minor), func.count())
        .where(_unsettled(start, end))
        .group_by(earnings.c.contributor_id, earnings.c.currency)
        .order_by(earnings.c.contributor_id, earnings.c.currency)).all())


def settle(conn: Connection, contributor: int, currency: str, start: float, end: float, *,
           total: int, n: int, now: float) -> int:
    """A payout statement settling the contributor's unsettled entries of [start, end) in
    this currency; its id."""
    payout_id = conn.execute(payouts.insert().values(
        contributor_id=contributor, currency=currency, period_start=start, period_end=end,
        amount_minor=total, n_entries=n, created_at=now)
        .returning(payouts.c.id)).scalar_one()
    conn.execute(update(earnings).where(_unsettled(start, end),
                                        earnings.c.contributor_id == contributor,
                                        earnings.c.currency == currency)
                 .values(payout_id=payout_id))
    return int(payout_id)


def payouts_of(conn: Connection, contributor: int | None = None) -> list[Row[*tuple[Any, ...]]]:
    """Payout statements, oldest first (one contributor's, or everyone's)."""
    query = select(payouts).order_by(payouts.c.id)
    if contributor is not None:
        query = query.where(payouts.c.contributor_id == contributor)
    return list(conn.execute(query).all())


def entries(conn: Connection, contributor: int, limit: int) -> list[Row[*tuple[Any, ...]]]:
    """The contributor's latest ledger entries, newest first."""
    return list(conn.execute(select(earnings).where(earnings.c.contributor_id == contributor)
                             .order_by(earnings.c.id.desc()).limit(limit)).all())


def balance(conn: Connection, contributor: int) -> list[Row[*tuple[Any, ...]]]:
    """(currency, earned, unsettled) of the contributor's entries."""
    return list(conn.execute(
        select(earnings.c.currency, func.sum(earnings.c.amount_minor),
               func.sum(earnings.c.amount_minor).filter(earnings.c.payout_id.is_(None)))
        .where(earnings.c.contributor_id == contributor)
        .group_by(earnings.c.currency)).all())


# -- a contributor's own earnings page -----------------------------------------------------


def entries_page(conn: Connection, contributor: int, *, before: int, limit: int,
                 erased: str) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` of the contributor's entries with ids below ``before`` (0: from the
    newest), newest first, each with its project's name (``erased`` when the project is gone)
    and the external id of the item its submission answered."""
    query = (
        select(earnings.c.id, earnings.c.created_at, earnings.c.kind, earnings.c.amount_minor,
               earnings.c.currency, earnings.c.payout_id, earnings.c.submission_id,
               earnings.c.project_id,
               func.coalesce(projects.c.name, erased).label("name"), items.c.external_id)
        .outerjoin(projects, projects.c.id == earnings.c.project_id)
        .outerjoin(submissions, submissions.c.id == earnings.c.submission_id)
        .outerjoin(items, items.c.id == submissions.c.item_id)
        .where(earnings.c.contributor_id == contributor)
        .order_by(earnings.c.id.desc()).limit(limit))
    if before:
        query = query.where(earnings.c.id < before)
    return list(conn.execute(query).all())


def reversed_among(conn: Connection, contributor: int, submission_ids: list[int]) -> set[int]:
    """Those of these submissions whose pay the contributor had taken back."""
    return set(conn.execute(
        select(earnings.c.submission_id).where(
            earnings.c.contributor_id == contributor, earnings.c.kind == "reversal",
            earnings.c.submission_id.in_(submission_ids))).scalars())


def entries_since(conn: Connection, contributor: int, since: float) -> list[Row[*tuple[Any, ...]]]:
    """(created_at, amount_minor, currency) of the contributor's entries from ``since``."""
    return list(conn.execute(
        select(earnings.c.created_at, earnings.c.amount_minor, earnings.c.currency)
        .where(earnings.c.contributor_id == contributor,
               earnings.c.created_at >= since)).all())
