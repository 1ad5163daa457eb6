"""The model stage: items of a model-first project wait in status ``'model'`` until a model
contributor answers them, then go on to people (status ``'open'``) or are done.

While an item waits, its ``slots`` already hold what people will need, and at most one model
holds it at a time (``n_live = 0`` to be claimed). Claiming is ``leasing``'s one claim
builder (``ClaimStatement``) with the model stage's rule.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from datafab.statuses import ItemStatus
from datafab.store.leasing import Claim, ClaimRule, ClaimStatement

# waiting for a model, and no model holds it
_CLAIM = ClaimStatement(ClaimRule("{t}.status = 'model' AND {t}.n_live = 0",
                                  "n_live = items.n_live + 1"))


def claim(
    conn: Connection, *, project: int, contributor: int, n: int, now: float, expires: float,
    reserve: int = 0,
) -> list[Claim]:
    """Lease up to ``n`` items waiting for a model that no model holds and ``contributor``
    never held; each lease holds ``reserve`` of the project's budget until it ends."""
    return _CLAIM.run(conn, {"project": project, "contributor": contributor, "n": n,
                             "now": now, "expires": expires, "reserve": reserve})


_TO_PEOPLE = text(
    f"UPDATE items SET status = '{ItemStatus.OPEN}' WHERE id = :item AND status = 'model' "
    "AND n_live = 0"
)
# Items no model answered in time, or whose model lease ended unanswered (released or
# expired: a model had its try), go on to people.
_OPEN_WAITING = text(
    f"UPDATE items SET status = '{ItemStatus.OPEN}' WHERE project_id = :project "
    "AND status = 'model' "
    "AND n_live = 0 AND (created_at <= :cutoff OR EXISTS ("
    "SELECT 1 FROM leases l WHERE l.item_id = items.id))"
)


def to_people(conn: Connection, item: int) -> None:
    """Hand an item a model held unanswered straight on to people."""
    conn.execute(_TO_PEOPLE, {"item": item})


def open_waiting(conn: Connection, *, project: int, cutoff: float) -> int:
    """Hand on to people the items that waited since before ``cutoff`` or that a model had
    and gave back; how many."""
    return conn.execute(_OPEN_WAITING, {"project": project, "cutoff": cutoff}).rowcount
