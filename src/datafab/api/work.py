"""The contributor side: lease items, then submit, renew or release each lease."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import ContributorDep, FoundryDep, client_address
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import work as out
from datafab.foundry import Foundry
from datafab.services import work
from datafab.services.accounts import Contributor
from datafab.services.work import (
    MAX_LEASES_PER_CALL,
    BatchSubmissionIn,
    ReleaseIn,
    SubmissionIn,
)

PREFIX = "/v1"
LEASES = "/projects/{project_id}/leases"  # the three routes api/lease_path.py answers directly
SUBMIT = "/leases/{lease_id}/submit"
SUBMISSIONS = "/submissions"
router = APIRouter(prefix=PREFIX, tags=["work"], route_class=CheckedRoute)


class LeaseRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    n: int = Field(1, ge=1, le=MAX_LEASES_PER_CALL, description="How many items to lease.")


@router.post(LEASES, response_model=out.LeaseBatchOut, response_model_exclude_unset=True)
def lease(
    project_id: int, request: Request, who: ContributorDep, foundry: FoundryDep,
    body: LeaseRequest | None = None,
) -> dict[str, Any]:
    return leased(foundry, who, project_id, body, client_address(request.scope))


def leased(foundry: Foundry, who: Contributor, project_id: int, body: LeaseRequest | None,
           address: str) -> dict[str, Any]:
    n = body.n if body else 1
    return work.lease_batch(foundry, who, project_id, n, address).to_dict()


@router.post(SUBMIT, response_model=out.ReceiptOut, response_model_exclude_unset=True)
def submit(
    lease_id: int, body: SubmissionIn, who: ContributorDep, foundry: FoundryDep
) -> dict[str, Any]:
    return submitted(foundry, who, lease_id, body)


def submitted(foundry: Foundry, who: Contributor, lease_id: int,
              body: SubmissionIn) -> dict[str, Any]:
    return work.submit(foundry, who, lease_id, body.model_dump(exclude_none=True)).to_dict()


class SubmissionBatch(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    submissions: list[BatchSubmissionIn] = Field(
        min_length=1, max_length=MAX_LEASES_PER_CALL,
        description="Answers for several leases; all land in one transaction, or none does.",
    )


@router.post(SUBMISSIONS, response_model=out.ReceiptList, response_model_exclude_unset=True)
def submit_many(body: SubmissionBatch, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return submitted_many(foundry, who, body)


def submitted_many(foundry: Foundry, who: Contributor, body: SubmissionBatch) -> dict[str, Any]:
    raw = [entry.model_dump(exclude_none=True) for entry in body.submissions]
    return {"submissions": [r.to_dict() for r in work.submit_many(foundry, who, raw)]}


@router.post("/leases/{lease_id}/renew",
             response_model=out.Renewed, response_model_exclude_unset=True)
def renew(lease_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return {"id": lease_id, "expires_at": work.renew_lease(foundry, who, lease_id)}


@router.post("/leases/{lease_id}/release",
             response_model=out.Released, response_model_exclude_unset=True)
def release(
    lease_id: int, who: ContributorDep, foundry: FoundryDep, body: ReleaseIn | None = None
) -> dict[str, Any]:
    raw = body.model_dump(exclude_none=True) if body is not None else None
    work.release_lease(foundry, who, lease_id, raw)
    return {"id": lease_id, "status": "released"}


@router.get("/me", response_model=out.MeOut, response_model_exclude_unset=True)
def me(who: ContributorDep) -> dict[str, Any]:
    return {"id": who.id, "name": who.name, "kind": who.kind, "skills": who.skills,
            "status": who.status}


@router.get("/me/projects", response_model=out.VisibleProjects, response_model_exclude_unset=True)
def my_projects(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    """The projects the contributor may work on now (a project they may not see is not
    listed); the organization behind one is named only if it lets contributors know."""
    return {"projects": work.visible_projects(foundry, who)}


@router.get("/projects/{project_id}/instructions",
            response_model=out.InstructionsOut, response_model_exclude_unset=True)
def instructions(project_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    """What a contributor needs to work on a project: its primitive, settings and guidelines.
    A project they may not see now is not found."""
    return work.instructions(foundry, who, project_id)
