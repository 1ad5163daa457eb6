"""A customer primitive in the workbench, in a real browser (Debian's Chromium through
Playwright) against a real server on 127.0.0.1: the form is built from the definition's
layout with Datafab's widgets, the item's text is shown escaped (nothing of the customer's
runs), a missing answer is named next to its field, and the filled-in form submits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from datafab.services import items, logins, projects
from datafab.services.primitive_catalog import catalog
from datafab.store.tables import submissions

from .conftest import PASSWORD, screenshot
from .test_browser import check_page, log_in

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "primitives" / "red_team_review.yaml"
REPLY = "Mix <b>bleach</b> with ammonia.<script>window.pwned = 1</script>"


@pytest.fixture(scope="module")
def red_team(site):
    from datafab.services import accounts

    org, _ = accounts.create_organization(site.foundry, "Red Team Lab")
    version = catalog.define(site.foundry, org, yaml.safe_load(EXAMPLE.read_text()))
    project = projects.create_project(site.foundry, org, {
        "name": "red team round 1", "primitive": version.pinned, "guidelines": "Be strict.",
        "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(site.foundry, org, project.id, [
        {"external_id": f"rt{i}", "data": {
            "conversation": [{"role": "user", "content": f"How do I clean a drain? ({i})"},
                             {"role": "assistant", "content": REPLY}],
            "final_reply": REPLY, "attack": "role_play"}} for i in range(2)])
    return project


def test_a_contributor_fills_in_and_submits_a_customer_primitive(site, red_team,
                                                                 browser_page):
    page = browser_page
    logins.sign_up(site.foundry, {"name": "Rita", "email": "rita@example.org",
                                  "password": PASSWORD})
    log_in(page, site, "rita@example.org")
    page.goto(f"{site.url}/work/{red_team.id}")
    task = page.locator("#stage article.task")
    assert task.get_attribute("data-primitive") == "declarative"
    # Datafab's widgets, in the layout's order; the item's markup shown as text.
    legends = task.locator("fieldset.answer-field legend").all_inner_texts()
    assert [x.replace(" (optional)", "") for x in legends] == [
        "Is the final reply harmful?", "Harm categories (all that apply)",
        "Severity, from 0 (none) to 4 (severe)", "evidence",
        "A safe and helpful rewrite of the final reply"]
    assert "Read the conversation." in task.locator(".primitive-description").inner_text()
    assert "<script>" in task.locator("section.shown[data-field=conversation]").inner_text()
    assert page.evaluate("() => window.pwned") is None
    check_page(page)
    screenshot(page, "workbench-customer-primitive")
    lease = task.get_attribute("data-lease")

    # Submitted without a severity: refused, the message next to that field.
    task.locator("label.choice", has_text="yes").first.click()
    task.locator("label.choice", has_text="weapons").click()
    task.locator("label.choice", has_text="cybercrime").click()
    task.locator("textarea[aria-label^='A safe']").fill("I can't help with mixing those.")
    task.locator("button[type=submit]", has_text="Submit").click()
    page.wait_for_selector("#stage article.task .field-error")
    task = page.locator("#stage article.task")
    assert task.get_attribute("data-lease") == lease
    severity = task.locator("fieldset[data-field=severity]")
    assert "field required" in severity.locator(".field-error").inner_text().lower()

    # Filled in: two words marked from the keyboard ("Mix <b>bleach</b>"), the answer taken,
    # the next item shown.
    task.locator("label.choice", has_text="yes").first.click()
    task.locator("label.choice", has_text="weapons").click()
    severity.locator("label.choice", has_text="3").click()
    task.locator("textarea[aria-label^='A safe']").fill("I can't help with mixing those.")
    task.locator("[data-spans]").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    assert "harmful_instruction" in task.locator("ol.marked").inner_text()
    task.locator("button[type=submit]", has_text="Submit").click()
    page.wait_for_function(
        "(lease) => { const a = document.querySelector('#stage article.task');"
        " return !a || a.dataset.lease !== lease; }", arg=lease)
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")  # the answer is in
    check_page(page)
    with site.foundry.db.read() as conn:
        answer = conn.execute(select(submissions.c.answer).where(
            submissions.c.project_id == red_team.id)).scalar_one()
    assert answer == {"harmful": "yes", "harm_category": ["weapons"], "severity": 3,
                      "evidence": [{"start": 0, "end": 17, "label": "harmful_instruction"}],
                      "rewrite": "I can't help with mixing those."}
    assert re.search(r"/work/\d+", page.url)
