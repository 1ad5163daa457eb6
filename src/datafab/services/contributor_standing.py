"""A contributor's standing in the pool, as operators manage it: search the pool by skill,
status and accuracy; put someone on probation, remove them, reinstate them.

Deliberately minimal, for the ops console, until the workforce services land: the only state
is ``contributors.status`` (active, probation, removed). Removing a contributor ends their
sessions and tokens (authentication refuses removed contributors) and hands every lease they
hold back to the pool at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import audit
from datafab.store import contributors as queries
from datafab.store import leasing

STATUSES = ("active", "probation", "removed")


@dataclass(frozen=True)
class PoolMember:
    id: int
    name: str
    email: str | None
    kind: str
    status: str
    skills: list[str]
    labels: int
    gold_seen: int
    gold_correct: int
    live_leases: int

    @property
    def accuracy(self) -> float | None:
        return self.gold_correct / self.gold_seen if self.gold_seen else None


def search(foundry: Foundry, *, text: str = "", skill: str = "", status: str = "",
           min_accuracy: float | None = None, max_accuracy: float | None = None,
           limit: int = 200, only: int | None = None) -> list[PoolMember]:
    """Contributors matching every given criterion. Accuracy is on gold items, over all
    projects; contributors who have seen no gold match no accuracy bound."""
    if status and status not in STATUSES:
        raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
    for name, value in (("min_accuracy", min_accuracy), ("max_accuracy", max_accuracy)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise InvalidInput(f"{name}: between 0 and 1, e.g. 0.8", field=name)
    with foundry.db.read() as conn:
        rows = queries.matching(conn, text=text.strip().lower(), status=status, only=only)
        gold = queries.gold_totals(conn)
        live = queries.live_lease_counts(conn, foundry.now())
    wanted = skill.strip().lower()
    out = []
    for r in rows:
        if wanted and wanted not in [str(s).lower() for s in r.skills]:
            continue
        g = gold.get(r.id)
        member = PoolMember(r.id, r.name, r.email, r.kind, r.status, list(r.skills),
                            int(g.labels or 0) if g else 0, int(g.seen or 0) if g else 0,
                            int(g.correct or 0) if g else 0, int(live.get(r.id, 0)))
        if min_accuracy is not None and (member.accuracy is None or member.accuracy < min_accuracy):
            continue
        if max_accuracy is not None and (member.accuracy is None or member.accuracy > max_accuracy):
            continue
        out.append(member)
        if len(out) >= limit:
            break
    return out


def member(foundry: Foundry, contributor_id: int) -> PoolMember:
    for found in search(foundry, only=contributor_id):
        return found
    raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")


def set_status(foundry: Foundry, contributor_id: int, status: str,
               actor: str = "operator") -> int:
    """Move a contributor to ``status``; on removal their live leases go back to the pool.
    Returns how many leases were handed back."""
    if status not in STATUSES:
        raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
    now = foundry.now()
    released = 0
    with foundry.db.write() as conn:
        done = queries.set_status(conn, contributor_id, status)
        if not done:
            raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")
        if status == "removed":
            held = queries.active_leases(conn, contributor_id)
            for lease_id in held:
                released += leasing.release(conn, lease=lease_id, contributor=contributor_id,
                                            now=now)
        audit.record(conn, now, organization=None, actor=actor,
                     action=f"contributor.{status}", target=f"contributor:{contributor_id}",
                     details={"leases_released": released})
    return released
