"""The review loop of an audit: the top suspects (and a random sample, for the error rate)
become a review project that people re-label with adaptive overlap; its finished records
then correct the original records, each correction kept in the record's lineage.

A review item carries ``meta.audit``: the original item's id, its project, why it is there
(``suspect``, ``sample``: a random sample of every labelled item, suspects included, from
which the error rate is estimated) and its label when the audit ran. Applying the review is one
transaction: every finished review record whose answer differs from the original record's
replaces it (method ``review``; ``details.corrections`` says from what, to what, by which
review project and when). A refit of the original project leaves such a record alone.
"""

from __future__ import annotations

import random
from typing import Any

from datafab.errors import Conflict, InvalidInput
from datafab.foundry import Foundry
from datafab.quality import curation as maths
from datafab.services import items as items_service
from datafab.services.curation.audit import AuditReport
from datafab.services.projects import (
    Project,
    guidelines_of,
    insert_project,
    load_project,
    new_project,
)
from datafab.store import curation as store
from datafab.store import items as items_sql
from datafab.store.handles import IntegrityError

#: Adaptive overlap: two people each, up to five until the answer is 90% sure.
REVIEW_POLICY = {"min_labels": 2, "max_labels": 5, "target_confidence": 0.9}


def check_review(labelled: int, n: int, sample: int) -> None:
    """``InvalidInput`` naming ``review`` (or ``sample``) when they ask for more items than
    the project has ``labelled``."""
    if n < 1:
        raise InvalidInput("review: must be at least 1", field="review")
    if n > labelled:
        raise InvalidInput(f"review: {n} suspects asked for, but the project has only "
                           f"{labelled} labelled items", field="review")
    if sample < 0 or sample > labelled:
        raise InvalidInput(f"sample: between 0 and {labelled} (the labelled items)",
                           field="sample")


def create_review(foundry: Foundry, organization: int, report: AuditReport, n: int,
                  sample: int = 0, seed: int | None = None) -> dict[str, Any]:
    """A review project of the top ``n`` suspects plus ``sample`` other items drawn at
    random; returns its id and size. One transaction: all of it or nothing."""
    check_review(len(report.lines), n, sample)
    now = foundry.now()
    # the sample is drawn from every labelled item (suspects included): a random sample of
    # the dataset, so its share of wrong labels estimates the dataset's
    drawn = set(random.Random(seed).sample(range(len(report.lines)), sample))
    chosen = sorted(set(range(n)) | drawn)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, report.project_id)
        guidelines = guidelines_of(conn, project)
        rows = {r.id: r for r in store.items_with_records(conn, project.id)}
    spec = new_project(organization, {
        "name": f"{project.name} · review {int(now)}", "primitive": project.primitive_name,
        "guidelines": guidelines, "settings": project.settings_raw,
        "policy": {**REVIEW_POLICY, "method": project.policy.method},
        "required_skills": project.required_skills}, now)
    raw = []
    for i in chosen:
        item_id, line = report.item_ids[i], report.lines[i]
        raw.append({"external_id": line["external_id"], "data": rows[item_id].data,
                    "meta": {"audit": {"item_id": item_id, "project_id": project.id,
                                       "suspect": i < n, "sample": i in drawn,
                                       "answer": rows[item_id].answer,
                                       "p_wrong": line["p_wrong"]}}})
    try:
        with foundry.db.write() as conn:
            review_id = insert_project(conn, spec)
            review = load_project(conn, organization, review_id)
            items_sql.insert_items(conn, items_service.item_rows(review, raw, now))
    except IntegrityError as exc:
        raise Conflict(f"review: a project named {spec.name!r} exists; try again",
                       field="review") from exc
    return {"project_id": review_id, "suspects": n, "sample": len(drawn),
            "items": len(chosen)}


def apply_review(foundry: Foundry, organization: int, review_project_id: int) -> dict[str, Any]:
    """Correct the original records from the review's finished records; the corrections made
    and the error rate measured on the random sample."""
    now = foundry.now()
    with foundry.db.write() as conn:
        review = load_project(conn, organization, review_project_id)
        reviewed = [r for r in store.items_with_records(conn, review.id)
                    if (r.meta or {}).get("audit") and r.status == "done"
                    and r.answer is not None]
        if not any((r.meta or {}).get("audit") for r in
                   store.items_with_records(conn, review.id)):
            raise InvalidInput("project: not the review project of an audit",
                               field="project")
        originals: dict[int, Project] = {}
        records_of: dict[int, dict[int, Any]] = {}
        corrected, sample_checked, sample_wrong = [], 0, 0
        for r in reviewed:
            audit = r.meta["audit"]
            pid = int(audit["project_id"])
            if pid not in originals:
                originals[pid] = load_project(conn, organization, pid)
                records_of[pid] = {row.id: row for row in store.items_with_records(conn, pid)
                                   if row.answer is not None}
            was = records_of[pid].get(int(audit["item_id"]))
            if was is None:
                continue
            changed = not _same(originals[pid], was.answer, r.answer)
            if audit.get("sample"):
                sample_checked += 1
                sample_wrong += int(changed)
            if changed:
                _correct(conn, was, r, review.id, now)
                corrected.append({"external_id": r.external_id, "from": was.answer,
                                  "to": r.answer})
    rate, low, high = maths.error_rate(sample_wrong, sample_checked)
    return {"review_project_id": review.id, "reviewed": len(reviewed),
            "corrected": corrected,
            "error_rate": {"sample": sample_checked, "wrong": sample_wrong, "rate": rate,
                           "interval": [low, high]} if sample_checked else None}


def _same(project: Project, a: Any, b: Any) -> bool:
    if project.primitive_name == "spans":
        key = [(s["start"], s["end"], s["label"]) for s in (a or {}).get("spans", [])]
        return sorted(key) == sorted((s["start"], s["end"], s["label"])
                                     for s in (b or {}).get("spans", []))
    return (a or {}).get("label") == (b or {}).get("label")


def _correct(conn, was, reviewed, review_id: int, now: float) -> None:
    details = dict(was.details or {})
    details["corrections"] = [*details.get("corrections", []), {
        "from": was.answer, "to": reviewed.answer, "previous_method": was.method,
        "previous_confidence": was.confidence, "review_project_id": review_id,
        "review_confidence": reviewed.confidence, "at": now}]
    store.correct_record(conn, was.id, reviewed.answer, float(reviewed.confidence), details,
                         now)
