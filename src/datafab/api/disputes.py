"""Disputes of gold verdicts over HTTP: a contributor files one on their own answer and
follows it; operators see the queue and decide."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from datafab.api.auth import ContributorDep, FoundryDep, Operator
from datafab.api.bodies import CheckedRoute
from datafab.services.disputes import filing, review
from datafab.services.disputes.filing import DisputeIn
from datafab.services.disputes.review import ResolutionIn

router = APIRouter(prefix="/v1", tags=["disputes"], route_class=CheckedRoute)


class DisputeOut(BaseModel):
    id: int
    project_id: int
    item_id: int
    submission_id: int
    status: str = Field(description="open, upheld or rejected.")
    reason: str
    resolution: str | None
    created_at: float
    resolved_at: float | None


class MyDisputesOut(BaseModel):
    disputes: list[DisputeOut]


class QueuedOut(DisputeOut):
    project_name: str
    external_id: str
    data: dict[str, Any]
    contributor_id: int
    contributor_name: str
    answer: dict[str, Any] = Field(description="The disputed answer.")
    gold_answer: dict[str, Any] | None = Field(description="The gold answer as it stands.")
    explanation: str | None
    corrected_answer: dict[str, Any] | None
    resolved_by: str | None


class QueueOut(BaseModel):
    disputes: list[QueuedOut]


class Rescored(BaseModel):
    contributor_id: int
    gold: dict[str, list[int]] | None = None
    qualification: dict[str, str] | None = None
    standing: dict[str, Any] | None = None
    bonus_minor: int | None = None


class ResolvedOut(BaseModel):
    id: int
    status: str
    corrected_answer: dict[str, Any] | None
    closed: list[int] = Field(description="Disputes this decision closed (the item's other "
                              "disputes the corrected answer proves right too).")
    changes: list[Rescored] = Field(description="Who was re-scored, and what changed (a "
                                    "score that did not change is left out).")


@router.post("/projects/{project_id}/disputes", status_code=201, response_model=DisputeOut)
def file_dispute(project_id: int, body: DisputeIn, who: ContributorDep,
                 foundry: FoundryDep) -> dict[str, Any]:
    """Dispute the verdict on your own wrong answer to a check item, with a reason."""
    return filing.file_dispute(foundry, who, project_id, body.model_dump()).to_dict()


@router.get("/me/disputes", response_model=MyDisputesOut)
def my_disputes(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return {"disputes": [d.to_dict() for d in filing.my_disputes(foundry, who)]}


@router.get("/disputes", response_model=QueueOut)
def queue(_: Operator, foundry: FoundryDep,
          status: Literal["open", "upheld", "rejected", "all"] = Query(
              "open", description="open, upheld, rejected, or all.")) -> dict[str, Any]:
    shown = review.list_disputes(foundry, None if status == "all" else status)
    return {"disputes": [d.to_dict() for d in shown]}


@router.post("/disputes/{dispute_id}/resolve", response_model=ResolvedOut,
             response_model_exclude_unset=True)
def resolve(dispute_id: int, body: ResolutionIn, _: Operator,
            foundry: FoundryDep) -> dict[str, Any]:
    """Uphold (correct the gold item and re-score everyone who answered it) or reject. Each
    re-scored contributor's entry in ``changes`` names only what changed (as the audit log's
    ``contributor.rescored`` does), not the rest as null."""
    return review.resolve(foundry, dispute_id, body.model_dump(exclude_none=True))
