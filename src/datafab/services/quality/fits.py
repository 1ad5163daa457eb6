"""Full refits: the estimator fitted on all of a project's labels (gold clamped), then its
skills, class prior, records and open/done states written back in chunks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datafab import quality
from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.quality.counts import confusion_from_counts, expected_counts
from datafab.services import webhooks
from datafab.services.projects import Project, load_project
from datafab.services.quality.labels import Labels, load_labels
from datafab.services.quality.methods import is_model_based, method_of
from datafab.services.quality.posteriors import _finished, outcomes
from datafab.store import quality as store
from datafab.store import submitting
from datafab.store.handles import Connection


def refit(foundry: Foundry, project_id: int) -> int | None:
    """Refit the project's estimator on all its labels; rewrite skills, records and item
    states. Returns how many labels the fit saw (``None``: not a model-based project)."""
    fit = fit_project(foundry, project_id)
    return fit if fit is None or isinstance(fit, int) else apply_fit(foundry, fit)


@dataclass
class Fit:
    """A fitted estimator and what it was fitted on, not yet written back."""

    project: Project
    data: Labels
    state: Sequence[Any]
    estimator: Any
    counts: np.ndarray


def fit_project(foundry: Foundry, project_id: int) -> Fit | int | None:
    """The read-and-fit half of ``refit``: a ``Fit`` to write with ``apply_fit``, or what
    ``refit`` returns when there is nothing to write (labels seen, or ``None``)."""
    with foundry.db.read() as conn:
        project = load_project(conn, None, project_id)
        if not is_model_based(project):
            return _refit_whole_project(foundry, conn, project)
        data = load_labels(conn, project)
        state = store.item_states(conn, project.id)
    if data is None or len(data.label) == 0:
        return 0
    estimator = quality.get_estimator(method_of(project))().fit(
        data.item, data.worker, data.label, n_items=len(data.item_ids),
        n_workers=len(data.contributor_ids), n_classes=data.n_classes, gold=data.gold or None,
    )
    counts = expected_counts(data.item, data.worker, data.label, estimator.probas_,
                             n_workers=len(data.contributor_ids))
    return Fit(project, data, state, estimator, counts)


def apply_fit(foundry: Foundry, fit: Fit) -> int:
    """The write half of ``refit``: skills (with the labels stored since the fit read its
    data), the class prior, records and item states. How many labels the fit saw."""
    project, data, state, estimator, counts = (fit.project, fit.data, fit.state,
                                               fit.estimator, fit.counts)
    now = foundry.now()
    with foundry.db.write() as conn:
        _write_skills(conn, project, data, estimator, counts, now)
    foundry.cache.forget(("prior", project.id))
    foundry.cache.forget(("crowd", project.id))
    crowd = quality.population_confusion(confusion_from_counts(counts))
    records, states = _records_and_states(project, data, estimator, state, now, crowd)
    touched = sorted(set(records) | set(states))  # unchanged records are not rewritten
    for start in range(0, len(touched), REFIT_CHUNK):  # computed above: short transactions
        with foundry.db.write() as conn:
            _write_records(conn, project, touched[start:start + REFIT_CHUNK], records,
                           states, now)
    return len(data.label)


REFIT_CHUNK = 500  # items per write transaction, so a refit never holds many locks for long


def _refit_whole_project(foundry: Foundry, conn: Connection, project: Project) -> int | None:
    """For primitives with a project-wide rule (grade's rater bias): re-aggregate every item
    and rewrite the records nobody answered since. ``None`` when the primitive has none."""
    rows = store.counted_votes(conn, project.id)
    votes_by_item: dict[int, tuple[dict, list[Vote]]] = {}
    for r in rows:
        votes_by_item.setdefault(r.item_id, (r.data, []))[1].append(
            Vote(contributor=r.contributor_id, answer=r.answer))
    by_item = project.primitive.aggregate_project(project.settings, votes_by_item)
    if by_item is None:
        return None
    now = foundry.now()
    updates = [{"item": key, "n": len(votes_by_item[key][1]), "answer": o.answer,
                "confidence": float(o.confidence), "method": o.method,
                "details": o.details or None, "now": now} for key, o in by_item.items()]
    for start in range(0, len(updates), REFIT_CHUNK):
        chunk = updates[start:start + REFIT_CHUNK]
        with foundry.db.write() as write:
            submitting.lock_item_rows(write, [u["item"] for u in chunk])
            store.refit_records(write, chunk)
    return len(rows)


def _write_skills(conn, project, data: Labels, estimator, counts, now: float) -> None:
    _upsert_fit(conn, project.id, method_of(project), estimator.priors_.tolist(),
                len(data.label), now)
    gold_seen = np.zeros(len(data.contributor_ids), dtype=np.int64)
    gold_right = np.zeros(len(data.contributor_ids), dtype=np.int64)
    n_labels = np.bincount(data.worker, minlength=len(data.contributor_ids))
    for i, w, lab in zip(data.item, data.worker, data.label, strict=True):
        if int(i) in data.gold:
            gold_seen[w] += 1
            gold_right[w] += int(data.gold[int(i)] == lab)
    counts = counts.copy()
    _add_later_labels(conn, project, data, counts, n_labels, gold_seen, gold_right)
    store.replace_skills(conn, [
        {"project": project.id, "contributor": int(cid), "counts": counts[w].tolist(),
         "n_labels": int(n_labels[w]), "gold_seen": int(gold_seen[w]),
         "gold_correct": int(gold_right[w]), "now": now}
        for w, cid in enumerate(data.contributor_ids)
    ])


def _add_later_labels(conn, project, data: Labels, counts, n_labels, gold_seen,
                      gold_right) -> None:
    """Add the evidence of labels stored while the fit ran (the fit never saw them) to what
    is written back, as the submit that stored them did: without this, a refit would take
    back those labels' counts, gold answers and evidence until the next one."""
    position = {int(cid): w for w, cid in enumerate(data.contributor_ids)}
    names = project.primitive.class_names(project.settings)
    encode = project.primitive.encode
    for row in submitting.counted_after(conn, project.id, data.last_submission):
        w = position.get(row.contributor_id)
        if w is None:  # a newcomer: the submit's own evidence stands, the refit leaves it
            continue
        label = encode(project.settings, row.answer)
        n_labels[w] += 1
        if row.status == "gold" and row.gold_answer is not None:
            truth = encode(project.settings, row.gold_answer)
            gold_seen[w] += 1
            gold_right[w] += int(truth == label)
            counts[w, truth, label] += 1.0
            continue
        posterior = (row.details or {}).get("posterior") or {}
        counts[w, :, label] += np.array([posterior.get(n, 0.0) for n in names])


#: Confidences closer than this are the same: the record's posterior is stored to 6 places.
SAME_CONFIDENCE = 1e-6


def _records_and_states(
    project, data: Labels, estimator, state, now: float, crowd: np.ndarray
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The records the refit changes and the open/done states it changes, by item: computed
    before any transaction, so the writes hold their locks only to write. A record that
    already says what the refit found (``_unchanged``) is left out."""
    method, policy = method_of(project), project.policy
    per_item = np.bincount(data.item, minlength=len(data.item_ids))
    position = {int(item_id): n for n, item_id in enumerate(data.item_ids)}
    rows = [(row, position[row.id]) for row in state if row.id in position]
    found = outcomes(project, estimator.probas_[[n for _, n in rows]], method)
    records, states = {}, {}
    for (row, n), outcome in zip(rows, found, strict=True):
        record = {"item": row.id, "n": int(per_item[n]), "answer": outcome.answer,
                  "confidence": outcome.confidence, "method": method,
                  "details": outcome.details, "now": now}
        if not _unchanged(row, record):
            records[row.id] = record
        done = _finished(project, row.n_labels, outcome, lambda: crowd)
        if done != (row.status == "done"):
            states[row.id] = {"item": row.id, "n_labels": row.n_labels,
                              "status": "done" if done else "open",
                              "wanted": 0 if done else policy.wanted(row.n_labels)}
    return records, states


def _unchanged(row: Any, record: dict[str, Any]) -> bool:
    """Whether the item's stored record already holds what the refit would write (or is an
    audit's reviewed correction, which a refit never replaces): the same labels counted,
    method, answer and posterior, and a confidence within ``SAME_CONFIDENCE``."""
    if row.record_method == "review":
        return True
    return (row.record_n == record["n"] and row.record_method == record["method"]
            and row.record_confidence is not None
            and abs(row.record_confidence - record["confidence"]) <= SAME_CONFIDENCE
            and row.record_answer == record["answer"]
            and row.record_details == (record["details"] or None))


def _write_records(conn, project, item_ids: list[int], records: dict[int, dict[str, Any]],
                   states: dict[int, dict[str, Any]], now: float) -> None:
    """The changed records and open/done states of a chunk of items, locked in id order
    first (the order a submit takes them), so a refit and the line never deadlock."""
    submitting.lock_item_rows(conn, item_ids)
    store.refit_records(conn, [records[i] for i in item_ids if i in records])
    state_rows = [states[i] for i in item_ids if i in states]
    if state_rows:
        store.refit_states(conn, state_rows)
        finished = [r["item"] for r in state_rows if r["status"] == "done"]
        if finished:
            webhooks.items_finished(conn, project, finished, now)


def _upsert_fit(conn, project_id: int, method: str, prior: list[float], n: int,
                now: float) -> None:
    store.upsert_fit(conn, project_id, method, prior, n, now)
