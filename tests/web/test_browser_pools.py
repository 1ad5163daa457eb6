"""Need to know in a real browser (Debian's Chromium through Playwright) against a real
server on 127.0.0.1: a contributor outside an organization's private pool finds no trace of
its projects anywhere in the workbench, while one who signed up with the organization's
invitation link works on them — and neither ever sees the organization's name."""

from __future__ import annotations

import re

import pytest

from datafab.services import items, logins, pools, projects, workforce

from .conftest import PASSWORD, screenshot
from .test_browser import check_page, log_in

pytestmark = pytest.mark.browser

LAB = "Kestrel Frontier Lab"
PRIVATE = "kestrel-private-evals"
GUIDELINES = "kestrel-method: ask the model for its chain of thought, then grade it"


@pytest.fixture(scope="module")
def private(site):
    """A second organization with a project open to its own pool only."""
    from datafab.services import accounts

    org, _ = accounts.create_organization(site.foundry, LAB)
    project = projects.create_project(site.foundry, org, {
        "name": PRIVATE, "primitive": "classify", "guidelines": GUIDELINES,
        "settings": {"labels": ["good", "bad"]}, "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(site.foundry, org, project.id, [
        {"external_id": f"k{i}", "data": {"text": f"kestrel answer {i}"}} for i in range(4)])
    workforce.set_policy(site.foundry, org, project.id, {"pool": "private"})
    return org, project


def _no_trace(page) -> None:
    html = page.content()
    for marker in (PRIVATE, GUIDELINES, LAB, "kestrel", "Acme Lab"):
        assert marker not in html, f"{marker!r} on {page.url}"


def test_outside_the_pool_no_trace_inside_it_the_work(site, private, browser_page):
    page = browser_page
    org, project = private
    logins.sign_up(site.foundry, {"name": "Olga", "email": "olga@example.org",
                                  "password": PASSWORD})
    log_in(page, site, "olga@example.org")
    page.goto(site.url + "/work")
    assert "classify demo" in page.inner_text("main")  # the open projects are offered
    for path in ("/work", "/work/standing", "/work/mine", "/work/earnings", "/work/next"):
        page.goto(site.url + path)
        check_page(page)
        _no_trace(page)
    for path in (f"/work/{project.id}", f"/work/{project.id}/guidelines"):
        answer = page.goto(site.url + path)
        assert answer.status == 404
        _no_trace(page)
    screenshot(page, "private-pool-outsider")

    # Someone with the lab's invitation link signs up and finds the project at once.
    code = pools.invite(site.foundry, org).code
    page.context.clear_cookies()
    page.goto(f"{site.url}/signup?invite={code}")
    assert page.input_value("#f-invite") == code
    page.fill("#f-name", "Ines")
    page.fill("#f-email", "ines@example.org")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_again", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login\?signed_up=1.*"))
    log_in(page, site, "ines@example.org")
    page.goto(site.url + "/work")
    check_page(page)
    assert PRIVATE in page.inner_text("main") and LAB not in page.content()
    page.click(f"a[href='/work/{project.id}/guidelines']")
    assert GUIDELINES in page.inner_text("main")
    page.goto(f"{site.url}/work/{project.id}")
    assert "kestrel answer" in page.inner_text("main") and LAB not in page.content()
