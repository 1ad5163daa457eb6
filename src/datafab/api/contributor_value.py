"""``GET /v1/projects/{id}/contributors/value``: where each contributor's hours do the most
good (requester side; contributors by their pseudonyms in the project)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services import contributor_value

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=CheckedRoute)


class ContributorValueOut(BaseModel):
    contributor: str = Field(description="The contributor's pseudonym in this project.")
    labels: int = Field(description="Counted labels in the fit.")
    hours: float = Field(description="Time spent on all their submissions in the project.")
    pay_minor: int | None = Field(description="Their pay in the project, in minor units "
                                  "(null: paid in several currencies).")
    currency: str | None
    value: float = Field(description="Expected correct records lost without their labels "
                         "(negative: the records are better without them).")
    value_per_hour: float | None = Field(description="Value per hour spent (null: no time).")
    value_per_pay: float | None = Field(
        description=f"Value per {contributor_value.PAY_UNIT_MINOR} minor units of pay "
                    "(null: unpaid).")


class ProjectValueOut(BaseModel):
    project_id: int
    available: bool = Field(description="False when the project's answers are not "
                            "categorical (no value is measured).")
    labels: int
    contributors: list[ContributorValueOut] = Field(description="Highest value first.")


@router.get("/{project_id}/contributors/value")
def project_value(project_id: int, org: Requester, foundry: FoundryDep) -> ProjectValueOut:
    """Each contributor's value: how many fewer records would be right without their labels
    (leave-one-contributor-out), per hour of their time and per unit of their pay."""
    return ProjectValueOut.model_validate(
        contributor_value.project_value(foundry, org, project_id), from_attributes=True)
