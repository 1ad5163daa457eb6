"""Removal from a project for quality: the contributor's live leases go back, their
answers stop counting, the records they touched are recomputed, unsettled pay is reversed
and the project is refitted without them."""

from __future__ import annotations

from typing import Any

from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.services import audit, pay, quality
from datafab.services.projects import Project, load_project
from datafab.services.records import store_record
from datafab.statuses import Standing
from datafab.store import leasing, submitting
from datafab.store import workforce as queries
from datafab.store.handles import Connection


def remove(foundry: Foundry, organization: int | None, project_id: int, contributor_id: int,
           *, reason: str, actor: str = "quality review") -> dict[str, Any]:
    """Remove a contributor from a project for quality: their live leases go back to the
    pool; every answer of theirs on an ordinary item, finished ones included, stops counting
    (those records are recomputed from the other answers, and the items that are no longer
    finished want labels again); their pay for those answers that no payout has settled yet
    is reversed (settled pay is not clawed back); and the project's quality fit is redone
    without them."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        done = remove_in(foundry, conn, project, contributor_id, now, reason=reason,
                         actor=actor)
    quality.refit(foundry, project.id)
    return done


def remove_in(foundry: Foundry, conn: Connection, project: Project, contributor_id: int,
              now: float, *, reason: str, actor: str) -> dict[str, Any]:
    """The removal's writes, in the caller's transaction; the caller refits the project
    (or queues its refit) once that transaction commits."""
    queries.set_standing(conn, project.id, contributor_id, Standing.REMOVED, now,
                         reason=reason, probation_gold=None)
    held = queries.live_leases(conn, project.id, contributor_id)
    released = sum(leasing.release(conn, lease=lease_id, contributor=contributor_id, now=now)
                   for lease_id in held)
    rows = queries.uncount_answers(conn, project.id, contributor_id)
    if rows:
        per_item: dict[int, int] = {}
        for r in rows:
            per_item[r.item_id] = per_item.get(r.item_id, 0) + 1
        _recompute(foundry, conn, project, per_item, now)
        pay.reverse(conn, [r.id for r in rows], now)
    audit.record(conn, now, organization=project.organization_id, actor=actor,
                 action="contributor.removed", target=f"contributor:{contributor_id}",
                 details={"project_id": project.id, "reason": reason,
                          "released": released, "uncounted": len(rows)})
    return {"released": released, "uncounted": len(rows),
            "items": len({r.item_id for r in rows})}


def _recompute(foundry: Foundry, conn: Connection, project: Project,
               per_item: dict[int, int], now: float) -> None:
    """Records and counters of items that lost answers: aggregate what still counts; an
    open item, or a finished one that no longer is, wants labels again."""
    locked = submitting.lock_items(conn, list(per_item))
    for item_id in sorted(locked):
        item = locked[item_id]
        votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                 for r in submitting.votes(conn, item_id)]
        n_labels = max(0, item.n_labels - per_item[item_id])
        outcome = None
        if votes:
            outcome = quality.item_outcome(foundry, conn, project, item.data, votes,
                                           quality.Evidence())
            store_record(conn, project.id, item_id, outcome, len(votes), now)
        else:
            queries.delete_record(conn, item_id)
        still_done = (item.status == "done" and outcome is not None
                      and quality.is_done(foundry, conn, project, n_labels, outcome))
        if item.status in ("open", "done") and not still_done:
            slots = max(0, project.policy.wanted(n_labels) - n_labels - item.n_live)
            submitting.settle(conn, item=item_id, n_labels=n_labels, n_live=item.n_live,
                              slots=slots, status="open")
        else:
            queries.set_n_labels(conn, item_id, n_labels)


recompute_items = _recompute  # also for answers that count again (a corrected gold item)
