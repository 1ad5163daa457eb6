"""Talking with contributors in a real browser (Debian's Chromium through Playwright)
against a real server on 127.0.0.1: a changed guideline stops the bench until acknowledged, a
dispute filed from the feedback after a check item is decided in the ops console and reaches
the inbox, and the common-errors page; each page passes the accessibility checks (and gives
the README its pictures)."""

from __future__ import annotations

import random
import re

import pytest

from datafab.services import accounts, items, logins, project_changes, projects, work

from .conftest import OPERATOR_TOKEN, PASSWORD, screenshot
from .test_browser import check_page, log_in

pytestmark = pytest.mark.browser


class AlwaysGold(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture(scope="module")
def animals(site):
    org, _ = accounts.create_organization(site.foundry, "Zoo Lab")
    project = projects.create_project(site.foundry, org, {
        "name": "Animal sounds", "primitive": "classify",
        "guidelines": "Pick the animal that makes the sound.",
        "settings": {"labels": ["cat", "dog", "fox"]},
        "policy": {"min_labels": 2, "max_labels": 2, "gold_rate": 0.5}})
    items.upload_items(site.foundry, org, project.id, [
        {"external_id": "check-bark", "data": {"text": "Woof! Woof!"},
         "gold_answer": {"label": "fox"}, "gold_explanation": "Foxes bark."},
        {"external_id": "check-meow", "data": {"text": "Meow."},
         "gold_answer": {"label": "cat"}, "gold_explanation": "Cats meow."}] + [
        {"external_id": f"sound-{i}", "data": {"text": f"A sound, number {i}."}}
        for i in range(6)])
    return org, project


def test_guidelines_disputes_inbox_and_common_errors(site, animals, browser_page,
                                                     monkeypatch):
    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(0))
    page = browser_page
    org, project = animals
    who = logins.sign_up(site.foundry, {"name": "Rosa", "email": "rosa@example.org",
                                        "password": PASSWORD})
    for label_of in ({"check-bark": "dog", "check-meow": "cat"}, {}):
        for lease in work.lease_items(site.foundry, who, project.id, 2):
            label = label_of.get(lease.external_id, "dog")
            work.submit(site.foundry, who, lease.id, {"answer": {"label": label}})
    project_changes.update_project(site.foundry, org, project.id, {
        "guidelines": "Pick the animal that makes the sound. Barking is a dog, even a fox's.",
        "changelog": "Barking now always counts as a dog.", "requires_acknowledgement": True})

    log_in(page, site, "rosa@example.org")
    page.goto(f"{site.url}/work/{project.id}")
    page.wait_for_url(re.compile(rf".*/work/{project.id}/guidelines"))
    assert "Barking now always counts as a dog." in page.inner_text("#guidelines-changed")
    check_page(page)
    screenshot(page, "guidelines-changed")
    page.click("#guidelines-changed button[type=submit]")
    page.wait_for_url(re.compile(rf".*/work/{project.id}$"))

    page.goto(f"{site.url}/work/{project.id}/errors")
    assert "Foxes bark." in page.inner_text("main")
    check_page(page)
    screenshot(page, "common-errors")

    from datafab.store import disputes as dispute_sql  # the wrong answer to check-bark
    from datafab.store.tables import items as items_table
    from datafab.store.tables import submissions

    with site.foundry.db.read() as conn:
        submission = conn.execute(
            submissions.select().with_only_columns(submissions.c.id)
            .join(items_table, items_table.c.id == submissions.c.item_id)
            .where(items_table.c.external_id == "check-bark",
                   submissions.c.contributor_id == who.id)).scalar_one()
        assert dispute_sql.answer_of(conn, submission) is not None
    page.goto(f"{site.url}/work/inbox")
    page.evaluate(
        """([project, submission]) => {
            const form = document.createElement('form');
            form.method = 'post'; form.action = '/work/disputes';
            for (const [k, v] of Object.entries({csrf: document.body.dataset.csrf,
                 project_id: project, submission_id: submission,
                 reason: 'It barks: that is a dog, whatever the old rule said.'})) {
              const input = document.createElement('input');
              input.type = 'hidden'; input.name = k; input.value = v; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();
        }""", [str(project.id), str(submission)])
    page.wait_for_url(re.compile(r".*/work/inbox\?disputed=1"))

    page.context.clear_cookies()
    page.goto(site.url + "/ops/login")
    page.fill("#f-token", OPERATOR_TOKEN)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/ops$"))
    page.goto(site.url + "/ops/disputes")
    assert "whatever the old rule said" in page.inner_text("main")
    check_page(page)
    screenshot(page, "ops-disputes")
    row = page.locator("tr", has_text="whatever the old rule said")
    row.locator("textarea").fill("Right: barking is a dog now. The check item is corrected.")
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/ops/disputes$"))

    page.context.clear_cookies()
    log_in(page, site, "rosa@example.org")
    page.goto(site.url + "/work/inbox")
    text = page.inner_text("main")
    assert "was upheld" in text and "recomputed" in text
    check_page(page)
    screenshot(page, "inbox")


def test_the_recruiting_funnel_and_the_apply_page(site, animals, browser_page):
    from datafab.services.recruiting import campaigns
    from datafab.store import recruiting as recruit_sql

    page = browser_page
    _, project = animals
    campaign = campaigns.create(site.foundry, {
        "name": "Animal behaviourists", "referral_code": "animals",
        "skills": [{"kind": "domain", "name": "biology", "level": "professional"}],
        "questionnaire": ["Which animals have you studied?"], "expert_skills": ["biology"],
        "screening": [{"skill": "biology", "project_id": project.id, "items": 2}]})
    start = site.foundry.now() - 20 * 86_400
    people = [logins.sign_up(site.foundry, {"name": f"Applicant {i}",
                                            "email": f"applicant{i}@example.org",
                                            "password": PASSWORD}) for i in range(9)]
    with site.foundry.db.write() as conn:  # applicants of the past weeks, from two sources
        for i, who in enumerate(people):
            applied = start + i * 3600
            app_id = recruit_sql.add_application(
                conn, campaign_id=campaign["id"], contributor=who.id,
                source="referral" if i % 3 else "newsletter", answers=["birds"], now=applied)
            if i < 6:
                recruit_sql.set_screening(conn, app_id, 1.0, applied + 5 * 3600)
            if i < 3:
                recruit_sql.set_credential_checked(conn, app_id, applied + 30 * 3600)
    page.goto(site.url + "/ops/login")
    page.fill("#f-token", OPERATOR_TOKEN)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/ops$"))
    page.goto(site.url + "/ops/recruiting")
    assert "Animal behaviourists" in page.inner_text("main")
    check_page(page)
    screenshot(page, "ops-recruiting")

    page.context.clear_cookies()
    logins.sign_up(site.foundry, {"name": "Noor", "email": "noor@example.org",
                                  "password": PASSWORD})
    log_in(page, site, "noor@example.org")
    page.goto(site.url + "/work/apply/animals")
    page.fill("#answer-0", "Corvids, for six years.")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/work/apply/animals$"))
    assert "Take the screening test" in page.inner_text("main")
    check_page(page)
    screenshot(page, "apply")
