"""The evaluation pages and the project page's model figures, read in a real browser
(Debian's Chromium through Playwright) against a real server on 127.0.0.1: the list of eval
sets, a leaderboard that says which answers are not behind its figures, and what models did
in a project (records they finished alone, their share of answers, what they cost). Every
page passes the accessibility check and logs no console error."""

from __future__ import annotations

import re

import pytest

from datafab.services import evals, items, projects, work
from datafab.services.accounts import create_contributor

from .test_browser import check_page

pytestmark = pytest.mark.browser

RUBRIC = [{"id": "quality", "description": "vivid", "min": 1, "max": 5}]


def _dashboard_login(page, site) -> None:
    page.goto(site.url + "/dashboard/login")
    page.fill("#f-api_key", site.seeded.api_key)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))


def test_the_eval_pages_read_in_a_browser(site, browser_page):
    foundry, org = site.foundry, site.seeded.organization
    rows = [{"external_id": f"n{k}", "prompt": f"What is {k} + 2?",
             "reference": {"kind": "numeric", "answer": k + 2},
             "slices": {"domain": "math"}} for k in range(24)]
    rows += [{"external_id": f"r{k}", "prompt": f"Write a line about tide {k}.",
              "reference": {"kind": "rubric", "rubric": RUBRIC},
              "slices": {"domain": "writing"}} for k in range(6)]
    made = evals.create_set(foundry, org, {"name": "browser-set", "items": rows})
    for model, right in (("sharp-1", True), ("blunt-1", False)):
        run = evals.start_run(foundry, org, made["id"], {"model": model})
        pending = evals.pending(foundry, org, run["id"], limit=100)["items"]
        evals.record_responses(foundry, org, run["id"], {"responses": [
            {"item_id": p["item_id"],
             "text": str(int(p["external_id"][1:]) + (2 if right else 9))
             if p["external_id"].startswith("n") else "a line"} for p in pending]})

    page = browser_page
    _dashboard_login(page, site)
    page.goto(site.url + "/dashboard/evals")
    table = page.inner_text("main table")
    assert "built-in method" not in page.content()
    row = next(line for line in table.splitlines() if "browser-set" in line)
    assert re.search(r"browser-set\s+30\s+domain=math \(24\), domain=writing \(6\)\s+2", row)
    check_page(page)

    page.click("text=browser-set")
    page.wait_for_url(re.compile(rf".*/dashboard/evals/{made['id']}$"))
    main = page.inner_text("main")
    assert "built-in method" not in main
    assert "30 items · 2 runs" in main
    notes = page.inner_text("#coverage-notes")
    assert "sharp-1: 6 of 30 answers not graded yet" in notes
    assert "blunt-1: 6 of 30 answers not graded yet" in notes
    first = page.locator("main table").first.locator("tbody tr").first.inner_text()
    assert "sharp-1" in first and re.search(r"\b24\s+6\b", first)  # judged 24, ungraded 6
    assert page.locator("svg.chart").count() == 1
    check_page(page)


def test_the_project_page_shows_what_models_did(site, browser_page):
    foundry, org = site.foundry, site.seeded.organization
    project = projects.create_project(foundry, org, {
        "name": "model first", "primitive": "classify",
        "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1, "gold_rate": 0.5, "models": {
            "first": True, "auto_accept": True, "accept_confidence": 0.9,
            "target_accuracy": 0.5, "min_gold": 4, "audit_rate": 0.0}}})
    model, _ = create_contributor(foundry, {"name": "labeller-7b", "kind": "model"})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"g{k}", "data": {"text": f"gold {k}"}, "gold_answer": {"label": "yes"}}
        for k in range(6)])
    usage = {"model": "labeller-7b", "calls": 1, "prompt_tokens": 40,
             "completion_tokens": 2, "cost": 0.25}
    while leases := work.lease_items(foundry, model, project.id, 10):
        for lease in leases:
            work.submit(foundry, model, lease.id, {"answer": {"label": "yes"},
                                                   "confidence": 0.97, "usage": usage})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"i{k}", "data": {"text": f"item {k}"}} for k in range(4)])
    accepted = 0
    for lease in work.lease_items(foundry, model, project.id, 10):
        if lease.external_id.startswith("i"):
            receipt = work.submit(foundry, model, lease.id, {
                "answer": {"label": "no"}, "confidence": 0.97, "usage": usage})
            accepted += int(receipt.item_done)
    assert accepted == 4

    page = browser_page
    _dashboard_login(page, site)
    page.goto(f"{site.url}/dashboard/projects/{project.id}")
    figures = page.inner_text("#model-work")
    assert re.search(r"\b4\s+records a model finished alone \(auto-accepted\), 100% of 4",
                     figures), figures
    assert "100%" in figures and "model share of answers (10 of 10)" in figures
    assert re.search(r"2\.50\s+model cost \(10 calls, 420 tokens\), 0\.6250 per record",
                     figures), figures
    table = page.locator("table", has_text="labeller-7b").inner_text()
    assert re.search(r"labeller-7b\s+10\s+4\s+0\s+", table), table
    check_page(page)


def test_a_writer_writes_a_task_and_its_answer_for_a_gap(site, browser_page):
    """Data ordered from a gap, worked in the browser: one box for the new task, one for its
    answer; the export is the task as the user turn and the answer as the assistant's."""
    from datafab.sdk import Client

    from .test_browser import log_in, make_contributor

    foundry, org = site.foundry, site.seeded.organization
    made = evals.create_set(foundry, org, {"name": "gap-set", "items": [
        {"external_id": f"t{k}", "prompt": f"What is {k} times 7?",
         "reference": {"kind": "numeric", "answer": 7 * k}, "slices": {"domain": "algebra"}}
        for k in range(12)]})
    run = evals.start_run(foundry, org, made["id"], {"model": "weak-math-1"})
    pending = evals.pending(foundry, org, run["id"], limit=100)["items"]
    evals.record_responses(foundry, org, run["id"], {"responses": [
        {"item_id": p["item_id"], "text": "no idea"} for p in pending]})
    ordered = evals.order_data(foundry, org, run["id"], {"slice": "domain=algebra",
                                                        "items": 3})
    make_contributor(site, "Emmy", "emmy@example.org",
                     {"domains": [{"name": "algebra", "level": "expert"}]})

    page = browser_page
    log_in(page, site, "emmy@example.org")
    page.goto(f"{site.url}/work/{ordered['project_id']}")
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    stage = page.inner_text("#stage")
    assert "Brief" in stage and "domain 'algebra'" in stage and "t0" not in stage
    check_page(page)
    page.fill("#stage textarea[name=final]", "21")
    page.click("#stage button[type=submit]")
    page.wait_for_selector("#stage .field-error")
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    assert "write the new task" in page.inner_text("#stage .field-error").lower()
    page.fill("#stage textarea[name=task]", "A week has 7 days. How many days are in 3 weeks?")
    page.fill("#stage textarea[name=final]", "21")
    before = page.evaluate("() => document.querySelector('#stage article.task').dataset.lease")
    page.click("#stage button[type=submit]")
    page.wait_for_function("(l) => document.querySelector('#stage article.task')?.dataset.lease"
                           " !== l", arg=before)
    check_page(page)
    with Client(site.url, site.seeded.api_key) as requester:
        rows = list(requester.export(ordered["project_id"], "sft", include_open=True))
    written = [r for r in rows if r.get("messages")]
    assert len(written) == 1
    assert written[0]["messages"] == [
        {"role": "user", "content": "A week has 7 days. How many days are in 3 weeks?"},
        {"role": "assistant", "content": "21"}]
    assert written[0]["source"]["slice"] == "domain=algebra"
