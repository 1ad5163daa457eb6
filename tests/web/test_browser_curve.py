"""The learning curve on the eval page, in a real browser (Debian's Chromium through
Playwright) against a real server on 127.0.0.1: beside what each dataset bought, each data
project's learner accuracy against people's hours renders as a chart, the same curve
``datafab eval curve --svg`` draws."""

from __future__ import annotations

import re

import numpy as np
import pytest

from datafab.services import accounts, evals, items, projects, work
from datafab.services.evals.curves import project_curve

from .test_browser import check_page

pytestmark = pytest.mark.browser
pytest.importorskip("sklearn")

CLASSES = ["sport", "food", "music"]


def _labelled_project(foundry, org) -> int:
    """A classify project of learnable texts, each labelled right by one person, 30 s."""
    rng = np.random.default_rng(3)
    vocab = {c: [f"{c}{i}" for i in range(30)] for c in CLASSES}
    common = [f"w{i}" for i in range(200)]
    project = projects.create_project(foundry, org, {
        "name": "topics for the curve", "primitive": "classify",
        "settings": {"labels": CLASSES}, "policy": {"min_labels": 1, "max_labels": 1}})
    truth = {}
    rows = []
    for k in range(120):
        c = CLASSES[int(rng.integers(3))]
        words = [*rng.choice(vocab[c], size=2), *rng.choice(common, size=8)]
        truth[f"c{k}"] = c
        rows.append({"external_id": f"c{k}", "data": {"text": " ".join(words)}})
    items.upload_items(foundry, org, project.id, rows)
    who, _ = accounts.create_contributor(foundry, {"name": "curve labeller"})
    while leases := work.lease_items(foundry, who, project.id, 20):
        for lease in leases:
            work.submit(foundry, who, lease.id, {"answer": {"label": truth[lease.external_id]},
                                                 "seconds_spent": 30})
    return project.id


def _run(foundry, org, set_id, model, right, **extra):
    run = evals.start_run(foundry, org, set_id, {"model": model, **extra})
    pending = evals.pending(foundry, org, run["id"], limit=100)["items"]
    evals.record_responses(foundry, org, run["id"], {"responses": [
        {"item_id": p["item_id"],
         "text": str(int(p["external_id"][1:]) + 2) if int(p["external_id"][1:]) < right
         else "no idea"} for p in pending]})


def test_the_eval_page_draws_each_data_project_s_learning_curve(site, browser_page):
    foundry, org = site.foundry, site.seeded.organization
    data = _labelled_project(foundry, org)
    made = evals.create_set(foundry, org, {"name": "curve-set", "items": [
        {"external_id": f"n{k}", "prompt": f"What is {k} + 2?",
         "reference": {"kind": "numeric", "answer": k + 2}} for k in range(20)]})
    _run(foundry, org, made["id"], "topic-1", 5, family="topic")
    _run(foundry, org, made["id"], "topic-2", 15, family="topic", trained_on=[data])

    page = browser_page
    page.goto(site.url + "/dashboard/login")
    page.fill("#f-api_key", site.seeded.api_key)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.goto(site.url + f"/dashboard/evals/{made['id']}")
    assert page.locator("#data-value-table tbody tr").count() >= 1
    chart = page.locator(f"#learning-curve-charts figure[data-project='{data}'] svg.chart")
    assert chart.count() == 1
    assert "held-out accuracy of the learner" in chart.get_attribute("aria-label")
    curve = project_curve(foundry, org, data)
    dots = chart.locator("circle.dot")
    assert dots.count() == len(curve["points"]) >= 2  # one dot per checkpoint
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80
    caption = page.inner_text(f"#learning-curve-charts figure[data-project='{data}'] "
                              "figcaption")
    assert "topics for the curve" in caption and "held-out accuracy" in caption
    assert curve["points"][-1]["accuracy"] > curve["points"][0]["accuracy"]
    check_page(page)
