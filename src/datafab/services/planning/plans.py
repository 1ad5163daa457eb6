"""Plan a project's policy for a budget, and apply the plan (the project's quality policy
and, where it routes hard items, its workforce policy), remembering the prediction."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from datafab.errors import Conflict, InvalidInput
from datafab.foundry import Foundry
from datafab.quality import planning
from datafab.quality.replay import Candidate
from datafab.services import audit
from datafab.services.planning.evidence import Gathered, gather
from datafab.services.projects import Project, QualityPolicy, load_project
from datafab.services.workforce import WorkforcePolicy
from datafab.store import planning as store

MAX_BUDGET = 1e15


class PlanStatus(StrEnum):
    PLAN = "plan"  # a recommended policy
    PILOT = "pilot"  # too few labels: run the pilot first


@dataclass(frozen=True)
class Point:
    """One policy's prediction: the frontier's points and the recommendation."""

    description: str
    accuracy: float
    low: float
    high: float
    labels_per_record: float
    cost_per_record: float
    model_share: float


@dataclass(frozen=True)
class Recommended:
    point: Point
    records: int  # records the budget pays for
    cost: float  # what they cost
    covers_all: bool  # the budget covers every item
    policy: dict[str, Any]  # the project's quality policy the plan sets
    hard_items: dict[str, Any] | None  # the workforce policy's hard_items it sets


@dataclass(frozen=True)
class PilotAsk:
    items: int
    labels_per_item: int
    cost: float
    reason: str


@dataclass(frozen=True)
class PlanView:
    project_id: int
    status: PlanStatus
    budget: float
    unit: str
    items: int
    labels: int
    recommended: Recommended | None = None
    pilot: PilotAsk | None = None
    frontier: list[Point] = field(default_factory=list)
    target: float | None = None  # planned for an accuracy target instead of a budget
    reached: bool | None = None  # the recommended policy is predicted to reach the target


def _number(raw: Any, field: str) -> float:
    if isinstance(raw, bool):
        raise InvalidInput(f"{field}: expected a number", field=field)
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field}: {raw!r} is not a number", field=field) from exc


def check_budget(raw: Any) -> float:
    """The budget as a positive finite number, or ``InvalidInput`` naming ``budget``."""
    budget = _number(raw, "budget")
    if not math.isfinite(budget) or budget <= 0 or budget > MAX_BUDGET:
        raise InvalidInput(f"budget: must be a positive number up to {MAX_BUDGET:.0e}, "
                           f"got {raw!r}", field="budget")
    return budget


def check_target(raw: Any) -> float:
    """The accuracy target as a number in (0, 1], or ``InvalidInput`` naming ``target``."""
    target = _number(raw, "target")
    if not math.isfinite(target) or not 0.0 < target <= 1.0:
        raise InvalidInput(f"target: must be an accuracy above 0 and at most 1, got {raw!r}",
                           field="target")
    return target


def project_plan(foundry: Foundry, organization: int, project_id: int, budget: Any = None,
                 target: Any = None) -> PlanView:
    """The best policy for ``budget``, or the cheapest predicted to reach the accuracy
    ``target`` (exactly one of them), from the project's recorded labels (nothing
    written)."""
    if (budget is None) == (target is None):
        raise InvalidInput("budget: give either a budget or an accuracy target, not "
                           f"{'both' if budget is not None else 'neither'}", field="budget")
    amount = check_budget(budget) if budget is not None else None
    goal = check_target(target) if target is not None else None
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        data = gather(conn, project)
    if goal is not None:
        return _plan(project, data, 0.0, goal)
    assert amount is not None
    return _plan(project, data, amount)


def apply_plan(foundry: Foundry, organization: int, project_id: int, budget: Any,
               actor: str = "api") -> PlanView:
    """Plan, then set the project's policy to the plan and remember its prediction, in one
    transaction. A project that needs a pilot first is refused (409), nothing written."""
    amount = check_budget(budget)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        data = gather(conn, project)
    view = _plan(project, data, amount)
    if view.recommended is None:
        raise Conflict(f"project_id: project {project_id} needs a pilot before it can be "
                       "planned (see the plan's pilot)", field="project_id")
    chosen = view.recommended
    workforce = None
    if data.workforce is not None:
        workforce = WorkforcePolicy.model_validate({**data.workforce, "hard_items":
                                                    chosen.hard_items}).model_dump(
            mode="json", exclude={"budget_minor", "currency"})
    now = foundry.now()
    with foundry.db.write() as conn:
        load_project(conn, organization, project_id)
        store.set_quality_policy(conn, project.id, chosen.policy, now)
        if workforce is not None:
            store.set_workforce_body(conn, project.id, workforce, now)
        store.insert_plan(conn, project.id, dict(
            budget=amount, unit=data.unit, policy={**chosen.policy,
                                                   "hard_items": chosen.hard_items,
                                                   "description": chosen.point.description},
            predicted=chosen.point.accuracy, low=chosen.point.low, high=chosen.point.high,
            labels_per_record=chosen.point.labels_per_record, cost=chosen.cost,
            records=chosen.records, frontier=[vars(p) for p in view.frontier],
            labels_seen=data.labels, actor=actor, applied_at=now))
        audit.record(conn, now, organization=organization, actor=actor, action="plan.applied",
                     target=f"project:{project.id}",
                     details={"budget": amount, "unit": data.unit,
                              "policy": chosen.point.description,
                              "predicted": round(chosen.point.accuracy, 4)})
    for key in ("project", "prior", "crowd", "workforce"):
        foundry.cache.forget((key, project.id))
    return view


def frontier_of(project: Project, data: Gathered) -> list[Point]:
    """The frontier alone (for the dashboard): empty while a pilot is needed."""
    view = _plan(project, data, max(1.0, data.items * data.price))
    return view.frontier


def _plan(project: Project, data: Gathered, budget: float,
          target: float | None = None) -> PlanView:
    ev = data.evidence
    pilot = planning.pilot_needed(ev)
    base = PlanView(project.id, PlanStatus.PILOT, budget, data.unit, data.items, data.labels,
                    target=target)
    if pilot is not None:
        return replace(base, pilot=PilotAsk(pilot.items, pilot.labels_per_item,
                                            pilot.items * pilot.labels_per_item * data.price,
                                            pilot.reason))
    sk = planning.fitted_skill(ev)
    cands = planning.candidates(ev, current_gold_rate=project.policy.gold_rate,
                                routing=data.workforce is not None, sk=sk)
    method = project.policy.method if project.policy.method not in ("auto", "majority") \
        else "dawid_skene" if project.policy.method == "auto" else "majority_vote"
    outcomes = planning.evaluate(ev, method, cands, sk=sk)
    chosen = (planning.choose(outcomes, budget, max(data.items, 1)) if target is None else
              planning.cheapest_reaching(outcomes, target, max(data.items, 1)))
    best = chosen.best
    rec = Recommended(_point(best), chosen.records, chosen.cost, chosen.covers_all,
                      _policy(project, best.policy, data.has_model), _hard(best.policy))
    return replace(base, status=PlanStatus.PLAN, recommended=rec, budget=chosen.budget,
                   reached=chosen.reached, frontier=[_point(o) for o in chosen.frontier])


def _point(o: planning.Outcome) -> Point:
    return Point(o.policy.describe(), o.accuracy, o.low, o.high, o.labels_per_record,
                 o.cost_per_record, o.model_share)


def _policy(project: Project, c: Candidate, has_model: bool) -> dict[str, Any]:
    """The project's quality policy with the candidate's choices (checked)."""
    body = project.policy.model_dump(mode="json")
    body.update(min_labels=c.min_labels, max_labels=c.max_labels, min_gain=0.0,
                target_confidence=0.0 if c.fixed else c.target_confidence)
    if has_model:
        models = dict(body["models"], first=c.model != "none", auto_accept=c.model == "first",
                      suggest=c.model == "suggest", vote=c.model == "suggest")
        if c.model == "first":
            models["accept_confidence"] = c.accept_confidence
        body["models"] = models
    return QualityPolicy.model_validate(body).model_dump(mode="json")


def _hard(c: Candidate) -> dict[str, Any] | None:
    if not c.route_hard:
        return None
    return {"below_confidence": round(c.hard_below, 4),
            "min_accuracy": round(c.hard_min_accuracy, 4), "min_gold": 5}
