"""The contributor's own pages next to the workbench: **My projects** (qualification,
standing, rolling gold accuracy against the project's bar, and why no work comes if none
does) and **Earnings** (the pay ledger, totals paid out and pending, payout statements,
earnings per day). Each shows the signed-in contributor's figures only."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.services import billing, my_earnings, my_projects
from datafab.web import svg
from datafab.web.guards import ContributorSession, PageFoundry
from datafab.web.render import PageRoute, page

# Included before the workbench's router: its /work/{project_id} would take these paths.
router = APIRouter(prefix="/work", route_class=PageRoute, include_in_schema=False)


@router.get("/standing")
def standing_page(request: Request, who: ContributorSession, foundry: PageFoundry) -> Response:
    rows = my_projects.my_projects(foundry, who)
    return page(request, "work/standing.html", title="My projects", who=who, rows=rows,
                strips={row.project_id: _strip(row) for row in rows if row.accuracy.answered})


def _strip(row: my_projects.ProjectStanding):
    acc = row.accuracy
    assert acc.interval is not None  # only for rows with answers
    low, high = acc.interval
    words = (f"{acc.accuracy:.0%} right in your latest {acc.answered} check answers, "
             f"{acc.confidence:.0%} interval {low:.0%} to {high:.0%}")
    if acc.bar is not None:
        words += f"; the project's bar is {acc.bar:.0%}"
    return svg.interval_strip(acc.accuracy, acc.interval, bar=acc.bar, summary=words,
                              title=f"Your accuracy on check items in {row.name}")


@router.get("/earnings")
def earnings_page(request: Request, who: ContributorSession, foundry: PageFoundry,
                  before: str | None = None) -> Response:
    seen = my_earnings.earnings_of(foundry, who, before=before)
    return page(request, "work/earnings.html", title="Earnings", who=who, seen=seen,
                charts={d.currency: _per_day(d) for d in seen.daily})


def _per_day(daily: my_earnings.Daily):
    digits = billing.minor_digits(daily.currency)
    days = [dt.datetime.fromtimestamp(daily.start + i * my_earnings.DAY, dt.UTC)
            for i in range(len(daily.amounts_minor))]
    return svg.bar_chart(
        [amount / 10**digits for amount in daily.amounts_minor],
        [day.strftime("%m-%d") for day in days], every=7, height=180,
        title=f"Earned per day ({daily.currency})", x_label="day (UTC)",
        y_label=daily.currency, y_format=lambda v: f"{v:,.{digits}f}")
