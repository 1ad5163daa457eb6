"""What each contributor put into a project: their time and what they were paid, for the
contributor-value rates (value per hour, value per unit of pay)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

# Time as the effort report counts it: every submission, counted or not, gold included.
_TIME = text(
    "SELECT contributor_id, count(*) AS submissions, "
    "coalesce(sum(seconds_spent), 0) AS seconds FROM submissions WHERE project_id = :p "
    "GROUP BY contributor_id"
)
# Pay as the ledger has it: task pay, bonuses and reversals, settled or not.
_PAY = text(
    "SELECT contributor_id, currency, coalesce(sum(amount_minor), 0) AS minor FROM earnings "
    "WHERE project_id = :p GROUP BY contributor_id, currency"
)


@dataclass(frozen=True)
class Input:
    submissions: int = 0
    seconds: float = 0.0
    pay_minor: dict[str, int] = field(default_factory=dict)


def inputs(conn: Connection, project_id: int) -> dict[int, Input]:
    """Per contributor of the project: submissions, seconds spent, pay per currency."""
    out = {int(r.contributor_id): Input(int(r.submissions), float(r.seconds))
           for r in conn.execute(_TIME, {"p": project_id})}
    for r in conn.execute(_PAY, {"p": project_id}):
        row = out.setdefault(int(r.contributor_id), Input())
        row.pay_minor[r.currency] = int(r.minor)
    return out
