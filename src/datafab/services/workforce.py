"""Workforce operations per project: who may work on it (skills, qualification, fair spread,
budget), how they stand (probation, removal) and what their work earns.

A project without a workforce policy works as before. With one, every lease passes a gate
first: one indexed read of the policy row and the contributor's membership row, decided
here in Python, then the claim itself. What the gate says (``state`` and ``reason``) goes
back with the lease response, so a worker knows why it got nothing (budget reached, not
qualified, removed …).

A budget is a ceiling the leases out cannot break: on a budgeted project each lease of real
work reserves the price of the task it may produce, and the gate grants only as many as the
budget left after spend and reservations pays for (``hold_budget`` then ``reserve``, in the
lease transaction; the SQL and its locking are in ``store.budget``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, bindparam, select, text, update

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.quality import two_sided_z, wilson_interval
from datafab.services import audit, billing, clearances, pay, quality, taxonomy
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, get_project, load_project
from datafab.services.records import store_record
from datafab.services.tracing import policy as tracing_policy
from datafab.store import budget as budget_sql
from datafab.store import leasing, pools, submitting
from datafab.store.tables import (
    contributor_flags,
    contributor_skills,
    contributors,
    items,
    leases,
    project_members,
    records,
    submissions,
    workforce_policies,
)

# -- the policy --------------------------------------------------------------------------------


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
    if not isinstance(raw, dict):
        raise InvalidInput("body: expected a JSON object", field="body")
    policy = billing.validated(WorkforcePolicy, raw)
    tracing_policy.check(project.primitive_name, policy.watermark)
    now = foundry.now()
    body = policy.model_dump(mode="json", exclude={"budget_minor", "currency"})
    with foundry.db.write() as conn:
        spent = billing.project_cost(conn, project)  # metered so far, at today's prices
        done = conn.execute(
            update(workforce_policies).where(workforce_policies.c.project_id == project.id)
            .values(policy=body, currency=policy.currency, budget_minor=policy.budget_minor,
                    spent_minor=spent, updated_at=now)).rowcount
        if not done:
            conn.execute(workforce_policies.insert().values(
                project_id=project.id, policy=body, currency=policy.currency,
                budget_minor=policy.budget_minor, spent_minor=spent, updated_at=now))
    foundry.cache.forget(("workforce", project.id))
    return get_policy(foundry, organization, project_id)


def get_policy(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        row = conn.execute(select(workforce_policies)
                           .where(workforce_policies.c.project_id == project.id)).first()
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
    row = conn.execute(select(workforce_policies.c.policy, workforce_policies.c.currency,
                              workforce_policies.c.budget_minor)
                       .where(workforce_policies.c.project_id == project_id)).first()
    policy: WorkforcePolicy | Literal[False] = (
        WorkforcePolicy.model_validate({**row.policy, "currency": row.currency,
                                        "budget_minor": row.budget_minor})
        if row else False)
    foundry.cache.put(key, policy)
    return policy or None


# -- the gate in front of every lease ----------------------------------------------------------

OPEN, QUALIFYING, PROBATION = "open", "qualifying", "probation"


@dataclass(frozen=True)
class Gate:
    """What a contributor may lease now: ``real`` items from the pool and ``gold`` gold
    items (``None``: the project's gold rate decides), or nothing, with the reason."""

    state: str
    reason: str = ""
    real: int = 0
    gold: int | None = None
    gold_rate: float | None = None
    policy: WorkforcePolicy | None = None
    hard_below: float | None = None  # claim hard items first (a proven contributor)

    @property
    def stopped(self) -> bool:
        return self.real == 0 and not self.gold


_MEMBER = text(
    "SELECT w.budget_minor, w.spent_minor, m.standing, m.qualification, m.qual_version, "
    "m.qual_seen, m.n_taken FROM workforce_policies w LEFT JOIN project_members m "
    "ON m.project_id = w.project_id AND m.contributor_id = :contributor "
    "WHERE w.project_id = :project"
)


_HELD_GOLD = text(
    "SELECT count(*) FROM leases l JOIN items i ON i.id = l.item_id WHERE l.project_id = "
    ":project AND l.contributor_id = :contributor AND l.status = 'active' AND l.expires_at > "
    ":now AND i.status = 'gold'"
)


def gate(foundry: Foundry, conn: Connection, project: Project, contributor: Contributor,
         n: int) -> Gate:
    """Decide, inside the lease transaction, what this contributor may take."""
    if project.required_skills:
        lacking = taxonomy.missing_names(project.required_skills, contributor.skills)
        if lacking:
            return Gate("missing_skills", f"the project needs {', '.join(lacking)}")
    policy = policy_of(foundry, conn, project.id)
    if policy is None:
        return Gate(OPEN, real=n)
    found = conn.execute(_MEMBER, {"project": project.id, "contributor": contributor.id}).first()
    if found is None:  # the policy went away since it was cached
        return Gate(OPEN, real=n)
    row = _Member(found.budget_minor, found.spent_minor, found.standing or "active",
                  found.qualification or "none", found.qual_version or 0,
                  found.qual_seen or 0, found.n_taken or 0)
    # Who the contributor is comes first (clearance, pool, removal, skills, a failed
    # qualification): these hide the project from them (services.confidentiality); the
    # budget does not.
    if policy.sensitivity != "standard" and not clearances.covers(
            conn, contributor.id, policy.sensitivity, foundry.now()):
        return Gate("not_cleared", f"the project needs a {policy.sensitivity} clearance",
                    policy=policy)
    if policy.pool == "private" and not pools.is_member(conn, project.organization_id,
                                                        contributor.id):
        return Gate("not_in_pool", "the project is open to its organization's own pool",
                    policy=policy)
    if row.standing == "removed":
        return Gate("removed", "you were removed from this project", policy=policy)
    qualified = policy.qualification is None or _qualified(policy, project, row)
    if policy.requirements:
        # Declared skills let a contributor try the qualification; passing it verifies them.
        verified = policy.verified and qualified
        levels = conn.execute(select(contributors.c.skill_levels)
                              .where(contributors.c.id == contributor.id)).scalar()
        lacking = taxonomy.missing(
            [r.model_dump() for r in policy.requirements], contributor.skills, levels,
            verified=verified)
        if lacking:
            word = "verified " if verified else ""
            return Gate("missing_skills", f"the project needs {word}{', '.join(lacking)}",
                        policy=policy)
    if (not qualified and row.qualification == "failed"
            and row.qual_version >= project.guideline_version):
        return Gate("qualification_failed", "you did not pass this project's "
                    "qualification", policy=policy)
    if row.budget_minor is not None and billing.reached(
            row.budget_minor, row.spent_minor,
            billing.task_price(foundry, conn, project.organization_id)):
        return _spent(row.budget_minor, policy)
    if not qualified:
        assert policy.qualification is not None  # no qualification: everyone is qualified
        seen = row.qual_seen if row.qual_version >= project.guideline_version else 0
        held = conn.execute(_HELD_GOLD, {"project": project.id, "contributor": contributor.id,
                                         "now": foundry.now()}).scalar_one()
        left = max(0, min(n, policy.qualification.items - seen - held))
        return Gate(QUALIFYING, "answer the qualification items first", real=0, gold=left,
                    policy=policy)
    real = n
    if policy.max_share is not None:
        cap = max(1, math.floor(policy.max_share * _n_items(foundry, conn, project.id)))
        real = min(real, cap - (row.n_taken or 0))
        if real <= 0:
            return Gate("share_reached", f"you took your share ({cap} items) of this project",
                        policy=policy)
    if row.standing == PROBATION:
        perf = policy.performance
        return Gate(PROBATION, "on probation: more gold, fewer items", policy=policy,
                    real=min(real, perf.probation_batch),
                    gold_rate=max(project.policy.gold_rate, perf.probation_gold_rate))
    hard = policy.hard_items
    if hard is not None and contributor.kind == "human" and _proven(conn, project.id,
                                                                    contributor.id, hard):
        return Gate(OPEN, real=real, policy=policy, hard_below=hard.below_confidence)
    return Gate(OPEN, real=real, policy=policy)


def hold_budget(foundry: Foundry, conn: Connection, project: Project, got: Gate) -> int:
    """What each lease of real work the gate allowed reserves of the project's budget (the
    price of one answered task), 0 when nothing is to be reserved (no budget, free tasks,
    gold only). When not 0, the project's leasing is this transaction's from here on: call
    it before the lease takes any row lock (the expiry sweep included), then ``reserve``."""
    if got.policy is None or got.policy.budget_minor is None or got.real <= 0:
        return 0
    price = billing.task_price(foundry, conn, project.organization_id)
    if price:
        budget_sql.hold(conn, project.id)
    return price


def reserve(conn: Connection, project: Project, got: Gate, price: int) -> Gate:
    """After ``hold_budget``: the gate cut to as many real items as what is left of the
    budget — less what is spent, less what the leases out hold — pays for at ``price`` each.
    Nothing left for one: ``budget_reached`` when spend alone leaves too little (for good,
    until the budget is raised), else ``budget_reserved`` (the leases out hold the rest; it
    comes back as they end unanswered)."""
    found = budget_sql.read(conn, project.id)
    if found is None or found.left_minor is None:
        return got
    fits = found.left_minor // price
    if fits >= got.real:
        return got
    if fits > 0:
        return replace(got, real=fits)
    if found.budget_minor is not None and billing.reached(found.budget_minor, found.spent_minor,
                                                          price):
        return _spent(found.budget_minor, got.policy)
    return Gate("budget_reserved", "the rest of the project's budget is held by leases out "
                "now; ask again later (it comes back as they end unanswered)",
                policy=got.policy)


def _spent(budget: int, policy: WorkforcePolicy | None) -> Gate:
    return Gate("budget_reached", f"the project's budget of {budget} (minor units) is spent",
                policy=policy)


def _proven(conn: Connection, project_id: int, contributor_id: int, hard: HardItems) -> bool:
    row = conn.execute(select(contributor_skills.c.gold_seen, contributor_skills.c.gold_correct)
                       .where(contributor_skills.c.project_id == project_id,
                              contributor_skills.c.contributor_id == contributor_id)).first()
    return (row is not None and row.gold_seen >= hard.min_gold
            and row.gold_correct >= hard.min_accuracy * row.gold_seen)


@dataclass(frozen=True)
class _Member:
    budget_minor: int | None
    spent_minor: int
    standing: str
    qualification: str
    qual_version: int
    qual_seen: int
    n_taken: int


def _qualified(policy: WorkforcePolicy, project: Project, row) -> bool:
    if row.qualification != "passed":
        return False
    assert policy.qualification is not None  # called only for a project that has one
    again = policy.qualification.requalify_on_new_guidelines
    return not again or row.qual_version >= project.guideline_version


def _n_items(foundry: Foundry, conn: Connection, project_id: int) -> int:
    key = ("workforce_items", project_id)
    hit = foundry.cache.get(key)
    if hit is None:
        hit = conn.execute(text("SELECT count(*) FROM items WHERE project_id = :p AND "
                                "status <> 'gold'"), {"p": project_id}).scalar_one()
        foundry.cache.put(key, hit)
    return hit


_TAKEN = text(
    "INSERT INTO project_members (project_id, contributor_id, n_taken, qual_version, "
    "qualification, updated_at) VALUES (:project, :contributor, :n, :version, :qualification, "
    ":now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "n_taken = project_members.n_taken + excluded.n_taken, updated_at = excluded.updated_at"
)
_START_QUALIFYING = text(
    "UPDATE project_members SET qualification = 'qualifying', qual_version = :version, "
    "qual_seen = 0, qual_correct = 0 WHERE project_id = :project AND contributor_id = "
    ":contributor AND (qual_version < :version OR qualification = 'none')"
)


def after_claim(conn: Connection, project: Project, contributor: Contributor, got: Gate,
                n_real: int, now: float) -> None:
    """Count the items taken (fair spread) and open a qualification when one starts."""
    if got.policy is None:
        return
    params = {"project": project.id, "contributor": contributor.id, "n": n_real,
              "version": project.guideline_version, "now": now,
              "qualification": "qualifying" if got.state == QUALIFYING else "none"}
    conn.execute(_TAKEN, params)
    if got.state == QUALIFYING:
        conn.execute(_START_QUALIFYING, params)


# -- after each submission ----------------------------------------------------------------------

_QUAL_ANSWER = text(
    "UPDATE project_members SET qual_seen = qual_seen + 1, "
    "qual_correct = qual_correct + :right, updated_at = :now WHERE project_id = :project AND "
    "contributor_id = :contributor AND qualification = 'qualifying' "
    "RETURNING qual_seen, qual_correct"
)


def after_submission(foundry: Foundry, conn: Connection, project: Project,
                     contributor: Contributor, submission_id: int, *, gold: bool,
                     correct: bool | None, seconds: float | None, tokens: int,
                     now: float) -> None:
    """Inside the submit transaction: score a qualification answer, credit the ledger,
    meter the usage."""
    policy = policy_of(foundry, conn, project.id)
    if policy is not None and gold and policy.qualification is not None:
        _score_qualification(conn, policy, project, contributor, bool(correct), now)
    if policy is not None and contributor.kind == "human":
        pay.credit(conn, policy.pay, policy.currency, project.id, contributor.id,
                   submission_id, seconds, now)
    usage = [] if gold else list(billing.TASK)  # what a lease reserved (hold_budget)
    if tokens:
        usage.append(("model_tokens", tokens))
    billing.meter(foundry, conn, project, usage, now,
                  budgeted=_budgeted(policy))


def after_release(foundry: Foundry, conn: Connection, project_id: int, tokens: int,
                  now: float) -> None:
    """A model's failed try still cost tokens: meter them."""
    if tokens:
        project = load_project(conn, None, project_id)
        billing.meter(foundry, conn, project, [("model_tokens", tokens)], now,
                      budgeted=_budgeted(policy_of(foundry, conn, project_id)))


def _budgeted(policy: WorkforcePolicy | None) -> bool:
    return policy is not None and policy.budget_minor is not None


def _score_qualification(conn: Connection, policy: WorkforcePolicy, project: Project,
                         contributor: Contributor, correct: bool, now: float) -> None:
    row = conn.execute(_QUAL_ANSWER, {"project": project.id, "contributor": contributor.id,
                                      "right": int(correct), "now": now}).first()
    assert policy.qualification is not None  # called only for a project that has one
    if row is None or row.qual_seen < policy.qualification.items:
        return
    passed = row.qual_correct >= policy.qualification.pass_mark * row.qual_seen - 1e-9
    conn.execute(update(project_members).where(
        project_members.c.project_id == project.id,
        project_members.c.contributor_id == contributor.id)
        .values(qualification="passed" if passed else "failed", updated_at=now))
    if passed and policy.requirements:
        _verify(conn, policy, project, contributor.id)


def _verify(conn: Connection, policy: WorkforcePolicy, project: Project,
            contributor_id: int) -> None:
    """A passed qualification verifies the contributor's skills the project asks for."""
    levels = dict(conn.execute(select(contributors.c.skill_levels)
                               .where(contributors.c.id == contributor_id)).scalar() or {})
    wanted = [r.model_dump() for r in policy.requirements]
    changed = False
    for name, entry in levels.items():
        if any(not taxonomy.missing([need], [name], {name: entry}, verified=False)
               for need in wanted):
            levels[name] = {**entry, "verified": True, "verified_by": project.id}
            changed = True
    if changed:
        conn.execute(update(contributors).where(contributors.c.id == contributor_id)
                     .values(skill_levels=levels))


# -- performance: probation and removal -------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    contributor_id: int
    name: str
    standing: str
    qualification: str
    gold_seen: int
    gold_correct: int
    accuracy: float | None
    interval: tuple[float, float] | None
    engine_accuracy: float | None
    n_taken: int

    def to_dict(self) -> dict[str, Any]:
        return {"contributor_id": self.contributor_id, "name": self.name,
                "standing": self.standing, "qualification": self.qualification,
                "gold_seen": self.gold_seen, "gold_correct": self.gold_correct,
                "accuracy": self.accuracy,
                "interval": list(self.interval) if self.interval else None,
                "engine_accuracy": self.engine_accuracy, "n_taken": self.n_taken}


def _gold_history(conn: Connection, project: Project) -> dict[int, list[bool]]:
    rows = conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer, items.c.gold_answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project.id, items.c.status == "gold")
        .order_by(submissions.c.id)).all()
    out: dict[int, list[bool]] = {}
    for r in rows:
        correct, _ = quality.gold_evidence(project, r.answer, r.gold_answer)
        out.setdefault(r.contributor_id, []).append(bool(correct))
    return out


def standings(foundry: Foundry, organization: int, project_id: int) -> list[Standing]:
    """Every contributor who worked on the project: standing, rolling gold accuracy with its
    interval, and the quality engine's estimate of their accuracy."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id) or WorkforcePolicy()
        history = _gold_history(conn, project)
        members = {r.contributor_id: r for r in conn.execute(
            select(project_members).where(project_members.c.project_id == project.id))}
        worked = set(conn.execute(select(submissions.c.contributor_id).distinct().where(
            submissions.c.project_id == project.id)).scalars())
        engine = {r.contributor_id: r.counts for r in conn.execute(
            select(contributor_skills.c.contributor_id, contributor_skills.c.counts)
            .where(contributor_skills.c.project_id == project.id))}
        ids = sorted(worked | set(members))
        names = dict(conn.execute(select(contributors.c.id, contributors.c.name)
                                  .where(contributors.c.id.in_(ids))).all()) if ids else {}
    out = []
    perf = policy.performance
    for cid in ids:
        recent = history.get(cid, [])[-perf.window:]
        right = sum(recent)
        m = members.get(cid)
        out.append(Standing(
            cid, names.get(cid, ""), m.standing if m else "active",
            m.qualification if m else "none", len(recent), right,
            right / len(recent) if recent else None,
            wilson_interval(right, len(recent), two_sided_z(perf.confidence)) if recent
            else None,
            _engine_accuracy(engine.get(cid)), m.n_taken if m else 0))
    return out


def _engine_accuracy(counts) -> float | None:
    if not counts:
        return None
    total = sum(sum(row) for row in counts)
    return sum(counts[i][i] for i in range(len(counts))) / total if total else None


def review(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    """Apply the project's bar: below it (even the interval's upper end) → probation; still
    below after ``min_gold`` more gold answers on probation → removed; back above → active.
    Raises flags for signals of bad work. Returns what changed."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id)
        if policy is None:
            raise NotFound(f"project {project_id} has no workforce policy", field="project_id")
        history = _gold_history(conn, project)
        members = {r.contributor_id: r for r in conn.execute(
            select(project_members).where(project_members.c.project_id == project.id))}
    perf, actions, now = policy.performance, [], foundry.now()
    if perf.min_accuracy > 0:
        for cid, answers in sorted(history.items()):
            m = members.get(cid)
            standing = m.standing if m else "active"
            if standing == "removed":
                continue
            since = (m.probation_gold or 0) if m and standing == PROBATION else 0
            judged = answers[since:][-perf.window:]
            if len(judged) < perf.min_gold:
                continue
            right = sum(judged)
            low, high = wilson_interval(right, len(judged), two_sided_z(perf.confidence))
            accuracy = right / len(judged)
            if high < perf.min_accuracy:
                if standing == PROBATION:
                    done = remove(foundry, organization, project.id, cid,
                                  reason=f"gold accuracy {accuracy:.2f} below "
                                  f"{perf.min_accuracy} on probation")
                    actions.append({"contributor_id": cid, "action": "removed",
                                    "accuracy": accuracy, **done})
                else:
                    _change_standing(foundry, project, cid, PROBATION, now,
                                     probation_gold=len(answers),
                                     reason=f"gold accuracy {accuracy:.2f} (interval up to "
                                     f"{high:.2f}) below {perf.min_accuracy}")
                    actions.append({"contributor_id": cid, "action": "probation",
                                    "accuracy": accuracy})
            elif standing == PROBATION and accuracy >= perf.min_accuracy:
                _change_standing(foundry, project, cid, "active", now, reason=None)
                actions.append({"contributor_id": cid, "action": "reinstated",
                                "accuracy": accuracy})
    for flag in detect_signals(foundry, project, perf):
        actions.append({"contributor_id": flag["contributor_id"], "action": "flagged",
                        "flag": flag["kind"]})
    return actions


def _change_standing(foundry: Foundry, project: Project, contributor_id: int, standing: str,
                     now: float, *, reason: str | None, probation_gold: int | None = None,
                     actor: str = "quality review") -> None:
    """Probation or back to active, with an entry in the organization's audit log (so the
    contributor's page can say since when, and operators who decided)."""
    with foundry.db.write() as conn:
        _set_standing(foundry, project.id, contributor_id, standing, now, reason=reason,
                      probation_gold=probation_gold, conn=conn)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action=f"contributor.{standing}", target=f"contributor:{contributor_id}",
                     details={"project_id": project.id, "reason": reason})


def _set_standing(foundry: Foundry, project_id: int, contributor_id: int, standing: str,
                  now: float, *, reason: str | None, probation_gold: int | None = None,
                  conn: Connection | None = None) -> None:
    values = {"standing": standing, "reason": reason, "updated_at": now}
    if probation_gold is not None:
        values["probation_gold"] = probation_gold
    sql = text(
        "INSERT INTO project_members (project_id, contributor_id, standing, reason, "
        "probation_gold, updated_at) VALUES (:project, :contributor, :standing, :reason, "
        ":probation_gold, :updated_at) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
        "standing = excluded.standing, reason = excluded.reason, updated_at = "
        "excluded.updated_at, probation_gold = COALESCE(excluded.probation_gold, "
        "project_members.probation_gold)")
    params = {"project": project_id, "contributor": contributor_id,
              "probation_gold": probation_gold, **values}
    if conn is not None:
        conn.execute(sql, params)
        return
    with foundry.db.write() as own:
        own.execute(sql, params)


def set_standing(foundry: Foundry, organization: int, project_id: int, contributor_id: int,
                 standing: str, reason: str = "") -> dict[str, Any]:
    """An operator's decision: probation, active again, or removed (with its consequences)."""
    project = get_project(foundry, organization, project_id)
    _contributor_exists(foundry, contributor_id)
    if standing == "removed":
        return remove(foundry, organization, project.id, contributor_id,
                      reason=reason or "removed by an operator", actor="requester")
    if standing not in ("active", PROBATION):
        raise InvalidInput("standing: one of active, probation, removed", field="standing")
    probation_gold = None
    if standing == PROBATION:
        with foundry.db.read() as conn:
            probation_gold = len(_gold_history(conn, project).get(contributor_id, []))
    _change_standing(foundry, project, contributor_id, standing, foundry.now(),
                     reason=reason or None, probation_gold=probation_gold, actor="requester")
    return {"contributor_id": contributor_id, "standing": standing}


def _contributor_exists(foundry: Foundry, contributor_id: int) -> None:
    with foundry.db.read() as conn:
        if conn.execute(select(contributors.c.id)
                        .where(contributors.c.id == contributor_id)).first() is None:
            raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")


_COUNTED_ANSWERS = text(
    "SELECT s.id, s.item_id FROM submissions s JOIN items i ON i.id = s.item_id "
    "WHERE s.project_id = :project AND s.contributor_id = :contributor AND s.counted "
    "AND i.status <> 'gold' ORDER BY s.id"
)
_UNCOUNT = text("UPDATE submissions SET counted = false WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))


def remove(foundry: Foundry, organization: int | None, project_id: int, contributor_id: int,
           *, reason: str, actor: str = "quality review") -> dict[str, Any]:
    """Remove a contributor from a project for quality: their live leases go back to the
    pool; every answer of theirs on an ordinary item, finished ones included, stops counting
    (those records are recomputed from the other answers, and the items that are no longer
    finished want labels again); their pay for those answers that no payout has settled yet
    is reversed (settled pay is not clawed back); and the project's quality fit is redone
    without them."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        _set_standing(foundry, project.id, contributor_id, "removed", now, reason=reason,
                      conn=conn)
        held = conn.execute(
            select(leases.c.id).where(leases.c.project_id == project.id,
                                      leases.c.contributor_id == contributor_id,
                                      leases.c.status == "active")
            .order_by(leases.c.id)).scalars().all()
        released = sum(leasing.release(conn, lease=lease_id, contributor=contributor_id,
                                       now=now) for lease_id in held)
        rows = conn.execute(_COUNTED_ANSWERS, {"project": project.id,
                                               "contributor": contributor_id}).all()
        if rows:
            conn.execute(_UNCOUNT, {"ids": [r.id for r in rows]})
            per_item: dict[int, int] = {}
            for r in rows:
                per_item[r.item_id] = per_item.get(r.item_id, 0) + 1
            _recompute(foundry, conn, project, per_item, now)
            pay.reverse(conn, [r.id for r in rows], now)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action="contributor.removed", target=f"contributor:{contributor_id}",
                     details={"project_id": project.id, "reason": reason,
                              "released": released, "uncounted": len(rows)})
    quality.refit(foundry, project.id)
    return {"released": released, "uncounted": len(rows), "items": len({r.item_id
                                                                       for r in rows})}


def _recompute(foundry: Foundry, conn: Connection, project: Project,
               per_item: dict[int, int], now: float) -> None:
    """Records and counters of items that lost answers: aggregate what still counts; an
    open item, or a finished one that no longer is, wants labels again."""
    locked = submitting.lock_items(conn, list(per_item))
    for item_id in sorted(locked):
        item = locked[item_id]
        votes = [Vote(contributor=r.contributor_id, answer=r.answer)
                 for r in submitting.votes(conn, item_id)]
        n_labels = max(0, item.n_labels - per_item[item_id])
        outcome = None
        if votes:
            outcome = quality.item_outcome(foundry, conn, project, item.data, votes,
                                           quality.Evidence())
            store_record(conn, project.id, item_id, outcome, len(votes), now)
        else:
            conn.execute(records.delete().where(records.c.item_id == item_id))
        still_done = (item.status == "done" and outcome is not None
                      and quality.is_done(foundry, conn, project, n_labels, outcome))
        if item.status in ("open", "done") and not still_done:
            slots = max(0, project.policy.wanted(n_labels) - n_labels - item.n_live)
            submitting.settle(conn, item=item_id, n_labels=n_labels, n_live=item.n_live,
                              slots=slots, status="open")
        else:
            conn.execute(update(items).where(items.c.id == item_id).values(n_labels=n_labels))


recompute_items = _recompute  # also for answers that count again (a corrected gold item)


# -- signals of bad work ----------------------------------------------------------------------


def detect_signals(foundry: Foundry, project: Project, perf: Performance) -> list[dict]:
    """Flags for operators: answers much faster than the project's median, straight-lining
    (the same answer again and again), text copied into ``write`` answers. One open flag per
    contributor and kind; returns the new ones."""
    with foundry.db.read() as conn:
        rows = conn.execute(
            select(submissions.c.contributor_id, submissions.c.answer,
                   submissions.c.seconds_spent, submissions.c.draft, items.c.data)
            .join(items, items.c.id == submissions.c.item_id)
            .where(submissions.c.project_id == project.id, items.c.status != "gold")
            .order_by(submissions.c.id)).all()
        open_flags = {(r.contributor_id, r.kind) for r in conn.execute(
            select(contributor_flags.c.contributor_id, contributor_flags.c.kind)
            .where(contributor_flags.c.project_id == project.id))}
    found: list[dict] = []
    times = sorted(r.seconds_spent for r in rows if r.seconds_spent is not None)
    by_who: dict[int, list] = {}
    for r in rows:
        by_who.setdefault(r.contributor_id, []).append(r)
    median = times[len(times) // 2] if times else None
    for cid, mine in sorted(by_who.items()):
        own = sorted(r.seconds_spent for r in mine if r.seconds_spent is not None)
        if median and len(own) >= 5 and own[len(own) // 2] < perf.fast_fraction * median:
            found.append({"contributor_id": cid, "kind": "too_fast",
                          "detail": {"median_seconds": own[len(own) // 2],
                                     "project_median_seconds": median}})
        run = best = 0
        last = None
        for r in mine:
            run = run + 1 if r.answer == last else 1
            last, best = r.answer, max(best, run)
        if best >= perf.straight_run:
            found.append({"contributor_id": cid, "kind": "straight_lining",
                          "detail": {"same_answer_in_a_row": best}})
        if project.primitive_name == "write":
            copied = sum(_copied(r) for r in mine)
            if copied:
                found.append({"contributor_id": cid, "kind": "copy_paste",
                              "detail": {"answers": copied}})
    new = [f for f in found if (f["contributor_id"], f["kind"]) not in open_flags]
    if new:
        now = foundry.now()
        with foundry.db.write() as conn:
            conn.execute(contributor_flags.insert(), [
                {"project_id": project.id, "contributor_id": f["contributor_id"],
                 "kind": f["kind"], "detail": f["detail"], "status": "open", "created_at": now}
                for f in new])
    return new


def _copied(row) -> bool:
    """A written answer that is the shown draft or a text of the item, unchanged."""
    text_of = _texts(row.answer)
    if not text_of:
        return False
    sources = _texts(row.draft or {}) | _texts(row.data or {})
    return bool(text_of & sources)


def _texts(value: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(value, str):
        if len(value.strip()) >= 20:
            out.add(value.strip())
    elif isinstance(value, dict):
        for v in value.values():
            out |= _texts(v)
    elif isinstance(value, list):
        for v in value:
            out |= _texts(v)
    return out


def flags(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        rows = conn.execute(select(contributor_flags)
                            .where(contributor_flags.c.project_id == project.id)
                            .order_by(contributor_flags.c.id)).all()
    return [{"id": r.id, "contributor_id": r.contributor_id, "kind": r.kind,
             "detail": r.detail, "status": r.status, "created_at": r.created_at}
            for r in rows]
