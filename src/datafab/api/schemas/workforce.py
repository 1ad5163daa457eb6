"""The workforce routes' answers (``api/workforce.py``): a project's workforce policy,
standings, flags and budget; the organization's pool, prices, usage and invoices; a
contributor's earnings and skills; payouts and clearances."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from datafab.api.schemas.order import InOrder


class WorkforcePolicyOut(InOrder):
    """The policy as set (docs/workforce.md), with the budget's state; its keys in the order
    the stored policy keeps them."""

    requirements: list[dict[str, Any]]
    verified: bool
    max_share: float | None
    qualification: dict[str, Any] | None
    performance: dict[str, Any]
    hard_items: dict[str, Any] | None
    pay: dict[str, Any]
    pool: str
    sensitivity: str
    show_customer: bool
    watermark: bool
    currency: str
    budget_minor: int | None
    spent_minor: int
    reserved_minor: int
    project_id: int


class StandingOut(BaseModel):
    contributor_id: int
    contributor: str = Field(description="The contributor's pseudonym in this project.")
    name: str | None = Field(None, description="Their name: operators' views only.")
    standing: str
    qualification: str
    gold_seen: int
    gold_correct: int
    accuracy: float | None
    interval: list[float] | None
    engine_accuracy: float | None
    n_taken: int


class Standings(BaseModel):
    contributors: list[StandingOut]


class ReviewAction(BaseModel):
    contributor_id: int
    action: str = Field(description="removed, probation, reinstated or flagged.")
    accuracy: float | None = None
    released: int | None = Field(None, description="Removed: leases released.")
    uncounted: int | None = Field(None, description="Removed: answers no longer counted.")
    items: int | None = Field(None, description="Removed: items those answers were on.")
    flag: str | None = Field(None, description="Flagged: the signal's kind.")


class Review(BaseModel):
    actions: list[ReviewAction]


class StandingSet(BaseModel):
    contributor_id: int
    standing: str


class Removal(BaseModel):
    released: int
    uncounted: int
    items: int


class FlagOut(BaseModel):
    id: int
    contributor_id: int
    kind: str
    detail: Any
    status: str
    created_at: float


class Flags(BaseModel):
    flags: list[FlagOut]


class BudgetOut(BaseModel):
    project_id: int
    currency: str
    budget_minor: int | None
    spent_minor: int
    reserved_minor: int
    state: str = Field(description="open, budget_reserved or budget_reached.")


class Member(BaseModel):
    contributor_id: int
    name: str
    admitted_at: float
    admitted_by: str


class Members(BaseModel):
    members: list[Member]


class Dismissed(BaseModel):
    contributor_id: int
    member: bool
    released: int = Field(description="Leases released on private projects.")


class InvitationOut(BaseModel):
    id: int
    code: str = Field(description="Shown once.")
    uses: int
    expires_at: float


class PriceSheetOut(BaseModel):
    currency: str
    task_minor: int
    per_1k_tokens_minor: int
    export_minor: int


class UsageOut(BaseModel):
    start: float
    end: float
    usage: dict[str, int] = Field(description="Quantity per kind (task, model_tokens, export).")


class InvoiceLine(InOrder):
    kind: str
    unit: str
    quantity: int
    events: int
    unit_price_minor: int
    amount_minor: int


class InvoiceOut(BaseModel):
    id: int
    organization_id: int
    period_start: float
    period_end: float
    currency: str
    lines: list[InvoiceLine]
    total_minor: int
    created_at: float


class Invoices(BaseModel):
    invoices: list[InvoiceOut]


class Balance(BaseModel):
    earned_minor: int
    unpaid_minor: int


class LedgerEntry(BaseModel):
    id: int
    project_id: int | None = Field(description="None once the project was erased.")
    submission_id: int | None
    kind: str
    amount_minor: int
    currency: str
    created_at: float
    payout_id: int | None


class PayoutOut(BaseModel):
    id: int
    contributor_id: int
    currency: str
    period_start: float
    period_end: float
    amount_minor: int
    n_entries: int
    created_at: float | None = None


class Earnings(BaseModel):
    balance: dict[str, Balance] = Field(description="Per currency.")
    ledger: list[LedgerEntry]
    payouts: list[PayoutOut]


class Payouts(BaseModel):
    payouts: list[PayoutOut]


class Skill(BaseModel):
    name: str
    level: str
    verified: bool | None = None


class SkillsOut(BaseModel):
    id: int
    skills: list[str]
    languages: list[Skill]
    domains: list[Skill]


class ClearanceOut(BaseModel):
    contributor_id: int
    level: str | None
    until: float | None
    granted_at: float | None = None
