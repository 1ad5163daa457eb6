"""Erasure: a requester erases a project and everything under it; an operator erases a
contributor's personal data and, on request, their answers. Each is one transaction: all of
it happens or none of it does, and the audit log keeps a tombstone saying what went (counts,
never the erased content).

What stays, and why (see docs/reliability.md): the pay ledger (``earnings``, ``payouts``) and
metered usage (``usage_events``, invoices) keep their amounts, because money owed and billed
must still add up; they point at a project id that no longer exists and at a contributor row
that holds nothing but its id (a pseudonym). The audit log keeps its entries.
"""

from __future__ import annotations

from typing import Any

from datafab.errors import NotFound
from datafab.foundry import Foundry
from datafab.services import audit, relabel
from datafab.services.projects import load_project
from datafab.services.quality import recompute_records
from datafab.services.records import stored_outcome
from datafab.store import access_log, erasure, leasing, submitting


def erase_project(foundry: Foundry, organization: int, project_id: int,
                  actor: str = "api") -> dict[str, Any]:
    """Erase the organization's project (another organization's id: ``NotFound``)."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        gone = erasure.erase_project(conn, organization, project.id)
        details = {"primitive": project.primitive_name,
                   "rows": {k: v for k, v in sorted(gone.items()) if v}}
        audit.record(conn, now, organization=organization, actor=actor,
                     action="project.erased", target=f"project:{project.id}", details=details)
    relabel.forget(foundry, project_id)
    return {"id": project_id, "erased": details["rows"]}


def erase_contributor(foundry: Foundry, contributor_id: int, *, answers: bool = False,
                      actor: str = "operator") -> dict[str, Any]:
    """Erase a contributor's personal data; with ``answers``, their answers too (the records
    they fed are recomputed, items they finished go back to the pool if now short)."""
    from datafab.services import quality

    now = foundry.now()
    with foundry.db.write() as conn:
        # Leases first, then items in id order: the order a submit locks them.
        released = leasing.release_all(conn, contributor=contributor_id)
        touched = erasure.answered_items(conn, contributor_id) if answers else []
        if touched:
            submitting.lock_items(conn, [item for item, _ in touched])
        if not erasure.scrub_contributor(conn, contributor_id):
            raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")
        notes = erasure.drop_contributor_notes(conn, contributor_id)
        access_log.forget_addresses(conn, contributor=contributor_id)  # personal data
        deleted = erasure.drop_answers(conn, contributor_id) if answers else 0
        by_project: dict[int, list[int]] = {}
        for item, project in touched:
            by_project.setdefault(project, []).append(item)
        recomputed = 0
        for project_id, item_ids in sorted(by_project.items()):
            project = load_project(conn, None, project_id)
            recompute_records(foundry, conn, project, item_ids, now)
            recomputed += len(item_ids)
            for row in erasure.recount(conn, item_ids):
                if row.status not in ("open", "done"):
                    continue
                record = stored_outcome(conn, row.id)
                done = record is not None and quality.is_done(foundry, conn, project,
                                                              row.n_labels, record)
                wanted = project.policy.wanted(row.n_labels)
                submitting.settle(conn, item=row.id, n_labels=row.n_labels, n_live=row.n_live,
                                  slots=0 if done else max(0, wanted - row.n_labels - row.n_live),
                                  status="done" if done else "open")
            relabel.forget(foundry, project_id)
        details = {"answers": answers, "submissions_deleted": deleted,
                   "leases_released": released, "notes_deleted": notes,
                   "items_recomputed": recomputed}
        audit.record(conn, now, organization=None, actor=actor, action="contributor.erased",
                     target=f"contributor:{contributor_id}", details=details)
    return {"id": contributor_id, **details}
