"""A project's common errors over HTTP: the contributor's view (with their own mistakes) and
the requester's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from datafab.api.auth import ContributorDep, FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services import common_errors

router = APIRouter(prefix="/v1", tags=["common errors"], route_class=CheckedRoute)


class ExampleOut(BaseModel):
    item_id: int
    external_id: str | None = Field(description="None: an item this contributor never saw.")
    data: dict[str, Any] | None


class ConfusionOut(BaseModel):
    expected: Any
    given: Any
    count: int
    explanation: str | None
    examples: list[ExampleOut]


class DisagreementOut(BaseModel):
    item: ExampleOut
    disagreement: float = Field(description="Share of answers off the most frequent one.")
    answers: int
    spread: list[tuple[Any, int]]


class DigestOut(BaseModel):
    project_id: int
    gold_answers: int
    gold_wrong: int
    confusions: list[ConfusionOut] = Field(description="Most frequent gold confusions first.")
    disagreements: list[DisagreementOut]
    mine: list[ConfusionOut] | None = Field(description="The contributor's own mistakes.")


@router.get("/me/projects/{project_id}/common-errors", response_model=DigestOut)
def mine(project_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return common_errors.for_contributor(foundry, who, project_id).to_dict()


@router.get("/projects/{project_id}/common-errors", response_model=DigestOut)
def project(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return common_errors.for_requester(foundry, org, project_id).to_dict()
