"""A contributor's turn: lease items, then submit, renew or release each lease.

Leasing and submitting are one short transaction each. A submission updates the item's
counters and its record in the same transaction, so the record always reflects every
acknowledged submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from datafab.errors import Conflict, InvalidInput, LeaseExpired, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project, working_project
from datafab.services.records import store_record
from datafab.store import leasing, submitting
from datafab.store.tables import leases

MAX_LEASES_PER_CALL = 100


@dataclass(frozen=True)
class Lease:
    id: int
    project_id: int
    item_id: int
    external_id: str
    data: dict[str, Any]
    expires_at: float
    guideline_version: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "expires_at": self.expires_at,
            "guideline_version": self.guideline_version,
            "item": {"id": self.item_id, "external_id": self.external_id, "data": self.data},
        }


@dataclass(frozen=True)
class Receipt:
    """What a contributor gets back for a stored submission."""

    submission_id: int
    lease_id: int
    item_id: int
    item_done: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "lease_id": self.lease_id,
            "item_id": self.item_id,
            "item_done": self.item_done,
        }


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any]
    seconds_spent: float | None = Field(None, ge=0, le=86_400)
    draft: dict[str, Any] | None = None


class BatchSubmissionIn(SubmissionIn):
    lease_id: int


def lease_items(
    foundry: Foundry, contributor: Contributor, project_id: int, n: int = 1
) -> list[Lease]:
    """Up to ``n`` items of the project that still need labels and that this contributor has
    never held, highest priority first. Fewer (or none) when the pool runs dry."""
    if not 1 <= n <= MAX_LEASES_PER_CALL:
        raise InvalidInput(f"n: must be between 1 and {MAX_LEASES_PER_CALL}", field="n")
    now = foundry.now()
    with foundry.db.write() as conn:
        project = working_project(foundry, conn, project_id)
        if project.status != "active":
            return []
        if foundry.expiry_due(now):
            leasing.expire(conn, now=now)
        seconds = project.policy.lease_seconds or foundry.settings.lease_seconds
        claims = leasing.claim(
            conn, project=project.id, contributor=contributor.id, n=n, now=now, expires=now + seconds
        )
    return [
        Lease(c.lease_id, project.id, c.item_id, c.external_id, c.data, c.expires_at,
              project.guideline_version)
        for c in claims
    ]


def submit(foundry: Foundry, contributor: Contributor, lease_id: int, raw: Any) -> Receipt:
    """Store the answer for a live lease held by ``contributor`` and update the item's record."""
    body = _parse(SubmissionIn, raw, None)
    (receipt,) = _submit_all(foundry, contributor, [(lease_id, body, "")])
    return receipt


def submit_many(foundry: Foundry, contributor: Contributor, raw: Any) -> list[Receipt]:
    """Store several answers in one transaction: all land, or (on any error) none does."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LEASES_PER_CALL:
        raise InvalidInput(
            f"submissions: expected a list of 1 to {MAX_LEASES_PER_CALL} submissions",
            field="submissions",
        )
    entries = []
    for i, entry in enumerate(raw):
        body = _parse(BatchSubmissionIn, entry, f"submissions.{i}")
        entries.append((body.lease_id, body, f"submissions.{i}."))
    if len({lease for lease, _, _ in entries}) != len(entries):
        raise InvalidInput("submissions: a lease appears twice", field="submissions")
    return _submit_all(foundry, contributor, entries)


def _parse(model: type[SubmissionIn], raw: Any, prefix: str | None) -> SubmissionIn:
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
    now = foundry.now()
    receipts = []
    with foundry.db.write() as conn:
        for lease_id, body, prefix in entries:
            receipts.append(_submit_one(foundry, conn, contributor, lease_id, body, prefix, now))
    return receipts


def _submit_one(foundry: Foundry, conn, contributor: Contributor, lease_id: int,
                body: SubmissionIn, prefix: str, now: float) -> Receipt:
    closed = leasing.close(conn, lease=lease_id, contributor=contributor.id, now=now)
    if closed is None:
        raise _lease_refusal(conn, lease_id, contributor.id, now, prefix)
    project = working_project(foundry, conn, closed.project_id)
    # Locked: concurrent submits on one item must not lose counts.
    item = submitting.lock_item(conn, closed.item_id)
    answer = project.primitive.parse_answer(
        project.settings, item.data, body.answer, f"{prefix}answer"
    )
    submission_id = submitting.insert_submission(
        conn, lease=lease_id, project=project.id, item=closed.item_id,
        contributor=contributor.id, answer=answer, seconds=body.seconds_spent,
        version=project.guideline_version, draft=body.draft, counted=True, now=now,
    )
    done = _settle_item(conn, project, closed.item_id, item.data, item.n_labels + 1,
                        item.n_live - 1, now)
    return Receipt(submission_id, lease_id, closed.item_id, done)


def _settle_item(conn, project: Project, item_id: int, data: dict, n_labels: int, n_live: int,
                 now: float) -> bool:
    """Recompute the item's record from its counted submissions and decide if it is done."""
    votes = [Vote(contributor=r.contributor_id, answer=r.answer)
             for r in submitting.votes(conn, item_id)]
    outcome = project.primitive.aggregate(project.settings, data, votes)
    store_record(conn, project.id, item_id, outcome, len(votes), now)
    done = project.policy.is_done(n_labels, outcome.confidence)
    slots = 0 if done else max(0, project.policy.wanted(n_labels) - n_labels - n_live)
    submitting.settle(conn, item=item_id, n_labels=n_labels, n_live=n_live, slots=slots,
                      status="done" if done else "open")
    return done


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
        return Conflict(f"lease {lease_id} was released", field=f"{prefix}lease_id")
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


def release_lease(foundry: Foundry, contributor: Contributor, lease_id: int) -> None:
    """Hand a lease back unanswered: the item returns to the pool (not to this contributor)."""
    now = foundry.now()
    with foundry.db.write() as conn:
        if not leasing.release(conn, lease=lease_id, contributor=contributor.id, now=now):
            raise _lease_refusal(conn, lease_id, contributor.id, now)


def expire_leases(foundry: Foundry) -> int:
    """Return every lease past its deadline to the pool; how many."""
    with foundry.db.write() as conn:
        return leasing.expire(conn, now=foundry.now())
