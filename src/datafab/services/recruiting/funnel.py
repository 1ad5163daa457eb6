"""The recruitment funnel per campaign and per source: applied → screened → credential
checked → qualified on a project → active → still active 30 days later; how many reached each
stage, the conversion from the stage before, and the median hours it took.

The first three stages are kept on the application; the last three are read from the
applicant's work since applying: qualified is the first passed qualification or answer to an
ordinary item (work comes only once qualified), active is the ``ACTIVE_ANSWERS``-th answer,
retained an answer ``RETAINED_DAYS`` days after that. A campaign without expert skills has no
credential to check: that stage is passed with screening.
"""

from __future__ import annotations

import statistics
from typing import Any

from datafab.foundry import Foundry
from datafab.services.recruiting import Stage
from datafab.store import recruiting as sql

ACTIVE_ANSWERS = 10
RETAINED_DAYS = 30
STAGES = list(Stage)


def _times(conn, application, expert: bool) -> list[float | None]:
    """When the application reached each stage (None: not yet), monotone in order."""
    applied = application.applied_at
    screened = application.screened_at
    checked = application.credential_at if expert else screened
    first = sql.nth_answer_at(conn, application.contributor_id, applied, 1)
    qual = sql.qualified_at(conn, application.contributor_id, applied)
    qualified = min((t for t in (first, qual) if t is not None), default=None)
    active = sql.nth_answer_at(conn, application.contributor_id, applied, ACTIVE_ANSWERS)
    last = sql.last_answer_at(conn, application.contributor_id)
    retained = (last if active is not None and last is not None
                and last >= active + RETAINED_DAYS * 86_400 else None)
    raw = [applied, screened, checked, qualified, active, retained]
    out: list[float | None] = []
    for t in raw:
        if out and out[-1] is None or t is None:
            out.append(None)
        else:
            out.append(max(t, out[-1]) if out and out[-1] is not None else t)
    return out


def summarize(rows: list[list[float | None]]) -> list[dict[str, Any]]:
    """Per stage: count, conversion from the stage before, median hours from it."""
    out = []
    for k, stage in enumerate(STAGES):
        reached = [r for r in rows if r[k] is not None]
        before = len(rows) if k == 0 else sum(r[k - 1] is not None for r in rows)
        hours = [((r[k] or 0) - (r[k - 1] or 0)) / 3600 for r in reached] if k else []
        out.append({"stage": str(stage), "count": len(reached),
                    "conversion": (len(reached) / before) if before else None,
                    "median_hours": statistics.median(hours) if hours else None})
    return out


def funnel(foundry: Foundry, campaign_id: int) -> dict[str, Any]:
    from datafab.errors import NotFound

    with foundry.db.read() as conn:
        campaign = sql.campaign(conn, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")
        expert = bool(campaign.spec.get("expert_skills"))
        rows = [(a.source, _times(conn, a, expert)) for a in sql.applications(conn, campaign.id)]
    sources: dict[str, list[list[float | None]]] = {}
    for source, times in rows:
        sources.setdefault(source, []).append(times)
    return {"campaign_id": campaign.id, "name": campaign.name,
            "stages": summarize([t for _, t in rows]),
            "by_source": {s: summarize(t) for s, t in sorted(sources.items())}}
