"""After each submission and release: a qualification answer scored (a passed one verifies
the skills the project asks for), the contributor's pay credited, the usage metered."""

from __future__ import annotations

from datafab.foundry import Foundry
from datafab.services import billing, pay, taxonomy
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project
from datafab.services.workforce.policy import WorkforcePolicy, policy_of
from datafab.store import workforce as queries
from datafab.store.handles import Connection


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
    row = queries.qualification_answer(conn, project.id, contributor.id, correct, now)
    assert policy.qualification is not None  # called only for a project that has one
    if row is None or row.qual_seen < policy.qualification.items:
        return
    passed = row.qual_correct >= policy.qualification.pass_mark * row.qual_seen - 1e-9
    queries.set_qualification(conn, project.id, contributor.id,
                              "passed" if passed else "failed", now)
    if passed and policy.requirements:
        _verify(conn, policy, project, contributor.id)


def _verify(conn: Connection, policy: WorkforcePolicy, project: Project,
            contributor_id: int) -> None:
    """A passed qualification verifies the contributor's skills the project asks for."""
    levels = dict(queries.skill_levels(conn, contributor_id) or {})
    wanted = [r.model_dump() for r in policy.requirements]
    changed = False
    for name, entry in levels.items():
        if any(not taxonomy.missing([need], [name], {name: entry}, verified=False)
               for need in wanted):
            levels[name] = {**entry, "verified": True, "verified_by": project.id}
            changed = True
    if changed:
        queries.set_skill_levels(conn, contributor_id, levels)
