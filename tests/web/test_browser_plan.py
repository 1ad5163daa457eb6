"""The budget planner on the dashboard, in a real browser (Debian's Chromium through
Playwright) against a real server on 127.0.0.1: the frontier chart renders from the
project's own labels, and an applied plan shows its prediction next to the records since."""

from __future__ import annotations

import random
import re

import pytest

from datafab.services import accounts, items, projects, work
from datafab.services.planning import plans, tracking

from .conftest import screenshot
from .test_browser import check_page

pytestmark = pytest.mark.browser

LABELS = ["yes", "no"]


def _label(foundry, org, project_id, workers, prefix, n):
    items.upload_items(foundry, org, project_id, [
        {"external_id": f"{prefix}{i}", "data": {"text": f"item {prefix}{i}"}}
        for i in range(n)])
    rng = random.Random(3)
    for who, skill in workers:
        while leases := work.lease_items(foundry, who, project_id, 20):
            for lease in leases:
                right = LABELS[int(lease.external_id[len(prefix):]) % 2]
                said = right if rng.random() < skill else [x for x in LABELS if x != right][0]
                work.submit(foundry, who, lease.id, {"answer": {"label": said}})


@pytest.fixture(scope="module")
def planned(site):
    foundry, org = site.foundry, site.seeded.organization
    project = projects.create_project(foundry, org, {
        "name": "planned sentiment", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": 4, "max_labels": 4, "target_confidence": 0.9999}})
    workers = []
    for n, skill in enumerate((0.85, 0.8, 0.7, 0.65)):
        who, _ = accounts.create_contributor(foundry, {"name": f"planner crowd {n}"})
        workers.append((who, skill))
    _label(foundry, org, project.id, workers, "a", 70)
    view = plans.apply_plan(foundry, org, project.id, 3 * 70, actor="test")
    _label(foundry, org, project.id, workers, "b", 10)  # records after the plan
    return project, view


def test_the_budget_frontier_and_the_applied_plan_render(site, planned, browser_page):
    project, view = planned
    page = browser_page
    page.goto(site.url + "/dashboard/login")
    page.fill("#f-api_key", site.seeded.api_key)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.goto(site.url + f"/dashboard/projects/{project.id}")
    chart = page.locator("#plan-frontier svg.chart")
    assert chart.count() == 1
    assert "Budget frontier" in chart.get_attribute("aria-label")
    dots = page.locator("#plan-frontier svg.chart circle.dot")
    live = tracking.tracking(site.foundry, site.seeded.organization, project.id)
    assert dots.count() == len(live.frontier) >= 2  # the labels as they stand now
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80
    applied = page.inner_text("#plan-applied")
    predicted = view.recommended.point.accuracy
    assert f"{100 * predicted:.1f}%" in applied
    assert "records since it was applied" in applied
    assert not re.search(r"—\s*\n?\s*realised", applied)  # records since: a realised figure
    strip = page.locator("svg.strip[aria-label*='predicted against realised']")
    assert strip.count() == 1 and strip.locator("circle.dot").count() == 1
    check_page(page)
    screenshot(page, "dashboard-plan")
