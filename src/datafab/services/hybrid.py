"""Models in the line: they answer first, and people are the safety driver.

In a project whose policy says ``models.first``, new items wait in the model stage (status
``'model'``) until a model contributor answers them through the ordinary lease/submit API.
Each model answer carries the model's calibrated confidence; ``quality.routing.decide`` then
says whether it stands alone (the item is done, no person needed), goes to people anyway as
an audit, or goes to people because the model is unsure or not yet proven on gold. A model
that gives an item back unanswered (malformed output, an endpoint that is down) hands it
straight on to people, and items no model answers within ``wait_seconds`` go on by
themselves, so the line keeps running on people alone.

A model's gold answers are kept by confidence bin (``model_calibration``): that is what
"its measured accuracy at that confidence" means, and what the effort report shows as its
calibration. Its calls, tokens and cost arrive with its submissions (``usage``) and land in
``model_usage``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from datafab.foundry import Foundry
from datafab.primitives import Outcome, Vote
from datafab.quality import routing
from datafab.quality.calibration import at_or_above, confidence_bin
from datafab.services import quality
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.services.records import store_record
from datafab.store import leasing, model_ledger, model_stage, submitting
from datafab.store.handles import Connection

_RANDOM = random.Random()  # audit draws; not security-relevant
ROUTES = {"accept": "accepted", "audit": "audit", "people": "people"}


class UsageIn(BaseModel):
    """What answering cost, as a model worker reports it with its submission or release."""

    model_config = ConfigDict(strict=True, extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="The model's name.")
    calls: int = Field(1, ge=0, le=10_000, description="Calls made, retries included.")
    prompt_tokens: int = Field(0, ge=0, le=10**9)
    completion_tokens: int = Field(0, ge=0, le=10**9)
    cost: float = Field(0.0, ge=0.0, le=10**6, description="Price of these calls.")
    seconds: float = Field(0.0, ge=0.0, le=86_400, description="Wall time of these calls.")


def is_model_first(project: Project) -> bool:
    return project.policy.models.first


def initial_status(project: Project) -> str:
    """Where a new (non-gold) item starts: with the models, or with people."""
    return "model" if is_model_first(project) else "open"


# -- leasing ------------------------------------------------------------------------------------

def claim(conn: Connection, project: Project, contributor: Contributor, *, n: int, now: float,
          expires: float, reserve: int = 0) -> list[leasing.Claim]:
    """Claim work for a contributor: in a model-first project a model gets items from the
    model stage, and people first see the items that waited too long for a model. Each lease
    holds ``reserve`` of the project's budget."""
    who: dict[str, Any] = {"project": project.id, "contributor": contributor.id, "n": n, "now": now,
           "expires": expires, "reserve": reserve}
    if is_model_first(project):
        if contributor.kind == "model":
            return model_stage.claim(conn, **who)
        model_stage.open_waiting(conn, project=project.id,
                                 cutoff=now - project.policy.models.wait_seconds)
    return leasing.claim(conn, **who)


def gold_rate(project: Project, contributor: Contributor) -> float:
    """How much gold this contributor's leases carry: a model may have a rate of its own."""
    own = project.policy.models.gold_rate
    return own if contributor.kind == "model" and own is not None else project.policy.gold_rate


def suggestions(conn: Connection, project: Project, contributor: Contributor,
                item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The model answers a person may see on these items (none for models, none unless the
    project allows suggestions)."""
    if contributor.kind == "model" or not project.policy.models.suggest:
        return {}
    return {item: suggestion(row)
            for item, row in model_ledger.model_answers(conn, item_ids).items()}


def shown_draft(conn: Connection, project: Project, contributor: Contributor,
                item_id: int) -> dict[str, Any] | None:
    """The suggestion a person was shown on this item, kept as their submission's ``draft``
    so that following suggestions can be measured."""
    return suggestions(conn, project, contributor, [item_id]).get(item_id)


def suggestion(row) -> dict[str, Any]:
    return {"answer": row.answer, "confidence": row.confidence, "source": "model"}


def after_release(conn: Connection, contributor: Contributor, item_id: int) -> None:
    """A model gave an item back unanswered: people take it from here."""
    if contributor.kind == "model":
        model_stage.to_people(conn, item_id)


def record_usage(conn: Connection, project_id: int, contributor: Contributor,
                 item_id: int | None, usage: UsageIn | None, outcome: str, now: float) -> None:
    if usage is not None:
        model_ledger.record_usage(conn, [{
            "project": project_id, "contributor": contributor.id, "item": item_id,
            "outcome": outcome, "now": now, **usage.model_dump(),
        }])


# -- submitting ---------------------------------------------------------------------------------

def mark_confidence(conn: Connection, submission: int, confidence: float) -> None:
    model_ledger.mark_submission(conn, submission, confidence, None)


def note_gold(conn: Connection, project: Project, contributor: Contributor, submission: int,
              confidence: float | None, correct: bool, now: float) -> None:
    """A model's gold answer with a stated confidence: one more point of its calibration."""
    if confidence is None:
        return
    model_ledger.mark_submission(conn, submission, confidence, None)
    if contributor.kind == "model":
        model_ledger.add_gold_result(conn, project=project.id, contributor=contributor.id,
                                     bin=confidence_bin(confidence), confidence=confidence,
                                     correct=correct, now=now)


class ModelTurn:
    """A model's answer to an item in the model stage: routed before it is stored."""

    def __init__(self, foundry: Foundry, conn: Connection, project: Project,
                 contributor: Contributor, item, confidence: float | None) -> None:
        self.foundry = foundry
        self.conn, self.project, self.contributor, self.item = conn, project, contributor, item
        self.confidence = confidence
        self.decision = self._decide()

    @classmethod
    def of(cls, foundry: Foundry, conn: Connection, project: Project,
           contributor: Contributor, item, confidence: float | None) -> ModelTurn | None:
        """The model turn, if this answer is a model's first answer to a waiting item."""
        if item.status != "model" or contributor.kind != "model":
            return None
        return cls(foundry, conn, project, contributor, item, confidence)

    def _decide(self) -> routing.Decision:
        policy = self.project.policy.models
        if not policy.auto_accept:
            return routing.Decision("people", "auto_accept is off", 0.0)
        bins = model_ledger.calibration_bins(self.conn, project=self.project.id,
                                             contributor=self.contributor.id)
        seen, correct = _bin_arrays(bins)
        n, k = at_or_above(seen, correct, policy.accept_confidence)
        return routing.decide(
            self.confidence, accept_confidence=policy.accept_confidence,
            target_accuracy=policy.target_accuracy, gold_seen=n, gold_correct=k,
            min_gold=policy.min_gold, audit_rate=policy.audit_rate, draw=_RANDOM.random(),
        )

    @property
    def counted(self) -> bool:
        """Whether the answer is a vote: only when the item goes to people and the project
        lets model answers vote (an audit is kept independent of the model)."""
        return self.decision.action == "people" and self.project.policy.models.vote

    def settle(self, submission: int, answer: dict[str, Any], now: float,
               evidence: quality.Evidence) -> bool:
        """Record the route; finish the item on an accepted answer, else hand it to people."""
        item, project = self.item, self.project
        model_ledger.mark_submission(self.conn, submission, self.confidence,
                                     ROUTES[self.decision.action])
        n_live = item.n_live - 1
        if self.decision.accepted:
            assert self.confidence is not None  # an answer is accepted only with a confidence
            outcome = Outcome(answer=answer, confidence=float(self.confidence), method="model",
                              details={"route": "accepted", "reason": self.decision.reason})
            store_record(self.conn, project.id, item.id, outcome, 1, now)
            submitting.settle(self.conn, item=item.id, n_labels=item.n_labels, n_live=n_live,
                              slots=0, status="done")
            return True
        if self.counted:
            votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                     for r in submitting.votes(self.conn, item.id)]
            outcome = quality.item_outcome(self.foundry, self.conn, project, item.data, votes,
                                           evidence)
            store_record(self.conn, project.id, item.id, outcome, len(votes), now)
            gained = quality.label_evidence(project, answer, outcome)
            if gained is not None:
                evidence.add(project.id, self.contributor.id, len(gained[1]), *gained)
        slots = max(0, project.policy.wanted(item.n_labels) - item.n_labels - n_live)
        submitting.settle(self.conn, item=item.id, n_labels=item.n_labels, n_live=n_live,
                          slots=slots, status="open")
        return False


def _bin_arrays(bins) -> tuple[np.ndarray, np.ndarray]:
    from datafab.quality.calibration import CONFIDENCE_BINS

    seen = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    correct = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    for row in bins:
        seen[row.bin], correct[row.bin] = row.seen, row.correct
    return seen, correct
