"""A contributor's turn: lease items, then submit, renew or release each lease.

Leasing and submitting are one short transaction each. A submission updates the item's
counters and its record in the same transaction, so the record always reflects every
acknowledged submission.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select

from datafab import json_limits
from datafab.errors import Conflict, InvalidInput, LeaseExpired, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.services import (
    access_log,
    confidentiality,
    eval_guard,
    hybrid,
    projects,
    quality,
    webhooks,
    workforce,
)
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project, working_project
from datafab.services.records import store_record
from datafab.services.tracing import marking
from datafab.store import leasing, submitting
from datafab.store.tables import items, leases, submissions

MAX_LEASES_PER_CALL = 100
_RANDOM = random.Random()  # gold mixing; not security-relevant


@dataclass(frozen=True)
class Lease:
    id: int
    project_id: int
    item_id: int
    external_id: str
    data: dict[str, Any]
    expires_at: float
    guideline_version: int
    suggestion: dict[str, Any] | None = None  # a model's answer, where the project shows it

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "project_id": self.project_id,
            "expires_at": self.expires_at,
            "guideline_version": self.guideline_version,
            "item": {"id": self.item_id, "external_id": self.external_id, "data": self.data},
        }
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        return out


@dataclass(frozen=True)
class Receipt:
    """What a contributor gets back for a stored submission; ``feedback`` after a gold item."""

    submission_id: int
    lease_id: int | None  # None: an answer that came without a lease (an imported prior answer)
    item_id: int
    item_done: bool
    feedback: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "submission_id": self.submission_id,
            "lease_id": self.lease_id,
            "item_id": self.item_id,
            "item_done": self.item_done,
        }
        if self.feedback is not None:
            out["feedback"] = self.feedback
        return out


M = TypeVar("M", bound=BaseModel)


class SubmissionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    answer: dict[str, Any]
    seconds_spent: float | None = Field(None, ge=0, le=86_400)
    draft: json_limits.FreeForm = Field(
        None, description=f"Up to {json_limits.MAX_FREE_FORM_BYTES:,} bytes as JSON.")
    confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="A model's calibrated confidence in its answer."
    )
    usage: hybrid.UsageIn | None = Field(None, description="What a model's answer cost.")


class BatchSubmissionIn(SubmissionIn):
    lease_id: int


class ReleaseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reason: str = Field("skipped", pattern="^(skipped|malformed|failed)$",
                        description="Why the lease comes back: skipped, malformed, failed.")
    usage: hybrid.UsageIn | None = Field(None, description="What a model's failed try cost.")


@dataclass(frozen=True)
class LeaseBatch:
    """Leases granted by one call, and the state of the contributor's access to the project:
    ``open`` (``reason`` empty), ``qualifying`` or ``probation`` while work still flows, or
    why nothing will come for now (``budget_reached``, ``budget_reserved`` — the rest of the
    budget is held by leases out, ask again later —, ``share_reached``). A project the
    contributor may not see (paused, skills they lack, a private pool they are not in,
    removed, a failed qualification, an eval set's grading barred to them) is not found at
    all (``confidentiality``). On a budgeted
    project a batch may be shorter than asked: each lease reserves the price of its task,
    and only what the budget left pays for is granted."""

    leases: list[Lease]
    state: str = "open"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"leases": [lease.to_dict() for lease in self.leases], "state": self.state,
                "reason": self.reason}


def instructions(foundry: Foundry, contributor: Contributor, project_id: int) -> dict[str, Any]:
    """What a contributor needs to work on a project they may see: its primitive, settings
    and guidelines (``NotFound`` for any other)."""
    with foundry.db.read() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        out = {"project_id": project.id, "name": project.name,
               "primitive": project.primitive_name, "settings": project.settings_raw,
               "guideline_version": project.guideline_version,
               "guidelines": projects.guidelines_of(conn, project),
               "sensitivity": confidentiality.sensitivity(foundry, conn, project)}
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


def admit(foundry: Foundry, conn: Connection, project: Project, contributor: Contributor,
          n: int = 1) -> workforce.Gate:
    """What ``lease_batch`` would let this contributor take from the project now, decided
    without claiming anything: the project paused, the workforce gate, an eval set's bar.
    The contributor's pages show the same reason the lease would give."""
    if project.status != "active":
        return workforce.Gate("paused", "the project is paused")
    gate = workforce.gate(foundry, conn, project, contributor, n)
    if gate.stopped:
        return gate
    if eval_guard.barred(foundry, conn, project.id, project.organization_id, contributor.id):
        # an eval set's grading, and this contributor writes its training data
        return workforce.Gate("barred", "you write training data for this eval set's slices")
    return gate


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
    body = _parse(SubmissionIn, raw, None)
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
        row = conn.execute(
            select(submissions.c.id, submissions.c.answer, submissions.c.project_id,
                   items.c.id.label("item_id"), items.c.status, items.c.data)
            .join(items, items.c.id == submissions.c.item_id)
            .where(submissions.c.lease_id == lease_id,
                   submissions.c.contributor_id == contributor.id)
        ).first()
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
        body = _parse(BatchSubmissionIn, entry, f"submissions.{i}")
        entries.append((body.lease_id, body, f"submissions.{i}."))
    if len({lease for lease, _, _ in entries}) != len(entries):
        raise InvalidInput("submissions: a lease appears twice", field="submissions")
    return _submit_all(foundry, contributor, entries)


def _parse(model: type[M], raw: Any, prefix: str | None) -> M:
    if not isinstance(raw, dict):
        field = prefix or "body"
        raise InvalidInput(f"{field}: expected a JSON object", field=field)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc, prefix) from exc


def _submit_all(
    foundry: Foundry, contributor: Contributor, entries: list[tuple[int, SubmissionIn, str]]
) -> list[Receipt]:
    """Close the leases (in lease order), lock their items (in item order, so concurrent
    batches never deadlock), store each answer, then the contributor's new evidence."""
    now = foundry.now()
    evidence = quality.Evidence()
    receipts: list[Receipt] = []
    with foundry.db.write() as conn:
        closed = {}
        for lease_id, _, prefix in sorted(entries, key=lambda e: e[0]):
            row = leasing.close(conn, lease=lease_id, contributor=contributor.id, now=now)
            if row is None:
                raise _lease_refusal(conn, lease_id, contributor.id, now, prefix)
            closed[lease_id] = row
        locked = submitting.lock_items(conn, [row.item_id for row in closed.values()])
        for lease_id, body, prefix in entries:
            row = closed[lease_id]
            project = working_project(foundry, conn, row.project_id)
            turn = _Turn(foundry, conn, project, contributor, lease_id, locked[row.item_id], now)
            receipts.append(turn.store(body, prefix, evidence))
        quality.write_evidence(conn, evidence, now)
        webhooks.projects_finished(conn, {
            (working_project(foundry, conn, closed[lease_id].project_id).organization_id,
             closed[lease_id].project_id)
            for (lease_id, _, _), r in zip(entries, receipts, strict=True) if r.item_done}, now)
    labelled: dict[int, int] = {}
    for lease_id in closed:
        labelled[closed[lease_id].project_id] = labelled.get(closed[lease_id].project_id, 0) + 1
    quality.after_submissions(foundry, labelled, contributor.id)
    return receipts


def record_answers(
    foundry: Foundry, contributor: Contributor, project: Project, answers: dict[int, dict]
) -> int:
    """Store answers that arrived without a lease (prior answers of imported data) for the
    given item ids, skipping items this contributor already answered; how many were stored."""
    if not answers:
        return 0
    now = foundry.now()
    evidence = quality.Evidence()
    stored = 0
    with foundry.db.write() as conn:
        locked = submitting.lock_items(conn, list(answers))
        done_before = submitting.answered_by(conn, contributor.id, list(answers))
        for item_id in sorted(answers):
            if item_id in done_before or item_id not in locked:
                continue
            turn = _Turn(foundry, conn, project, contributor, None, locked[item_id], now)
            turn.store(SubmissionIn(answer=answers[item_id]), "", evidence)
            stored += 1
        quality.write_evidence(conn, evidence, now)
    if stored:
        quality.after_submissions(foundry, {project.id: stored}, contributor.id)
    return stored


class _Turn:
    """One answer to one item (leased, or imported with no lease), inside the submit
    transaction."""

    def __init__(self, foundry: Foundry, conn, project: Project, contributor: Contributor,
                 lease_id: int | None, item, now: float) -> None:
        self.foundry, self.conn, self.project = foundry, conn, project
        self.contributor, self.lease_id, self.item, self.now = contributor, lease_id, item, now

    def store(self, body: SubmissionIn, prefix: str, evidence: quality.Evidence) -> Receipt:
        project, item = self.project, self.item
        answer = project.primitive.parse_answer(
            project.settings, item.data,
            marking.unmarked(self.foundry, self.conn, project, body.answer), f"{prefix}answer"
        )
        if body.usage is not None and self.contributor.kind != "model":
            raise InvalidInput(f"{prefix}usage: only a model reports usage",
                               field=f"{prefix}usage")
        model_turn = hybrid.ModelTurn.of(self.foundry, self.conn, project, self.contributor,
                                         item, body.confidence)
        submission_id = submitting.insert_submission(
            self.conn, lease=self.lease_id, project=project.id, item=item.id,
            contributor=self.contributor.id, answer=answer, seconds=body.seconds_spent,
            version=project.guideline_version,
            draft=body.draft or hybrid.shown_draft(self.conn, project, self.contributor, item.id),
            counted=model_turn.counted if model_turn else True, now=self.now,
        )
        hybrid.record_usage(self.conn, project.id, self.contributor, item.id, body.usage,
                            "answered", self.now)
        tokens = (body.usage.prompt_tokens + body.usage.completion_tokens) if body.usage else 0
        if item.status == "gold":
            feedback = self._score_gold(answer, evidence)
            hybrid.note_gold(self.conn, project, self.contributor, submission_id,
                             body.confidence, feedback["correct"], self.now)
            self._account(submission_id, body, tokens, gold=True, correct=feedback["correct"])
            return Receipt(submission_id, self.lease_id, item.id, False, feedback)
        self._account(submission_id, body, tokens, gold=False, correct=None)
        if model_turn is not None:
            done = model_turn.settle(submission_id, answer, self.now, evidence)
        else:
            if body.confidence is not None:
                hybrid.mark_confidence(self.conn, submission_id, body.confidence)
            done = self._settle(answer, evidence)
        if done and item.status != "done":
            webhooks.record_finished(self.conn, project.organization_id, project.id, item.id,
                                     self.now)
        return Receipt(submission_id, self.lease_id, item.id, done)

    def _account(self, submission_id: int, body: SubmissionIn, tokens: int, *, gold: bool,
                 correct: bool | None) -> None:
        """Qualification, pay and metering of a leased answer (imported answers have none)."""
        if self.lease_id is not None:
            workforce.after_submission(
                self.foundry, self.conn, self.project, self.contributor, submission_id,
                gold=gold, correct=correct, seconds=body.seconds_spent, tokens=tokens,
                now=self.now)

    def _score_gold(self, answer: dict, evidence: quality.Evidence) -> dict[str, Any]:
        project, item = self.project, self.item
        correct, gained = quality.gold_evidence(project, answer, item.gold_answer)
        evidence.add_gold(project.id, self.contributor.id, correct)
        if gained is not None:
            evidence.add(project.id, self.contributor.id, len(gained[1]), *gained)
        return {
            "gold": True,
            "correct": correct,
            "expected": item.gold_answer,
            "explanation": (item.meta or {}).get("gold_explanation"),
        }

    def _settle(self, answer: dict, evidence: quality.Evidence) -> bool:
        """Recompute the item's record and decide whether it is done."""
        project, item = self.project, self.item
        votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                 for r in submitting.votes(self.conn, item.id)]
        outcome = quality.item_outcome(self.foundry, self.conn, project, item.data, votes,
                                       evidence)
        store_record(self.conn, project.id, item.id, outcome, len(votes), self.now)
        gained = quality.label_evidence(project, answer, outcome)
        if gained is not None:
            evidence.add(project.id, self.contributor.id, len(gained[1]), *gained)
        n_labels = item.n_labels + 1
        n_live = item.n_live - (1 if self.lease_id is not None else 0)
        done = quality.is_done(self.foundry, self.conn, project, n_labels, outcome)
        slots = 0 if done else max(0, project.policy.wanted(n_labels) - n_labels - n_live)
        submitting.settle(self.conn, item=item.id, n_labels=n_labels, n_live=n_live,
                          slots=slots, status="done" if done else "open")
        return done


class LeaseReleased(Conflict):
    """The lease was handed back already (a release sent again answers as the first did)."""


def _lease_refusal(
    conn, lease_id: int, contributor_id: int, now: float, prefix: str = ""
) -> Exception:
    row = conn.execute(
        select(leases.c.status, leases.c.expires_at, leases.c.contributor_id).where(
            leases.c.id == lease_id
        )
    ).first()
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
        row = conn.execute(
            select(leases.c.project_id).where(
                leases.c.id == lease_id, leases.c.contributor_id == contributor.id
            )
        ).first()
        if row is None:
            raise NotFound(f"lease {lease_id} not found", field="lease_id")
        project = load_project(conn, None, row.project_id)
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
    body = _parse(ReleaseIn, raw if raw is not None else {}, None)
    if body.usage is not None and contributor.kind != "model":
        raise InvalidInput("usage: only a model reports usage", field="usage")
    now = foundry.now()
    with foundry.db.write() as conn:
        if not leasing.release(conn, lease=lease_id, contributor=contributor.id, now=now):
            refusal = _lease_refusal(conn, lease_id, contributor.id, now)
            if isinstance(refusal, LeaseReleased):
                return  # a retry of a release that went through: the same answer, nothing redone
            raise refusal
        held = conn.execute(
            select(leases.c.item_id, leases.c.project_id).where(leases.c.id == lease_id)
        ).one()
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
