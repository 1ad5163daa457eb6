"""Leak tracing in a real browser (Debian's Chromium through Playwright) against a real
server on 127.0.0.1: the item text a contributor sees on a watermarked project's workbench
looks like the original, and what they copy from the page — the clipboard's plain text —
still names them as its source."""

from __future__ import annotations

import pytest

from datafab import marks
from datafab.services import accounts, items, logins, projects, work, workforce
from datafab.services.tracing.sources import operator_trace

from .conftest import PASSWORD
from .test_browser import check_page, log_in

pytestmark = pytest.mark.browser

MEMO = ("The committee reviewed the supplier contracts signed during the spring and found "
        "that several payments were approved without the second signature required by the "
        "finance office. It recommends that every contract above the threshold be checked "
        "again before the end of the quarter, and that the procedure be explained to staff.")


def test_text_copied_from_the_workbench_names_who_copied_it(site, browser_page):
    foundry, page = site.foundry, browser_page
    org, _ = accounts.create_organization(foundry, "Memo Lab")
    project = projects.create_project(foundry, org, {
        "name": "memo triage", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 2, "max_labels": 2}})
    items.upload_items(foundry, org, project.id, [{"external_id": "m1",
                                                   "data": {"text": MEMO}}])
    workforce.set_policy(foundry, org, project.id, {"watermark": True})
    other = logins.sign_up(foundry, {"name": "Uma", "email": "uma@example.org",
                                     "password": PASSWORD})
    work.lease_items(foundry, other, project.id, 1)  # a second copy, someone else's
    who = logins.sign_up(foundry, {"name": "Tariq", "email": "tariq@example.org",
                                   "password": PASSWORD})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=site.url)
    log_in(page, site, "tariq@example.org")
    page.goto(f"{site.url}/work/{project.id}")
    check_page(page)
    shown = page.inner_text(".item-text")
    assert shown != MEMO and marks.fold(shown) == marks.fold(MEMO)
    page.evaluate("""() => {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector('.item-text'));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }""")
    page.keyboard.press("Control+C")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert marks.fold(copied.strip()) == marks.fold(MEMO)
    quote = "Forwarded:\n" + copied.strip()[15:290]
    found = operator_trace(foundry, project.id, quote.encode(), "found.txt")
    assert found.source == who.id
    assert found.contributors == 2
