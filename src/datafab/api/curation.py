"""Auditing a project's labels and choosing what to label next (requester side):
``POST /v1/projects/{id}/audit`` starts an audit job, ``GET …/audit/{run_id}`` shows its
progress and result, ``POST …/audit/{run_id}/review`` makes its top suspects a review
project, ``POST /v1/projects/{review_id}/audit/corrections`` corrects the original records
from a finished review, ``POST …/select`` raises the priority of the items to label next,
``GET …/learning-curve`` compares selected and random order."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.curation import review as reviewing
from datafab.services.curation import runs, selection

router = APIRouter(prefix="/v1/projects", tags=["curation"], route_class=CheckedRoute)


class AuditLine(BaseModel):
    external_id: str
    label: Any = Field(description="The current label (a span object in a spans project).")
    suggested: Any = Field(description="The most probable label given all the evidence.")
    p_wrong: float = Field(description="Probability that the current label is wrong.")


class AuditResult(BaseModel):
    items: int
    units: int = Field(description="Labels audited (spans in a spans project).")
    flagged: int = Field(description="Units whose most probable label is another one.")
    features: str
    thresholds: dict[str, float] = Field(description="Per-class confident-learning "
                                         "thresholds of the out-of-fold classifier.")
    crowd_items: int = Field(description="Items whose several labels entered p_wrong.")
    lines: list[AuditLine] = Field(description="Every labelled item, highest p_wrong first.")


class AuditRunOut(BaseModel):
    id: int
    project_id: int
    status: str = Field(description="running, done or failed.")
    done: int = Field(description="Steps done.")
    total: int = Field(description="Steps in all.")
    error: str | None
    result: AuditResult | None
    created_at: float
    updated_at: float


class ReviewIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    n: int = Field(ge=1, description="Top suspects to re-label.")
    sample: int = Field(0, ge=0, description="Items drawn at random from every labelled item "
                        "(suspects included), for the error rate.")


class ReviewOut(BaseModel):
    project_id: int = Field(description="The review project.")
    suspects: int
    sample: int
    items: int = Field(description="Items in the review (a sampled suspect counts once).")


class Correction(BaseModel):
    external_id: str
    from_: Any = Field(alias="from")
    to: Any


class ErrorRate(BaseModel):
    sample: int
    wrong: int
    rate: float
    interval: list[float] = Field(description="95% Wilson interval.")


class CorrectionsOut(BaseModel):
    review_project_id: int
    reviewed: int
    corrected: list[Correction]
    error_rate: ErrorRate | None = Field(description="From the random sample (null: none).")


class SelectIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    n: int = Field(ge=1, le=100_000, description="Unlabelled items to choose.")
    weak_slices: list[str] = Field(default_factory=list, max_length=100,
                                   description="Slices (e.g. domain=math) to favour.")
    gap_run: int | None = Field(None, description="An eval run whose gap report names "
                                "weak slices.")
    method: Literal["margin", "committee"] = Field(
        "margin", description="What uncertainty is read from: the classifier trained on the "
        "labelled items (margin) or the average of five trained on bootstrap resamples of "
        "them (committee).")


class Selected(BaseModel):
    external_id: str
    priority: int
    uncertainty: float
    weak_slice: bool


class SelectOut(BaseModel):
    project_id: int
    selected: list[Selected] = Field(description="In the order chosen (leased first).")
    weak_slices: list[str]


class LearningCurveOut(BaseModel):
    available: bool
    labelled: int
    spent: list[float] = Field(default_factory=list)
    random: list[float] = Field(default_factory=list)
    selected: list[float] = Field(default_factory=list)
    label_share: float | None = Field(None, description="Only when there is a curve: the "
                                      "share of random order's labels selected order needs "
                                      "to reach random order's final accuracy (null: it "
                                      "never does).")


@router.post("/{project_id}/audit", status_code=202)
def start_audit(project_id: int, org: Requester, foundry: FoundryDep) -> AuditRunOut:
    """Start an audit of the project's labels (a job); poll its run for progress."""
    return AuditRunOut.model_validate(runs.start_audit(foundry, org, project_id))


@router.get("/{project_id}/audit/{run_id}")
def get_audit(project_id: int, run_id: int, org: Requester, foundry: FoundryDep
              ) -> AuditRunOut:
    return AuditRunOut.model_validate(runs.get_run(foundry, org, project_id, run_id))


@router.post("/{project_id}/audit/{run_id}/review", status_code=201)
def make_review(project_id: int, run_id: int, body: ReviewIn, org: Requester,
                foundry: FoundryDep) -> ReviewOut:
    """The audit's top ``n`` suspects (and ``sample`` random items) as a review project."""
    report = runs.report_of(foundry, org, project_id, run_id)
    return ReviewOut.model_validate(
        reviewing.create_review(foundry, org, report, body.n, body.sample))


@router.post("/{project_id}/audit/corrections")
def apply_corrections(project_id: int, org: Requester, foundry: FoundryDep
                      ) -> CorrectionsOut:
    """Correct the original records from this review project's finished records."""
    return CorrectionsOut.model_validate(reviewing.apply_review(foundry, org, project_id))


@router.post("/{project_id}/select")
def select_items(project_id: int, body: SelectIn, org: Requester, foundry: FoundryDep
                 ) -> SelectOut:
    """Choose the unlabelled items to label next and raise their priority."""
    return SelectOut.model_validate(selection.select_items(
        foundry, org, project_id, body.n, weak_slices=body.weak_slices, gap_run=body.gap_run,
        method=body.method))


@router.get("/{project_id}/learning-curve", response_model_exclude_unset=True)
def learning_curve(project_id: int, org: Requester, foundry: FoundryDep) -> LearningCurveOut:
    """Held-out accuracy against labels spent, selected order against random order; with too
    few labels (``available`` false) the curves are empty and ``label_share`` is left out."""
    curve = selection.learning_curve(foundry, org, project_id)
    return LearningCurveOut.model_validate({"spent": [], "random": [], "selected": [], **curve})
