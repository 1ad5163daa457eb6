"""The applied plan against what the records reach since, and the frontier to draw: for the
dashboard's project page.

The realised accuracy is the mean confidence of the records made or remade since the plan
was applied: the aggregation's own estimate of the chance each record is right (the same
basis the prediction has where no truth is known)."""

from __future__ import annotations

from dataclasses import dataclass

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services.planning.evidence import gather
from datafab.services.planning.plans import Point, frontier_of
from datafab.services.projects import load_project
from datafab.store import planning as store

#: Above this many labels the page draws the frontier the last applied plan stored instead of
#: replaying the labels on every view (``datafab plan`` replays any size).
LIVE_LABELS = 5_000


@dataclass(frozen=True)
class Applied:
    description: str
    budget: float
    unit: str
    predicted: float
    low: float
    high: float
    applied_at: float
    realised: float | None  # mean confidence of the records since
    records_since: int


@dataclass(frozen=True)
class Tracking:
    available: bool  # False: not categorical, or a pilot is needed first
    unit: str
    frontier: list[Point]
    applied: Applied | None


def tracking(foundry: Foundry, organization: int, project_id: int) -> Tracking:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        plan = store.latest_plan(conn, project.id)
        since = store.records_since(conn, project.id, plan["applied_at"]) if plan else (0, None)
        try:
            data = gather(conn, project)
        except InvalidInput:
            return Tracking(False, "", [], None)
    applied = None
    stored: list[Point] = []
    if plan is not None:
        stored = [Point(**p) for p in plan["frontier"]]
        applied = Applied(_describe(plan["policy"]), plan["budget"], plan["unit"],
                          plan["predicted"], plan["low"], plan["high"], plan["applied_at"],
                          since[1], since[0])
    frontier = frontier_of(project, data) if data.labels <= LIVE_LABELS else stored
    return Tracking(bool(frontier), data.unit, frontier, applied)


def _describe(policy: dict) -> str:
    lo, hi = policy["min_labels"], policy["max_labels"]
    return str(policy.get("description") or (
        f"{hi} labels per item" if lo == hi else
        f"{lo}-{hi} labels, stop at {policy['target_confidence']:.2f}"))
