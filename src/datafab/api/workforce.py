"""Workforce operations over HTTP: a project's workforce policy, its contributors' standing
(review, probation, removal), flags and budget; an organization's price sheet, usage and
invoices; a contributor's earnings and own skills; the operators' payout runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import ContributorDep, FoundryDep, Operator, Requester
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import workforce as out
from datafab.services import billing, clearances, pay, pools, profiles, workforce
from datafab.services.moments import LAST_SECOND, parse_moment

router = APIRouter(prefix="/v1", tags=["workforce"], route_class=CheckedRoute)




#: The last second of the year 9999: a period past it is a mistake, not a plan.

Seconds = Annotated[float, Field(ge=0, le=LAST_SECOND, allow_inf_nan=False)]


class Period(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    start: Seconds = Field(description="Start of the period, UNIX seconds (inclusive).")
    end: Seconds = Field(description="End of the period, UNIX seconds (exclusive).")


class StandingIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    standing: str = Field(pattern="^(active|probation|removed)$")
    reason: str = Field("", max_length=500)


@router.get("/projects/{project_id}/workforce",
            response_model=out.WorkforcePolicyOut, response_model_exclude_unset=True)
def get_policy(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return workforce.get_policy(foundry, org, project_id)


@router.put("/projects/{project_id}/workforce",
            response_model=out.WorkforcePolicyOut, response_model_exclude_unset=True)
def put_policy(project_id: int, body: dict[str, Any], org: Requester,
               foundry: FoundryDep) -> dict[str, Any]:
    """Requirements, qualification, fair spread, performance bar, pay rates and budget."""
    return workforce.set_policy(foundry, org, project_id, body)


@router.get("/projects/{project_id}/contributors",
            response_model=out.Standings, response_model_exclude_unset=True)
def contributors(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"contributors": [s.to_dict()
                             for s in workforce.standings(foundry, org, project_id)]}


@router.post("/projects/{project_id}/contributors/review",
             response_model=out.Review, response_model_exclude_unset=True)
def review(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"actions": workforce.review(foundry, org, project_id)}


@router.post("/projects/{project_id}/contributors/{contributor_id}/standing",
             response_model=out.StandingSet | out.Removal, response_model_exclude_unset=True)
def standing(project_id: int, contributor_id: int, body: StandingIn, org: Requester,
             foundry: FoundryDep) -> dict[str, Any]:
    return workforce.set_standing(foundry, org, project_id, contributor_id, body.standing,
                                  body.reason)


@router.get("/projects/{project_id}/flags",
            response_model=out.Flags, response_model_exclude_unset=True)
def project_flags(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"flags": workforce.flags(foundry, org, project_id)}


@router.get("/projects/{project_id}/budget",
            response_model=out.BudgetOut, response_model_exclude_unset=True)
def budget(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return billing.budget(foundry, org, project_id)


@router.post("/workforce/members", response_model=out.Member, response_model_exclude_unset=True)
def admit_member(body: dict[str, Any], org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Admit a contributor (``{"contributor_id": N}``) to the organization's own pool:
    projects whose workforce policy says ``"pool": "private"`` are open to its members
    only."""
    return pools.admit(foundry, org, body.get("contributor_id"))


@router.get("/workforce/members", response_model=out.Members, response_model_exclude_unset=True)
def list_members(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """The organization's pool, oldest admission first."""
    return {"members": pools.members(foundry, org)}


@router.delete("/workforce/members/{contributor_id}",
               response_model=out.Dismissed, response_model_exclude_unset=True)
def dismiss_member(contributor_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Take a contributor out of the pool (404 if they are not in it)."""
    return pools.dismiss(foundry, org, contributor_id)


@router.post("/workforce/invitations", status_code=201,
             response_model=out.InvitationOut, response_model_exclude_unset=True)
def create_invitation(org: Requester, foundry: FoundryDep,
                      body: dict[str, Any] | None = None) -> dict[str, Any]:
    """An invitation code into the pool (``uses``, ``expires_in_days``), shown once: whoever
    signs up in the workbench with it (``/signup?invite=CODE``) joins the pool."""
    return pools.invite(foundry, org, body).to_dict()


@router.get("/price-sheet", response_model=out.PriceSheetOut, response_model_exclude_unset=True)
def get_prices(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return billing.get_price_sheet(foundry, org).model_dump()


@router.put("/price-sheet", response_model=out.PriceSheetOut, response_model_exclude_unset=True)
def put_prices(body: dict[str, Any], org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return billing.set_price_sheet(foundry, org, body).model_dump()


@router.get("/usage", response_model=out.UsageOut, response_model_exclude_unset=True)
def usage(
    org: Requester, foundry: FoundryDep,
    start: Annotated[str, Query(description="Start of the period (inclusive): a date "
                                "(2026-12-01, midnight UTC), an ISO time or UNIX seconds — "
                                "as `datafab invoices usage --start`.")],
    end: Annotated[str, Query(description="End of the period (exclusive), in the same forms.")],
) -> dict[str, Any]:
    t0, t1 = parse_moment(start, "start"), parse_moment(end, "end")
    return {"start": t0, "end": t1, "usage": billing.usage(foundry, org, t0, t1)}


@router.post("/invoices", response_model=out.InvoiceOut, response_model_exclude_unset=True)
def create_invoice(body: Period, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return billing.create_invoice(foundry, org, body.start, body.end)


@router.get("/invoices", response_model=out.Invoices, response_model_exclude_unset=True)
def list_invoices(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"invoices": billing.list_invoices(foundry, org)}


@router.get("/me/earnings", response_model=out.Earnings, response_model_exclude_unset=True)
def my_earnings(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return {"balance": pay.balance(foundry, who.id), "ledger": pay.ledger(foundry, who.id),
            "payouts": pay.list_payouts(foundry, who.id)}


@router.get("/me/skills", response_model=out.SkillsOut, response_model_exclude_unset=True)
def my_skills(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    """The contributor's languages and domains, each with its level."""
    return _profile(profiles.get_profile(foundry, who.id))


@router.put("/me/skills", response_model=out.SkillsOut, response_model_exclude_unset=True)
def set_my_skills(who: ContributorDep, foundry: FoundryDep,
                  body: profiles.Skills) -> dict[str, Any]:
    """Replace the contributor's own skills: ``languages`` (ISO 639 code, level basic,
    fluent or native) and ``domains`` (a path such as ``medicine/cardiology``, level
    familiar, professional or expert). A skill an operator verified stays verified while
    its level is unchanged."""
    return _profile(profiles.update_skills(foundry, who.id, body.model_dump()))


def _profile(profile: profiles.Profile) -> dict[str, Any]:
    return {"id": profile.id, "skills": profile.skills, "languages": profile.languages,
            "domains": profile.domains}


@router.post("/payouts", response_model=out.Payouts, response_model_exclude_unset=True)
def run_payouts(body: Period, _: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return {"payouts": pay.run_payouts(foundry, body.start, body.end)}


@router.get("/payouts", response_model=out.Payouts, response_model_exclude_unset=True)
def list_payouts(_: Operator, foundry: FoundryDep,
                 contributor_id: int | None = None) -> dict[str, Any]:
    return {"payouts": pay.list_payouts(foundry, contributor_id)}


class Clearance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: str = Field(description="confidential or restricted (restricted covers both).")
    until: str | float | None = Field(None, description="When it expires: a date, an ISO "
                                      "time or UNIX seconds; none: until changed.")


@router.put("/contributors/{contributor_id}/clearance",
            response_model=out.ClearanceOut, response_model_exclude_unset=True)
def set_clearance(contributor_id: int, body: Clearance, _: Operator,
                  foundry: FoundryDep) -> dict[str, Any]:
    """Clear a contributor (person or model) to see confidential or restricted projects."""
    return clearances.grant(foundry, contributor_id, body.level, body.until, actor="operator")


@router.get("/contributors/{contributor_id}/clearance",
            response_model=out.ClearanceOut, response_model_exclude_unset=True)
def get_clearance(contributor_id: int, _: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return clearances.get_clearance(foundry, contributor_id)
