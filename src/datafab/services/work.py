"""A contributor's turn: lease items, then submit, renew or release each lease.

Leasing and submitting are one short transaction each. A submission updates the item's
counters and its record in the same transaction, so the record always reflects every
acknowledged submission.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

from pydantic import BaseModel

from datafab.errors import Conflict, InvalidInput, LeaseExpired, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import (
    access_log,
    confidentiality,
    hybrid,
    projects,
    quality,
    workforce,
)
from datafab.services.accounts import Contributor
from datafab.services.admission import admit
from datafab.services.line import submit as line
from datafab.services.line.events import Answer
from datafab.services.primitive_catalog import resolve
from datafab.services.projects import Project, load_project, working_project
from datafab.services.tracing import marking
from datafab.services.work_shapes import (
    BatchSubmissionIn,
    Lease,
    LeaseBatch,
    Receipt,
    ReleaseIn,
    SubmissionIn,
)
from datafab.store import leases, leasing, submitting
from datafab.store.handles import Connection

MAX_LEASES_PER_CALL = 100
_RANDOM = random.Random()  # gold mixing; not security-relevant


M = TypeVar("M", bound=BaseModel)


def instructions(foundry: Foundry, contributor: Contributor, project_id: int) -> dict[str, Any]:
    """What a contributor needs to work on a project they may see: its primitive, settings
    and guidelines (``NotFound`` for any other)."""
    with foundry.db.read() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        out = {"project_id": project.id, "name": project.name,
               "primitive": project.primitive_name, "settings": project.settings_raw,
               "guideline_version": project.guideline_version,
               "guidelines": projects.guidelines_of(conn, project),
               "sensitivity": confidentiality.sensitivity(foundry, conn, project),
               **resolve.instructions(project.custom)}
        shown = confidentiality.customer(foundry, conn, project)
    if shown is not None:
        out["customer"] = shown
    return out


def visible_projects(foundry: Foundry, contributor: Contributor) -> list[dict[str, Any]]:
    """The projects the contributor may see now, oldest first."""
    with foundry.db.read() as conn:
        out = []
        for project in confidentiality.visible_projects(foundry, conn, contributor):
            row = {"project_id": project.id, "name": project.name,
                   "primitive": project.primitive_name,
                   "guideline_version": project.guideline_version}
            shown = confidentiality.customer(foundry, conn, project)
            if shown is not None:
                row["customer"] = shown
            out.append(row)
    return out


def lease_items(
    foundry: Foundry, contributor: Contributor, project_id: int, n: int = 1,
    address: str | None = None, event: str = access_log.LEASE,
) -> list[Lease]:
    """Up to ``n`` items of the project that still need labels and that this contributor has
    never held, highest priority first, with gold items mixed in unannounced at the project's
    gold rate. Fewer (or none) when the pool runs dry."""
    return lease_batch(foundry, contributor, project_id, n, address, event).leases


def lease_batch(
    foundry: Foundry, contributor: Contributor, project_id: int, n: int = 1,
    address: str | None = None, event: str = access_log.LEASE,
) -> LeaseBatch:
    """``lease_items`` with the reason behind an empty or short batch (see ``LeaseBatch``);
    the project's workforce policy (skills, qualification, fair spread, probation, budget)
    is decided in the same transaction, before the claim, and each lease on a budgeted
    project reserves the price of its task there (``workforce.reserve``). The items handed
    out are written to the access log in the same transaction, with the client's
    ``address``."""
    if not 1 <= n <= MAX_LEASES_PER_CALL:
        raise InvalidInput(f"n: must be between 1 and {MAX_LEASES_PER_CALL}", field="n")
    now = foundry.now()
    with foundry.db.write() as conn:
        project = working_project(foundry, conn, project_id)
        gate = admit(foundry, conn, project, contributor, n)
        if confidentiality.hides(gate):  # the project does not exist for them
            raise confidentiality.hidden(project_id)
        if gate.stopped:
            return LeaseBatch([], gate.state, gate.reason)
        price = workforce.hold_budget(foundry, conn, project, gate)  # before any row lock
        if foundry.expiry_due(now):
            leasing.expire(conn, now=now)  # before the budget is read: frees what they held
        if price:
            gate = workforce.reserve(conn, project, gate, price)
            if gate.stopped:
                return LeaseBatch([], gate.state, gate.reason)
        expires = now + (project.policy.lease_seconds or foundry.settings.lease_seconds)
        who: dict[str, Any] = {"project": project.id, "contributor": contributor.id,
                               "now": now, "expires": expires}
        if gate.gold is not None:
            n_gold = gate.gold
        else:
            rate = gate.gold_rate if gate.gold_rate is not None else hybrid.gold_rate(
                project, contributor)
            n_gold = sum(_RANDOM.random() < rate for _ in range(gate.real))
            if (n_gold and contributor.kind != "model" and gate.state != "probation"
                    and not leasing.work_left(conn, project=project.id,
                                              contributor=contributor.id)):
                n_gold = 0  # a person's gold rides along with real work, never replaces it
        gold = leasing.claim_gold(conn, n=n_gold, **who) if n_gold else []
        n_real = min(gate.real, n - len(gold)) if gate.gold is None else 0
        claims = []
        if n_real > 0 and gate.hard_below is not None and not hybrid.is_model_first(project):
            claims = leasing.claim(conn, n=n_real, hard_below=gate.hard_below, reserve=price,
                                   **who)
        if n_real > len(claims):
            claims += hybrid.claim(conn, project, contributor, n=n_real - len(claims),
                                   now=now, expires=expires, reserve=price)
        workforce.after_claim(conn, project, contributor, gate, len(claims), now)
        shown = hybrid.suggestions(conn, project, contributor,
                                   [c.item_id for c in claims + gold])
        access_log.record_items(foundry, conn, project=project.id, event=event,
                                items=[c.item_id for c in claims + gold],
                                contributor=contributor.id, address=address, now=now)
    for claim in gold:  # unannounced: anywhere in the batch
        claims.insert(_RANDOM.randint(0, len(claims)), claim)
    marked = marking.marker(foundry, project, contributor)  # the text as this one receives it
    return LeaseBatch([
        Lease(c.lease_id, project.id, c.item_id, c.external_id, marked(c.item_id, c.data),
              c.expires_at, project.guideline_version, shown.get(c.item_id))
        for c in claims
    ], gate.state, gate.reason)


def submit(foundry: Foundry, contributor: Contributor, lease_id: int, raw: Any) -> Receipt:
    """Store the answer for a live lease held by ``contributor`` and update the item's record.

    The same answer sent again for a lease it already settled (a retry whose response was
    lost) gets the first receipt back; another answer is refused."""
    body = parse(SubmissionIn, raw, None)
    try:
        (receipt,) = _submit_all(foundry, contributor, [(lease_id, body, "")])
    except Conflict:
        earlier = _earlier_receipt(foundry, contributor, lease_id, body)
        if earlier is None:
            raise
        return earlier
    return receipt


def _earlier_receipt(foundry: Foundry, contributor: Contributor, lease_id: int,
                     body: SubmissionIn) -> Receipt | None:
    with foundry.db.read() as conn:
        row = leases.submitted_under(conn, lease_id, contributor.id)
        if row is None or row.status == "gold":
            return None
        project = load_project(conn, None, row.project_id)
        sent = marking.unmarked(foundry, conn, project, body.answer)  # as the first was stored
    try:
        answer = project.primitive.parse_answer(project.settings, row.data, sent, "answer")
    except InvalidInput:
        return None
    if answer != row.answer:
        return None
    return Receipt(row.id, lease_id, row.item_id, row.status == "done")


def submit_many(foundry: Foundry, contributor: Contributor, raw: Any) -> list[Receipt]:
    """Store several answers in one transaction: all land, or (on any error) none does."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LEASES_PER_CALL:
        raise InvalidInput(
            f"submissions: expected a list of 1 to {MAX_LEASES_PER_CALL} submissions",
            field="submissions",
        )
    entries: list[tuple[int, SubmissionIn, str]] = []
    for i, entry in enumerate(raw):
        body = parse(BatchSubmissionIn, entry, f"submissions.{i}")
        entries.append((body.lease_id, body, f"submissions.{i}."))
    if len({lease for lease, _, _ in entries}) != len(entries):
        raise InvalidInput("submissions: a lease appears twice", field="submissions")
    return _submit_all(foundry, contributor, entries)


def _submit_all(
    foundry: Foundry, contributor: Contributor, entries: list[tuple[int, SubmissionIn, str]]
) -> list[Receipt]:
    """Close the leases (one statement; a lease not live is refused, the first in lease
    order), lock their items (in item order, so concurrent batches never deadlock), then run
    the submit pipeline over the batch (``line.submit``)."""
    now = foundry.now()
    with foundry.db.write() as conn:
        closed = leasing.close_many(conn, leases=[e[0] for e in entries],
                                    contributor=contributor.id, now=now)
        for lease_id, _, prefix in sorted(entries, key=lambda e: e[0]):
            if lease_id not in closed:
                raise _lease_refusal(conn, lease_id, contributor.id, now, prefix)
        locked = submitting.lock_items(conn, [row.item_id for row in closed.values()])
        answers = [Answer(lease_id, body, prefix,
                          working_project(foundry, conn, closed[lease_id].project_id),
                          locked[closed[lease_id].item_id], contributor.id)
                   for lease_id, body, prefix in entries]
        still_open = line.run(foundry, conn, contributor, answers, now)
    labelled: dict[int, int] = {}
    for row in closed.values():
        labelled[row.project_id] = labelled.get(row.project_id, 0) + 1
    quality.after_submissions(foundry, labelled, contributor.id, still_open)
    return [Receipt(a.submission_id, a.lease_id, a.item.id, a.done, a.feedback)
            for a in answers]


def record_answers(
    foundry: Foundry, contributor: Contributor, project: Project, answers: dict[int, dict]
) -> int:
    """Store answers that arrived without a lease (prior answers of imported data) for the
    given item ids, skipping items this contributor already answered; how many were stored."""
    if not answers:
        return 0
    now = foundry.now()
    with foundry.db.write() as conn:
        locked = submitting.lock_items(conn, list(answers))
        done_before = submitting.answered_by(conn, contributor.id, list(answers))
        batch = [Answer(None, SubmissionIn(answer=answers[item_id]), "", project,
                        locked[item_id], contributor.id)
                 for item_id in sorted(answers)
                 if item_id not in done_before and item_id in locked]
        if batch:
            line.run(foundry, conn, contributor, batch, now)
    if batch:
        quality.after_submissions(foundry, {project.id: len(batch)}, contributor.id)
    return len(batch)


class LeaseReleased(Conflict):
    """The lease was handed back already (a release sent again answers as the first did)."""


def _lease_refusal(
    conn: Connection, lease_id: int, contributor_id: int, now: float, prefix: str = ""
) -> Exception:
    row = leases.state(conn, lease_id)
    if row is None or row.contributor_id != contributor_id:
        return NotFound(f"lease {lease_id} not found", field=f"{prefix}lease_id")
    if row.status == "submitted":
        return Conflict(f"lease {lease_id} was already submitted", field=f"{prefix}lease_id")
    if row.status == "released":
        return LeaseReleased(f"lease {lease_id} was released", field=f"{prefix}lease_id")
    return LeaseExpired(
        f"lease {lease_id} expired; its item went back to the pool", field=f"{prefix}lease_id"
    )


def renew_lease(foundry: Foundry, contributor: Contributor, lease_id: int) -> float:
    """Push a live lease's deadline out by the project's lease length; the new deadline."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project_id = leases.project_of(conn, lease_id, contributor.id)
        if project_id is None:
            raise NotFound(f"lease {lease_id} not found", field="lease_id")
        project = load_project(conn, None, project_id)
        expires = now + (project.policy.lease_seconds or foundry.settings.lease_seconds)
        if not leasing.renew(conn, lease=lease_id, contributor=contributor.id, now=now,
                             expires=expires):
            raise _lease_refusal(conn, lease_id, contributor.id, now)
    return expires


def release_lease(foundry: Foundry, contributor: Contributor, lease_id: int,
                  raw: Any = None) -> None:
    """Hand a lease back unanswered: the item returns to the pool (not to this contributor).
    A model's item goes on to people; a model may report what the failed try cost. Releasing
    a lease this contributor released already changes nothing and succeeds again (a retry
    whose first try went through, its answer lost)."""
    body = parse(ReleaseIn, raw if raw is not None else {}, None)
    if body.usage is not None and contributor.kind != "model":
        raise InvalidInput("usage: only a model reports usage", field="usage")
    now = foundry.now()
    with foundry.db.write() as conn:
        if not leasing.release(conn, lease=lease_id, contributor=contributor.id, now=now):
            refusal = _lease_refusal(conn, lease_id, contributor.id, now)
            if isinstance(refusal, LeaseReleased):
                return  # a retry of a release that went through: the same answer, nothing redone
            raise refusal
        held = leases.leased(conn, lease_id)
        hybrid.after_release(conn, contributor, held.item_id)
        hybrid.record_usage(conn, held.project_id, contributor, held.item_id, body.usage,
                            body.reason, now)
        if body.usage is not None:
            tokens = body.usage.prompt_tokens + body.usage.completion_tokens
            workforce.after_release(foundry, conn, held.project_id, tokens, now)


def expire_leases(foundry: Foundry) -> int:
    """Return every lease past its deadline to the pool; how many."""
    with foundry.db.write() as conn:
        return leasing.expire(conn, now=foundry.now())
