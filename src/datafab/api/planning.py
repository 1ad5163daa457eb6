"""``GET /v1/projects/{id}/plan?budget=…`` and ``POST /v1/projects/{id}/plan/apply``: the
budget planner (requester side)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import Actor, FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.planning import plans

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=CheckedRoute)


class PointOut(BaseModel):
    description: str = Field(description="The policy in words.")
    accuracy: float = Field(description="Predicted share of records right.")
    low: float = Field(description="Lower end of the 90% interval (bootstrap over items).")
    high: float = Field(description="Upper end of the 90% interval.")
    labels_per_record: float = Field(description="People's labels per record.")
    cost_per_record: float = Field(description="Price per record, in the plan's unit "
                                   "(gold leases included).")
    model_share: float = Field(description="Share of records a model's answer makes alone.")


class RecommendedOut(BaseModel):
    point: PointOut
    records: int = Field(description="Records the budget pays for.")
    cost: float = Field(description="What they cost, in the plan's unit.")
    covers_all: bool = Field(description="The budget covers every item.")
    policy: dict = Field(description="The quality policy applying the plan sets.")
    hard_items: dict | None = Field(description="The workforce policy's hard_items it sets "
                                    "(null: no routing of hard items).")


class PilotOut(BaseModel):
    items: int
    labels_per_item: int
    cost: float = Field(description="The pilot's price, in the plan's unit.")
    reason: str


class PlanOut(BaseModel):
    project_id: int
    status: plans.PlanStatus = Field(description="plan: a recommended policy; pilot: too few "
                                     "labels yet, run the pilot first.")
    budget: float
    unit: str = Field(description="The budget's unit: the pay currency's minor units, or "
                      "labels when labels are unpaid.")
    items: int = Field(description="Items the budget is to cover (gold excluded).")
    labels: int = Field(description="People's labels the plan was made from.")
    recommended: RecommendedOut | None
    pilot: PilotOut | None
    frontier: list[PointOut] = Field(description="Cost against accuracy: the best buy at "
                                     "each price, cheapest first.")
    target: float | None = Field(None, description="Only when planned for an accuracy "
                                 "target: the target (the budget is then the cost of the "
                                 "recommended policy).")
    reached: bool | None = Field(None, description="Only when a plan was made for a target: "
                                 "whether the recommended policy is predicted to reach it "
                                 "(false: none is; the recommendation is the best "
                                 "reachable).")


#: What only a plan for a target carries: left out of a budget's plan (and ``reached`` of a
#: pilot), as sibling routes leave out what does not apply, rather than answered as null.
FOR_A_TARGET = ("target", "reached")


def _out(view: plans.PlanView) -> PlanOut:
    fields = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    return PlanOut.model_validate(
        {k: v for k, v in fields.items() if v is not None or k not in FOR_A_TARGET},
        from_attributes=True)


class ApplyBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    budget: float = Field(description="The budget to plan for, in the plan's unit.")


@router.get("/{project_id}/plan", response_model_exclude_unset=True)
def plan(project_id: int, org: Requester, foundry: FoundryDep,
         budget: str | None = Query(None, description="The budget, in the pay currency's "
                                    "minor units (or labels when labels are unpaid)."),
         target: str | None = Query(None, description="Instead of a budget: the record "
                                    "accuracy to reach, in (0, 1].")) -> PlanOut:
    """The policy that gives the most accurate records within the budget (or the cheapest
    predicted to reach the accuracy target), predicted by replaying the project's recorded
    labels; or the pilot to run first. Nothing is written."""
    return _out(plans.project_plan(foundry, org, project_id, budget=budget, target=target))


@router.post("/{project_id}/plan/apply", response_model_exclude_unset=True)
def apply(project_id: int, body: ApplyBody, org: Requester, actor: Actor,
          foundry: FoundryDep) -> PlanOut:
    """Plan for the budget, set the project's policy to the plan and remember its prediction
    (the dashboard then tracks predicted against realised accuracy)."""
    return _out(plans.apply_plan(foundry, org, project_id, body.budget, actor))
