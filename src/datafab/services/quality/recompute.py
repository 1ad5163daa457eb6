"""Recomputing records after answers stop counting (a relabel, an erasure): each item's record
from its counted votes with the project's per-item rule, warm-started as in the submit."""

from __future__ import annotations

from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.services.projects import Project
from datafab.services.quality.evidence import Evidence
from datafab.services.quality.posteriors import item_outcome
from datafab.services.records import store_record
from datafab.store import records as records_sql
from datafab.store import submitting
from datafab.store.handles import Connection


def recompute_records(foundry: Foundry, conn: Connection, project: Project,
                      item_ids: list[int], now: float) -> None:
    """Recompute these items' records from their counted votes (locked in id order, the
    order a submit takes them); an item with no votes left loses its record. A record an
    audit review set (method ``review``) stands, as it does through a refit."""
    locked = submitting.lock_items(conn, item_ids)
    reviewed = records_sql.reviewed(conn, sorted(locked))
    for item_id in sorted(locked):
        if item_id in reviewed:
            continue
        votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                 for r in submitting.votes(conn, item_id)]
        if not votes:
            submitting.delete_record(conn, item_id)
            continue
        outcome = item_outcome(foundry, conn, project, locked[item_id].data, votes, Evidence())
        store_record(conn, project.id, item_id, outcome, len(votes), now)
