"""Contributor pay: a ledger of earnings in integer minor units (an entry per paid
submission, per quality bonus, per reversal) and payout statements per period, each the
exact sum of the entries it settles."""

from __future__ import annotations

import math
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.store import pay as queries
from datafab.store.handles import Connection


def credit(conn: Connection, rates, currency: str, project_id: int, contributor_id: int,
           submission_id: int, seconds: float | None, now: float) -> int:
    """Credit one submission at the project's rates (per task, plus per measured minute,
    rounded down to a whole minor unit); nothing when both rates are zero."""
    return credit_many(conn, rates, currency, project_id, contributor_id,
                       [(submission_id, seconds)], now)


def credit_many(conn: Connection, rates, currency: str, project_id: int, contributor_id: int,
                answers: list[tuple[int, float | None]], now: float) -> int:
    """``credit`` for several (submission id, seconds) of one contributor in one project,
    in one insert; the total credited."""
    rows = []
    for submission_id, seconds in answers:
        amount = rates.per_task_minor
        if rates.per_minute_minor and seconds:
            amount += rates.per_minute_minor * math.ceil(seconds) // 60
        if amount:
            rows.append({"contributor_id": contributor_id, "project_id": project_id,
                         "submission_id": submission_id, "kind": "task",
                         "amount_minor": amount, "currency": currency, "created_at": now})
    if rows:
        queries.add_entries(conn, rows)
    return sum(row["amount_minor"] for row in rows)


def reverse(conn: Connection, submission_ids: list[int], now: float) -> None:
    """Take back what these submissions earned and no payout has settled yet (they stopped
    counting); pay already settled in a statement is not clawed back."""
    if submission_ids:
        queries.reverse(conn, submission_ids, now)


def _bonuses(conn: Connection, start: float, end: float) -> None:
    """Quality bonuses for the period: a share of the period's unpaid task pay for each
    contributor whose gold accuracy in the project reaches the project's bonus bar."""
    policies = queries.policies(conn)
    due = queries.unpaid_task_pay(conn, start, end)
    for cid, pid, currency, base in due:
        rates = (policies.get(pid) or {}).get("pay") or {}
        bar, percent = rates.get("bonus_min_accuracy"), rates.get("bonus_percent", 0)
        if bar is None or not percent or base <= 0:
            continue
        gold = queries.gold_record(conn, pid, cid)
        if gold is None or not gold.gold_seen or gold.gold_correct / gold.gold_seen < bar:
            continue
        amount = int(base) * percent // 100
        if amount:
            queries.add_entry(conn, contributor_id=cid, project_id=pid, kind="bonus",
                              amount_minor=amount, currency=currency, created_at=start)


def run_payouts(foundry: Foundry, start: float, end: float) -> list[dict[str, Any]]:
    """Close the period [start, end): add quality bonuses, then one statement per
    contributor and currency settling every unpaid entry of the period."""
    if not end > start:
        raise InvalidInput("end: must be after start", field="end")
    now = foundry.now()
    made = []
    with foundry.db.write() as conn:
        _bonuses(conn, start, end)
        for cid, currency, total, n in queries.unsettled(conn, start, end):
            payout_id = queries.settle(conn, cid, currency, start, end, total=int(total),
                                       n=int(n), now=now)
            made.append({"id": payout_id, "contributor_id": cid, "currency": currency,
                         "period_start": start, "period_end": end,
                         "amount_minor": int(total), "n_entries": int(n)})
    return made


def list_payouts(foundry: Foundry, contributor_id: int | None = None) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = queries.payouts_of(conn, contributor_id)
    return [{"id": r.id, "contributor_id": r.contributor_id, "currency": r.currency,
             "period_start": r.period_start, "period_end": r.period_end,
             "amount_minor": int(r.amount_minor), "n_entries": r.n_entries,
             "created_at": r.created_at} for r in rows]


def ledger(foundry: Foundry, contributor_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """A contributor's latest ledger entries, newest first."""
    with foundry.db.read() as conn:
        rows = queries.entries(conn, contributor_id, limit)
    return [{"id": r.id, "project_id": r.project_id, "submission_id": r.submission_id,
             "kind": r.kind, "amount_minor": int(r.amount_minor), "currency": r.currency,
             "created_at": r.created_at, "payout_id": r.payout_id} for r in rows]


def balance(foundry: Foundry, contributor_id: int) -> dict[str, dict[str, int]]:
    """Per currency: everything earned, and what is not yet on a statement."""
    with foundry.db.read() as conn:
        rows = queries.balance(conn, contributor_id)
    return {c: {"earned_minor": int(t or 0), "unpaid_minor": int(u or 0)} for c, t, u in rows}
