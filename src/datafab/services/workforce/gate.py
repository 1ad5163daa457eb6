"""The gate in front of every lease: one indexed read of the policy row and the
contributor's membership row, decided here in Python, then the claim itself. What the gate
says (``state`` and ``reason``) goes back with the lease response, so a worker knows why it
got nothing (budget reached, not qualified, removed …).

A budget is a ceiling the leases out cannot break: on a budgeted project each lease of real
work reserves the price of the task it may produce, and the gate grants only as many as the
budget left after spend and reservations pays for (``hold_budget`` then ``reserve``, in the
lease transaction; the SQL and its locking are in ``store.budget``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from datafab.foundry import Foundry
from datafab.services import billing, clearances, taxonomy
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.services.workforce.policy import HardItems, WorkforcePolicy, policy_of
from datafab.store import budget as budget_sql
from datafab.store import pools
from datafab.store import workforce as queries
from datafab.store.handles import Connection

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
    found = queries.member(conn, project.id, contributor.id)
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
        levels = queries.skill_levels(conn, contributor.id)
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
        held = queries.held_gold(conn, project.id, contributor.id, foundry.now())
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
    row = queries.gold_tally(conn, project_id, contributor_id)
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


def _qualified(policy: WorkforcePolicy, project: Project, row: _Member) -> bool:
    if row.qualification != "passed":
        return False
    assert policy.qualification is not None  # called only for a project that has one
    again = policy.qualification.requalify_on_new_guidelines
    return not again or row.qual_version >= project.guideline_version


def _n_items(foundry: Foundry, conn: Connection, project_id: int) -> int:
    key = ("workforce_items", project_id)
    hit = foundry.cache.get(key)
    if hit is None:
        hit = queries.n_items(conn, project_id)
        foundry.cache.put(key, hit)
    return hit




def after_claim(conn: Connection, project: Project, contributor: Contributor, got: Gate,
                n_real: int, now: float) -> None:
    """Count the items taken (fair spread) and open a qualification when one starts."""
    if got.policy is None:
        return
    params = {"project": project.id, "contributor": contributor.id, "n": n_real,
              "version": project.guideline_version, "now": now,
              "qualification": "qualifying" if got.state == QUALIFYING else "none"}
    queries.count_taken(conn, params, qualifying=got.state == QUALIFYING)
