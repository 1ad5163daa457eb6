"""A project's workforce policy: who may work on it (skills, qualification, fair spread,
clearance, pool), how they are judged (the performance bar), what they are paid and the
budget. A project without one works as before."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datafab.errors import NotFound
from datafab.foundry import Foundry
from datafab.services import billing, taxonomy
from datafab.services.projects import get_project
from datafab.services.workforce import watermark
from datafab.store import budget as budget_sql
from datafab.store import workforce as queries
from datafab.store.handles import Connection


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["language", "domain"]
    name: str = Field(min_length=1, max_length=128,
                      description="An ISO 639 code, or a domain path such as medicine/cardiology.")
    level: str | None = Field(None, description="Least level: basic/fluent/native for "
                              "languages, familiar/professional/expert for domains.")

    @model_validator(mode="after")
    def _check(self) -> Requirement:
        try:
            self.name = (taxonomy.check_language(self.name) if self.kind == "language"
                         else taxonomy.check_domain(self.name))
        except ValueError as exc:
            raise ValueError(f"name: {exc}") from exc
        if self.level is not None and taxonomy.rank(self.kind, self.level) < 0:
            levels = (taxonomy.LANGUAGE_LEVELS if self.kind == "language"
                      else taxonomy.DOMAIN_LEVELS)
            raise ValueError(f"level: one of {', '.join(levels)}")
        return self


class Qualification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: int = Field(5, ge=1, le=200, description="Gold items answered before real work.")
    pass_mark: float = Field(0.8, ge=0.0, le=1.0, description="Share of them to get right.")
    requalify_on_new_guidelines: bool = Field(
        True, description="A new guideline version asks everyone to qualify again.")


class Performance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_accuracy: float = Field(0.0, ge=0.0, le=1.0, description="The bar on gold accuracy "
                                "(0: no probation or removal).")
    window: int = Field(50, ge=1, le=10_000, description="Latest gold answers judged.")
    min_gold: int = Field(5, ge=1, le=1_000, description="Gold answers needed before judging "
                          "(and again on probation before removal).")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Level of the interval: "
                              "probation when even its upper end is below the bar.")
    probation_gold_rate: float = Field(0.5, ge=0.0, le=1.0, description="Share of gold in "
                                       "the leases of a contributor on probation.")
    probation_batch: int = Field(1, ge=0, le=100, description="Most real items per lease "
                                 "call on probation.")
    fast_fraction: float = Field(0.25, ge=0.0, le=1.0, description="Flag a contributor whose "
                                 "median time is below this share of the project's median.")
    straight_run: int = Field(10, ge=2, le=1_000, description="Flag this many identical "
                              "answers in a row.")


class HardItems(BaseModel):
    """Proven contributors get the items the line is least sure of first."""

    model_config = ConfigDict(extra="forbid")

    below_confidence: float = Field(0.7, gt=0.0, le=1.0, description="An item is hard "
                                    "while its record's confidence is below this.")
    min_accuracy: float = Field(0.9, ge=0.0, le=1.0, description="Gold accuracy in the "
                                "project that earns the boost.")
    min_gold: int = Field(5, ge=1, le=10_000, description="Gold answers needed first.")


class PayRates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_task_minor: int = Field(0, ge=0, le=10**9, description="Per approved submission.")
    per_minute_minor: int = Field(0, ge=0, le=10**9, description="Per minute of measured work.")
    bonus_min_accuracy: float | None = Field(None, ge=0.0, le=1.0, description="Gold accuracy "
                                             "that earns the quality bonus.")
    bonus_percent: int = Field(0, ge=0, le=1000, description="Bonus on a period's task pay.")


class WorkforcePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requirements: list[Requirement] = Field(default_factory=list, max_length=50)
    verified: bool = Field(False, description="Only skills verified by a passed "
                           "qualification count.")
    max_share: float | None = Field(None, gt=0.0, le=1.0, description="Most of the project's "
                                    "items one contributor may take.")
    qualification: Qualification | None = None
    performance: Performance = Field(default_factory=Performance)
    hard_items: HardItems | None = Field(None, description="Offer hard items (low record "
                                         "confidence) first to contributors of proven skill.")
    pay: PayRates = Field(default_factory=PayRates)
    currency: str = Field("USD", description="Currency of pay rates (ISO 4217).")
    pool: Literal["open", "private"] = Field("open", description="Who may work on the "
                                             "project: any contributor (open) or only the "
                                             "organization's own pool (private).")
    sensitivity: Literal["standard", "confidential", "restricted"] = Field(
        "standard", description="Who may see the project: anyone the rest of the policy "
        "admits (standard), or only contributors an operator cleared at this level or above "
        "(confidential, restricted); restricted projects are also kept from models outside "
        "DATAFAB_MODEL_ALLOWED_NETWORKS.")
    show_customer: bool = Field(False, description="Tell contributors the organization's "
                                "name (by default they never learn whose project it is).")
    watermark: bool = Field(False, description="Mark the text each contributor receives "
                            "with an invisible per-contributor mark, so a leaked text can be "
                            "traced to its source (docs/confidentiality.md).")
    budget_minor: int | None = Field(None, ge=0, le=10**15, description="A ceiling on the "
                                     "metered cost (price-sheet currency): each lease out "
                                     "reserves its task's price, and leasing stops once what "
                                     "is left does not pay for one more task.")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return billing.check_currency(value)


def set_policy(foundry: Foundry, organization: int, project_id: int,
               raw: Any) -> dict[str, Any]:
    """Create or replace the project's workforce policy. What the project has spent is
    priced anew from its metered usage at the organization's current prices; from then on
    each priced event adds to it while the project has a budget."""
    project = get_project(foundry, organization, project_id)
    policy = billing.validated(WorkforcePolicy, raw)
    watermark.check(project.primitive_name, policy.watermark)
    now = foundry.now()
    body = policy.model_dump(mode="json", exclude={"budget_minor", "currency"})
    with foundry.db.write() as conn:
        spent = billing.project_cost(conn, project)  # metered so far, at today's prices
        queries.save_policy(conn, project.id, policy=body, currency=policy.currency,
                            budget_minor=policy.budget_minor, spent_minor=spent, now=now)
    foundry.cache.forget(("workforce", project.id))
    return get_policy(foundry, organization, project_id)


def get_policy(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        row = queries.policy_row(conn, project.id)
        found = budget_sql.read(conn, project.id)  # spend and reservations in one snapshot
    if row is None or found is None:
        raise NotFound(f"project {project_id} has no workforce policy", field="project_id")
    return {**row.policy, "currency": row.currency, "budget_minor": row.budget_minor,
            "spent_minor": found.spent_minor, "reserved_minor": found.reserved_minor,
            "project_id": project.id}


def policy_of(foundry: Foundry, conn: Connection, project_id: int) -> WorkforcePolicy | None:
    """The project's policy, cached for a moment (the hot path reads it on every lease)."""
    key = ("workforce", project_id)
    hit = foundry.cache.get(key)
    if hit is not None:
        return hit or None
    row = queries.policy_terms(conn, project_id)
    policy: WorkforcePolicy | Literal[False] = (
        WorkforcePolicy.model_validate({**row.policy, "currency": row.currency,
                                        "budget_minor": row.budget_minor})
        if row else False)
    foundry.cache.put(key, policy)
    return policy or None
