"""Recruitment over HTTP: operators open campaigns, read their funnels and review
credentials (``/v1/ops/…``, the operator token); contributors find a campaign by its referral
code, apply, take the screening test and upload credentials."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import ContributorDep, FoundryDep, Operator
from datafab.api.bodies import CheckedRoute
from datafab.errors import InvalidInput
from datafab.services.recruiting import applying, campaigns, credentials, funnel
from datafab.services.recruiting.applying import ApplicationIn, ScreeningIn
from datafab.services.recruiting.campaigns import CampaignIn
from datafab.services.recruiting.credentials import MAX_BYTES, ReviewIn

router = APIRouter(prefix="/v1", tags=["recruiting"], route_class=CheckedRoute)


class CampaignOut(BaseModel):
    id: int
    name: str
    referral_code: str
    status: str
    created_at: float
    skills: list[dict[str, Any]]
    questionnaire: list[str]
    screening: list[dict[str, Any]]
    pass_mark: float
    expert_skills: list[str]


class CampaignsOut(BaseModel):
    campaigns: list[CampaignOut]


class TestItem(BaseModel):
    item_id: int
    primitive: str
    data: dict[str, Any]


class AppliedOut(BaseModel):
    id: int
    campaign_id: int
    source: str
    screening: list[TestItem] = Field(description="The screening test (answers withheld).")


class ScreenedOut(BaseModel):
    campaign_id: int
    score: float
    passed: bool
    correct: int
    total: int


class CredentialOut(BaseModel):
    id: int
    skill: str
    content_type: str
    size: int
    status: str


class CredentialRow(BaseModel):
    id: int
    contributor_id: int
    contributor_name: str
    skill: str
    filename: str
    content_type: str
    size: int
    status: str
    reason: str | None
    reviewed_at: float | None
    created_at: float


class CredentialsOut(BaseModel):
    credentials: list[CredentialRow]


class ReviewedOut(BaseModel):
    id: int
    status: str
    skill: str


class StageOut(BaseModel):
    stage: str
    count: int
    conversion: float | None = Field(description="Share of the stage before that got here.")
    median_hours: float | None = Field(description="Median hours from the stage before.")


class FunnelOut(BaseModel):
    campaign_id: int
    name: str
    stages: list[StageOut]
    by_source: dict[str, list[StageOut]]


@router.post("/ops/campaigns", status_code=201, response_model=CampaignOut)
def create_campaign(body: CampaignIn, _: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return campaigns.create(foundry, body.model_dump(mode="json", exclude_none=True))


@router.get("/ops/campaigns", response_model=CampaignsOut)
def list_campaigns(_: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return {"campaigns": campaigns.listed(foundry)}


@router.get("/ops/campaigns/{campaign_id}/funnel", response_model=FunnelOut)
def campaign_funnel(campaign_id: int, _: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return funnel.funnel(foundry, campaign_id)


@router.get("/ops/credentials", response_model=CredentialsOut)
def credential_queue(_: Operator, foundry: FoundryDep,
                     status: Literal["pending", "approved", "rejected", "all"] = Query(
                         "pending", description="pending, approved, rejected or all.")
                     ) -> dict[str, Any]:
    return {"credentials": credentials.listed(foundry, None if status == "all" else status)}


@router.get("/ops/credentials/{credential_id}/document")
def credential_document(credential_id: int, _: Operator, foundry: FoundryDep) -> Response:
    name, kind, content = credentials.document(foundry, credential_id)
    return Response(content, media_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="credential-'
                             f'{credential_id}"', "X-Content-Type-Options": "nosniff"})


@router.post("/ops/credentials/{credential_id}/review", response_model=ReviewedOut)
def review_credential(credential_id: int, body: ReviewIn, _: Operator,
                      foundry: FoundryDep) -> dict[str, Any]:
    return credentials.review(foundry, credential_id, body.model_dump())


@router.get("/campaigns/by-code/{code}", response_model=CampaignOut)
def campaign_by_code(
    who: ContributorDep, foundry: FoundryDep,
    code: str = Path(pattern=r"^[a-z0-9-]{3,64}$", description="The campaign's link code."),
) -> dict[str, Any]:
    return campaigns.by_code(foundry, code)


@router.post("/campaigns/{campaign_id}/applications", status_code=201,
             response_model=AppliedOut)
def apply(campaign_id: int, body: ApplicationIn, who: ContributorDep,
          foundry: FoundryDep) -> dict[str, Any]:
    return applying.apply(foundry, who, campaign_id, body.model_dump())


@router.get("/campaigns/{campaign_id}/screening", response_model=list[TestItem])
def screening(campaign_id: int, who: ContributorDep, foundry: FoundryDep) -> list[Any]:
    return applying.screening_items(foundry, who, campaign_id)


@router.post("/campaigns/{campaign_id}/screening", response_model=ScreenedOut)
def screen(campaign_id: int, body: ScreeningIn, who: ContributorDep,
           foundry: FoundryDep) -> dict[str, Any]:
    return applying.screen(foundry, who, campaign_id, body.model_dump())


@router.post("/me/credentials", status_code=201, response_model=CredentialOut)
async def upload_credential(
    who: ContributorDep, foundry: FoundryDep,
    skill: str = Form(description="The skill the document proves."),
    file: UploadFile = File(description=f"PDF, PNG or JPEG, up to {MAX_BYTES:,} bytes."),
) -> dict[str, Any]:
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"file: larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    return await run_in_threadpool(credentials.upload, foundry, who, skill,
                                   file.filename or "", content)


@router.get("/me/credentials", response_model=CredentialsOut)
def my_credentials(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return {"credentials": credentials.listed(foundry, None, who)}
