"""The budget planner on the dashboard's project page: the frontier of cost against
predicted accuracy, and the applied plan's prediction next to what the records reach."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from datafab.foundry import Foundry
from datafab.services.planning import tracking
from datafab.web import svg


@dataclass(frozen=True)
class PlanSection:
    available: bool
    unit: str
    frontier: Markup | None
    points: list[tracking.Point]
    applied: tracking.Applied | None
    comparison: Markup | None


def section(foundry: Foundry, organization: int, project_id: int) -> PlanSection:
    found = tracking.tracking(foundry, organization, project_id)
    chart = None
    if found.frontier:
        chart = svg.line_chart(
            [(p.cost_per_record, p.accuracy) for p in found.frontier],
            title="Budget frontier", x_label=f"cost per record ({found.unit})",
            y_label="predicted accuracy", y_format=lambda v: f"{100 * v:.0f}%")
    comparison = None
    applied = found.applied
    if applied is not None:
        realised = ("no record since" if applied.realised is None else
                    f"{applied.realised:.1%} over {applied.records_since} records")
        comparison = svg.interval_strip(
            applied.realised, (applied.low, applied.high), bar=applied.predicted,
            title="Applied plan: predicted against realised accuracy",
            summary=f"predicted {applied.predicted:.1%} "
                    f"[{applied.low:.1%}, {applied.high:.1%}]; realised {realised}")
    return PlanSection(found.available, found.unit, chart, found.frontier, applied, comparison)
