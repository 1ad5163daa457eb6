"""The budget SQL: hold a budgeted project's leasing to one transaction at a time, and read
its budget, spend and reservations together.

A lease on a budgeted project reserves the price of the work it may produce
(``leases.reserved_minor``). What the project has reserved is the sum over its live leases, so
a reservation ends with its lease — submitted, released, expired, handed back on a removal —
in the same statement that ends the lease, and cannot outlive it.

A grant must see every lease granted before it. On PostgreSQL the leasers of one project take
a transaction-level advisory lock first, before any row lock of the lease; the read runs in a
later statement, so its snapshot holds everything the previous holder committed; and spend and
reservations come from one statement (one snapshot), so a submit that turns a reservation into
spend is seen on both sides or on neither. The lock is not the policy row's: a submit updates
that row's spend while it holds its items' locks, and a leaser holding the row while it reaped
an expired lease on one of those items would deadlock with it. SQLite has one writer
(``BEGIN IMMEDIATE``): nothing to lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

LOCK_SPACE = 0x42440000  # keeps these advisory lock keys apart from others
_HOLD = text("SELECT pg_advisory_xact_lock(:key)")
_RESERVED = (  # matches the partial index ix_leases_live_reserved
    "SELECT COALESCE(SUM(l.reserved_minor), 0) FROM leases l WHERE l.project_id = :project "
    "AND l.status = 'active' AND l.reserved_minor > 0"
)
_READ = text(
    f"SELECT w.budget_minor, w.spent_minor, ({_RESERVED}) AS reserved_minor "
    "FROM workforce_policies w WHERE w.project_id = :project"
)


@dataclass(frozen=True)
class Budget:
    budget_minor: int | None
    spent_minor: int
    reserved_minor: int

    @property
    def left_minor(self) -> int | None:
        """What neither spend nor live leases hold (``None``: no budget)."""
        if self.budget_minor is None:
            return None
        return self.budget_minor - self.spent_minor - self.reserved_minor


def hold(conn: Connection, project: int) -> None:
    """Make this transaction the project's only leaser until it ends (PostgreSQL; SQLite's
    single writer already is). Take it before any other lock of the lease transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(_HOLD, {"key": LOCK_SPACE * 2**16 + project})


def read(conn: Connection, project: int) -> Budget | None:
    """The project's budget, spend and live reservations in one snapshot; ``None`` without a
    workforce policy."""
    row = conn.execute(_READ, {"project": project}).first()
    if row is None:
        return None
    return Budget(row.budget_minor, int(row.spent_minor), int(row.reserved_minor))
