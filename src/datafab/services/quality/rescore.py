"""After a submission: the open items its contributor labelled, rescored with the skill
their new evidence changed."""

from __future__ import annotations

import numpy as np

from datafab import quality
from datafab.foundry import Foundry
from datafab.services import webhooks
from datafab.services.projects import Project, load_project, working_project
from datafab.services.quality.evidence import Evidence
from datafab.services.quality.methods import is_model_based, method_of
from datafab.services.quality.posteriors import (
    _average_confusion,
    _class_prior,
    _confusions,
    _finished,
    _outcome,
)
from datafab.services.records import store_record
from datafab.store import submitting
from datafab.store.handles import Connection

RESCORE_MAX_OPEN = 2_000  # after a submission, rescore its contributor's open items up to this


def open_labelled(conn: Connection, project: Project, contributor: int) -> list[int]:
    """The open items of a model-based, active project that ``contributor`` labelled, the
    ones ``rescore_open`` rescores (read inside a submit, so the rescore needs no read of
    its own): at most ``RESCORE_MAX_OPEN + 1``, none for other projects."""
    if not is_model_based(project) or project.status != "active":
        return []
    return submitting.open_labelled(conn, project.id, contributor, RESCORE_MAX_OPEN + 1)


def rescore_open(foundry: Foundry, project_id: int, contributor: int,
                 ids: list[int] | None = None) -> int:
    """Recompute the posterior of every open item of a model-based project that
    ``contributor`` labelled — the items whose posterior their new evidence changes — from
    its labels and its contributors' current skill counts (the warm start ``item_outcome``
    uses), and close the items that are now finished, so no further label is bought on a
    posterior made with an older skill. Skipped (0) when more than ``RESCORE_MAX_OPEN`` such
    items are open: there the periodic refit keeps them current. ``ids``: those items as
    ``open_labelled`` read them, if the caller did. How many records changed."""
    now = foundry.now()
    if ids is None:
        with foundry.db.read() as conn:
            ids = open_labelled(conn, working_project(foundry, conn, project_id), contributor)
    if not ids or len(ids) > RESCORE_MAX_OPEN:
        return 0  # most submits leave nothing open to rescore: no write then
    with foundry.db.write() as conn:
        project = load_project(conn, None, project_id)
        if not is_model_based(project) or project.status != "active":
            return 0
        locked = submitting.lock_items(conn, ids)
        ids = [i for i in ids if i in locked and locked[i].status == "open"]
        rows = submitting.votes_of(conn, ids) if ids else []
        if not rows:
            return 0
        names = project.primitive.classes(project.settings)
        k = len(names)
        voters = sorted({r.contributor_id for r in rows})
        confusions = _confusions(conn, project, voters, Evidence())
        prior = _class_prior(foundry, conn, project.id, k)
        position = {item_id: n for n, item_id in enumerate(ids)}
        voter = {c: n for n, c in enumerate(voters)}
        encode = project.primitive.encode
        post = quality.posteriors(
            np.array([position[r.item_id] for r in rows], dtype=np.int64),
            np.array([voter[r.contributor_id] for r in rows], dtype=np.int64),
            np.array([encode(project.settings, r.answer) for r in rows], dtype=np.int64),
            confusions, prior, n_items=len(ids),
        )
        per_item = np.bincount([position[r.item_id] for r in rows], minlength=len(ids))
        before = submitting.confidence_of(conn, ids)
        method, changed, finished = method_of(project), 0, False
        for n, item_id in enumerate(ids):
            outcome = _outcome(project, post[n], method)
            if abs(before.get(item_id, -1.0) - outcome.confidence) <= 1e-6:
                continue
            changed += 1
            store_record(conn, project.id, item_id, outcome, int(per_item[n]), now)
            item = locked[item_id]
            if _finished(project, item.n_labels, outcome,
                         lambda: _average_confusion(foundry, conn, project)):
                submitting.settle(conn, item=item_id, n_labels=item.n_labels,
                                  n_live=item.n_live, slots=0, status="done")
                webhooks.record_finished(conn, project.organization_id, project.id, item_id,
                                         now)
                finished = True
        if finished:
            webhooks.projects_finished(conn, {(project.organization_id, project.id)}, now)
    return changed
