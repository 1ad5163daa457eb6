"""A contributor's earnings as they see them: the entries of their pay ledger (what each
was for), totals per currency split into paid out (on a statement) and pending, their payout
statements, and what they earned day by day.

Only ever one contributor's rows; the project of an entry is one they answered in.
Amounts stay integer minor units of their currency (see ``billing.minor_digits``).
"""

from __future__ import annotations

from dataclasses import dataclass

from datafab.foundry import Foundry
from datafab.services import confidentiality, pay
from datafab.services.accounts import Contributor
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import load_project
from datafab.store import pay as pay_sql
from datafab.store.handles import Connection

DAY = 86_400
DAYS = 30  # the chart's span
PAGE = 100  # ledger entries per page
ERASED = "(erased project)"  # an entry whose project was erased keeps its amount
NOT_SHOWN = "(a project no longer open to you)"  # need to know: amount kept, name not shown


@dataclass(frozen=True)
class Entry:
    """One ledger entry: ``task`` (an answer, to item ``item``), ``bonus`` (quality bonus
    for a period) or ``reversal`` (a task's pay taken back: the answer stopped counting)."""

    id: int
    at: float
    project_name: str
    kind: str
    item: str | None
    amount_minor: int
    currency: str
    payout_id: int | None
    reversed: bool  # a task entry whose pay was taken back later

    @property
    def pending(self) -> bool:
        return self.payout_id is None


@dataclass(frozen=True)
class Total:
    currency: str
    earned_minor: int
    pending_minor: int  # on no statement yet

    @property
    def paid_minor(self) -> int:
        return self.earned_minor - self.pending_minor


@dataclass(frozen=True)
class Statement:
    id: int
    currency: str
    period_start: float
    period_end: float
    amount_minor: int
    n_entries: int
    created_at: float


@dataclass(frozen=True)
class Daily:
    """Net earnings per UTC day in one currency, oldest first, the first day at ``start``."""

    currency: str
    start: float
    amounts_minor: list[int]


@dataclass(frozen=True)
class Earnings:
    entries: list[Entry]  # newest first, a page of them
    older: str | None  # cursor of the next page (older entries), if any
    totals: list[Total]
    statements: list[Statement]  # newest first
    daily: list[Daily]


def earnings_of(foundry: Foundry, contributor: Contributor, *, before: str | None = None,
                limit: int = PAGE, days: int = DAYS) -> Earnings:
    """The contributor's earnings: a page of ledger entries (older than the ``before``
    cursor), totals, statements and the last ``days`` days' net earnings."""
    after = decode_cursor(before)
    check_limit(limit)
    now = foundry.now()
    first_day = (now // DAY - (days - 1)) * DAY
    with foundry.db.read() as conn:
        rows = pay_sql.entries_page(conn, contributor.id, before=after, limit=limit + 1,
                                    erased=ERASED)
        shown = _shown(foundry, conn, contributor, {r.project_id for r in rows[:limit]})
        tasks = [r.submission_id for r in rows[:limit] if r.kind == "task" and r.submission_id]
        taken_back = pay_sql.reversed_among(conn, contributor.id, tasks) if tasks else set()
        recent = pay_sql.entries_since(conn, contributor.id, first_day)
    entries = [Entry(r.id, r.created_at,
                     r.name if r.project_id is None or r.project_id in shown else NOT_SHOWN,
                     r.kind, r.external_id if r.project_id in shown else None,
                     int(r.amount_minor), r.currency, r.payout_id,
                     r.kind == "task" and r.submission_id in taken_back)
               for r in rows[:limit]]
    older = encode_cursor(entries[-1].id) if len(rows) > limit else None
    totals = [Total(currency, b["earned_minor"], b["unpaid_minor"])
              for currency, b in sorted(pay.balance(foundry, contributor.id).items())]
    statements = [Statement(p["id"], p["currency"], p["period_start"], p["period_end"],
                            p["amount_minor"], p["n_entries"], p["created_at"])
                  for p in reversed(pay.list_payouts(foundry, contributor.id))]
    return Earnings(entries, older, totals, statements, _per_day(recent, first_day, days))


def _shown(foundry: Foundry, conn: Connection, contributor: Contributor,
           project_ids: set[int | None]) -> set[int]:
    """Those of the projects the contributor may still see (``confidentiality``): the others
    keep their amounts, not their name or items."""
    out = set()
    for project_id in sorted(p for p in project_ids if p is not None):
        project = load_project(conn, None, project_id)
        if confidentiality.may_see(foundry, conn, project, contributor):
            out.add(project_id)
    return out


def _per_day(rows, first_day: float, days: int) -> list[Daily]:
    per: dict[str, list[int]] = {}
    for at, amount, currency in rows:
        day = int((at - first_day) // DAY)
        if 0 <= day < days:
            per.setdefault(currency, [0] * days)[day] += int(amount)
    return [Daily(currency, first_day, amounts) for currency, amounts in sorted(per.items())]
