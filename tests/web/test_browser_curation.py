"""The learning curve in a real browser (Debian's Chromium through Playwright) against a real
server on 127.0.0.1: the requester reaches it from the project page and sees the two orders
drawn, with the page passing the accessibility checks."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.curation.conftest import LABELS, corpus

from datafab.services import accounts

from .conftest import screenshot
from .test_browser import check_page

pytestmark = pytest.mark.browser


def test_the_learning_curve_is_drawn(site, browser_page):
    page = browser_page
    headers = {"Authorization": f"Bearer {site.seeded.api_key}"}
    with httpx.Client(base_url=site.url, timeout=60) as http:
        project = http.post("/v1/projects", headers=headers, json={
            "name": "topics curve", "primitive": "classify", "settings": {"labels": LABELS},
            "policy": {"min_labels": 1, "max_labels": 1}}).json()
        rows = corpus(90)
        http.post(f"/v1/projects/{project['id']}/items", headers=headers, json={
            "items": [{"external_id": e, "data": {"text": t}} for e, t, _ in rows]})
        truth = {e: t for e, _, t in rows}
        _, token = accounts.create_contributor(site.foundry, {"name": "curve labeller"})
        worker = {"Authorization": f"Bearer {token}"}
        while leases := http.post(f"/v1/projects/{project['id']}/leases", headers=worker,
                                  json={"n": 50}).json()["leases"]:
            for lease in leases:
                http.post(f"/v1/leases/{lease['id']}/submit", headers=worker,
                          json={"answer": {"label": truth[lease["item"]["external_id"]]}})
    page.goto(site.url + "/dashboard/login")
    page.fill("#f-api_key", site.seeded.api_key)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.goto(site.url + f"/dashboard/projects/{project['id']}")
    link = page.locator("text=Learning curve")
    assert link.get_attribute("href") == f"/dashboard/projects/{project['id']}/curation"
    # the curve trains a classifier per step: slower than a page's usual ten seconds
    page.goto(site.url + link.get_attribute("href"), timeout=120_000)
    chart = page.locator("main svg.chart")
    assert chart.count() == 1
    assert chart.locator("polyline").count() == 2
    label = chart.get_attribute("aria-label")
    assert "selected order" in label and "random order" in label
    check_page(page)
    screenshot(page, "dashboard-learning-curve")
