"""Guidelines that change: a project's changelog and who acknowledged its latest material
change (requester), what a contributor owes and their acknowledgement (contributor)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from datafab.api.auth import ContributorDep, FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.guidelines import acknowledge, changes
from datafab.services.guidelines.acknowledge import AcknowledgeIn

router = APIRouter(prefix="/v1/projects", tags=["guidelines"], route_class=CheckedRoute)


class ChangeOut(BaseModel):
    version: int
    changelog: str
    requires_ack: bool
    quiz_items: int
    created_at: float


class ChangesOut(BaseModel):
    changes: list[ChangeOut] = Field(description="Newest first.")


class QuizItemOut(BaseModel):
    item_id: int
    data: dict[str, Any]


class PendingOut(BaseModel):
    project_id: int
    pending: bool = Field(description="Whether an acknowledgement is owed before more work.")
    version: int | None = None
    changelog: str | None = None
    quiz: list[QuizItemOut] = Field(default_factory=list, description="Gold items to answer "
                                    "with the acknowledgement (their answers withheld).")


class QuizItemResult(BaseModel):
    item_id: int
    correct: bool
    expected: dict[str, Any]
    explanation: str | None = None


class QuizResult(BaseModel):
    total: int
    correct: int
    passed: bool
    items: list[QuizItemResult]


class AcknowledgedOut(BaseModel):
    project_id: int
    version: int
    acknowledged: bool
    quiz: QuizResult | None = None


class AckRow(BaseModel):
    contributor: str = Field(description="The contributor's pseudonym in this project.")
    acknowledged_at: float | None
    quiz_correct: int
    quiz_seen: int


class RosterOut(BaseModel):
    project_id: int
    version: int | None
    changelog: str | None
    contributors: list[AckRow] = Field(description="Everyone who worked under an earlier "
                                       "version; acknowledged_at null: not yet.")


@router.get("/{project_id}/guidelines/changes", response_model=ChangesOut)
def list_changes(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"changes": changes.history(foundry, org, project_id)}


@router.get("/{project_id}/guidelines/acknowledgements", response_model=RosterOut)
def roster(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return acknowledge.roster(foundry, org, project_id)


@router.get("/{project_id}/guidelines/pending", response_model=PendingOut)
def pending(project_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    owed = acknowledge.pending(foundry, who, project_id)
    if owed is None:
        return {"project_id": project_id, "pending": False}
    return {"project_id": owed.project_id, "pending": True, "version": owed.version,
            "changelog": owed.changelog, "quiz": owed.quiz}


@router.post("/{project_id}/guidelines/acknowledge", response_model=AcknowledgedOut)
def acknowledge_guidelines(project_id: int, who: ContributorDep, foundry: FoundryDep,
                           body: AcknowledgeIn | None = None) -> dict[str, Any]:
    raw = body.model_dump(exclude_unset=True) if body else {}
    return acknowledge.acknowledge(foundry, who, project_id, raw)
