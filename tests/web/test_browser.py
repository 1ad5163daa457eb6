"""The web pages in a real browser (Debian's Chromium through Playwright) against a real
server on 127.0.0.1: sign up, work ten tasks of every primitive from the keyboard alone, see
gold feedback, the requester's progress and exports, and an operator removing a contributor
whose leases return to the pool. Every page visited passes an accessibility check (a label on
every control, text contrast of at least 4.5) and logs no console error (so no CSP breach).
"""

from __future__ import annotations

import json
import random
import re
import time

import pytest

from datafab.errors import DatafabError
from datafab.quality import two_sided_z, wilson_interval
from datafab.services import audit, logins, profiles, work
from datafab.services.accounts import Contributor

from .conftest import OPERATOR_TOKEN, PASSWORD, PRIMITIVES, screenshot

pytestmark = pytest.mark.browser

TURNS = 10
MAX_TURN_SECONDS = 1.0

# Every visible input/select/textarea has a label; every visible text has contrast >= 4.5.
A11Y_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('[hidden], template')) continue;
    const byFor = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    const named = byFor || el.closest('label') || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push('no label: ' + el.outerHTML.slice(0, 100));
  }
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let base = {r: 255, g: 255, b: 255};
    for (let i = layers.length - 1; i >= 0; i--) {
      const c = layers[i];
      base = {r: c.r * c.a + base.r * (1 - c.a), g: c.g * c.a + base.g * (1 - c.a),
              b: c.b * c.a + base.b * (1 - c.a)};
    }
    return base;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('[hidden], template, .visually-hidden, title, script, style, option')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || !el.getClientRects().length) continue;
    const isSvg = el instanceof SVGElement;
    const fg = parse(isSvg ? style.fill : style.color) || parse(style.color);
    const bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ': ' + el.tagName + ' "'
      + node.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
}"""


def check_page(page) -> None:
    problems = page.evaluate(A11Y_CHECK)
    assert not problems, f"{page.url}: {problems[:5]}"
    errors = [e for e in page.console_errors  # refused forms answer 4xx on purpose
              if not re.match(r"Failed to load resource: .* status of 4\d\d", e)]
    assert not errors, errors


def log_in(page, site, email: str, password: str = PASSWORD) -> None:
    page.goto(site.url + "/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/work.*"))


def make_contributor(site, name: str, email: str, skills: dict | None = None) -> Contributor:
    who = logins.sign_up(site.foundry, {"name": name, "email": email, "password": PASSWORD})
    if skills:
        profiles.update_skills(site.foundry, who.id, skills)
    return who


def current_lease(page) -> str | None:
    return page.evaluate(
        "() => { const a = document.querySelector('#stage article.task');"
        " return a ? a.dataset.lease : null; }")


def take_turn(page, keys: list[str], submit: str = "Enter", text: str | None = None) -> float:
    """Answer the task on screen from the keyboard; how long the page took to turn."""
    before = current_lease(page)
    assert before, "no task on screen"
    for key in keys:
        page.keyboard.press(key)
    if text is not None:
        page.keyboard.type(text)
    started = time.perf_counter()
    page.keyboard.press(submit)
    page.wait_for_function(
        "(lease) => { const a = document.querySelector('#stage article.task');"
        " return !a || a.dataset.lease !== lease; }", arg=before)
    elapsed = time.perf_counter() - started
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    assert current_lease(page) != before, "the answer was refused: " + page.inner_text("#stage")
    return elapsed


KEYS = {  # what a contributor presses for each primitive's task (see the templates)
    "classify": (["1"], "Enter", None),
    "compare": (["1", "5"], "Enter", None),
    "rank": (["2", "1", "3"], "Enter", None),
    "spans": (["Shift+ArrowRight", "1"], "Enter", None),
    "steps": (["1", "1", "3"], "Enter", None),
    "write": ([], "Control+Enter", "Better: "),
    "trajectory": (["1", "1", "1", "1"], "Enter", None),
    "grade": (["4", "5"], "Enter", None),
}


def test_sign_up_and_declare_skills(site, browser_page):
    page = browser_page
    page.goto(site.url + "/")
    check_page(page)
    screenshot(page, "home")
    page.goto(site.url + "/signup")
    page.fill("#f-name", "Grace")
    page.fill("#f-email", "not-an-email")
    page.fill("#f-password", "short")
    page.fill("#f-password_again", "short")
    page.click("main button[type=submit]")
    assert "email address" in page.inner_text(".field:has(#f-email) .field-error")
    page.fill("#f-email", "grace@example.org")
    page.fill("#f-password", "short")
    page.fill("#f-password_again", "short")
    page.click("main button[type=submit]")
    assert "at least 10 characters" in page.inner_text(".field:has(#f-password) .field-error")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_again", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login\?signed_up=1.*"))  # signing up signs nobody in
    assert "Thank you for signing up" in page.inner_text("main")
    page.fill("#f-email", "grace@example.org")
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/work/profile.*"))
    assert "Welcome, Grace" in page.inner_text("main")
    check_page(page)
    # A level without a language is refused next to its row.
    page.select_option("#languages-level-0", "native")
    page.click("main button[type=submit]")
    assert page.inner_text(".skill-row:has(#languages-name-0) .field-error")
    page.fill("#languages-name-0", "fr")
    page.fill("#domains-name-0", "cooking")
    page.select_option("#domains-level-0", "expert")
    page.click("main button[type=submit]")
    assert "Saved." in page.inner_text("main")
    check_page(page)
    screenshot(page, "profile")
    page.goto(site.url + "/work")
    assert "French reviews" in page.inner_text("main")  # open to fr speakers only
    check_page(page)
    screenshot(page, "start-working")


def test_work_ten_tasks_of_every_primitive_from_the_keyboard(site, browser_page):
    page = browser_page
    who = make_contributor(site, "Ada", "ada@example.org")
    log_in(page, site, "ada@example.org")
    slowest = 0.0
    for primitive in PRIMITIVES:
        page.goto(f"{site.url}/work/{site.seeded.projects[primitive]}")
        page.wait_for_selector("#bench[aria-busy=false]", state="attached")
        assert page.locator("#stage kbd").count() > 0  # shortcuts shown on the page
        check_page(page)
        screenshot(page, f"workbench-{primitive}")
        if primitive == "write":  # the edit view: changes against the draft, word by word
            page.keyboard.type("Clearly, ")
            page.wait_for_selector("#stage .diff-body ins")
            assert page.inner_text("#stage .diff-body ins") == "Clearly,"
            screenshot(page, "workbench-write")
            check_page(page)
        if primitive == "classify":  # bad input: a message next to the choices
            page.keyboard.press("Enter")
            page.wait_for_selector("#stage .choices .field-error")
            page.wait_for_selector("#bench[aria-busy=false]", state="attached")
            assert "Pick a label" in page.inner_text("#stage .choices .field-error")
        keys, submit, text = KEYS[primitive]
        for _ in range(TURNS):
            slowest = max(slowest, take_turn(page, keys, submit, text))
    print(f"slowest of {TURNS * len(PRIMITIVES)} page turns: {slowest * 1000:.0f} ms")
    assert slowest < MAX_TURN_SECONDS, f"slowest page turn took {slowest:.2f} s"
    answered = site.foundry.db
    with answered.read() as conn:
        from sqlalchemy import text as sql

        n = conn.execute(sql("SELECT count(*) FROM submissions WHERE contributor_id = :c"),
                         {"c": who.id}).scalar()
    assert n == TURNS * len(PRIMITIVES)

    # Flag the item on screen, then skip it with a reason.
    page.goto(f"{site.url}/work/{site.seeded.projects['classify']}")
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    page.keyboard.press("f")
    page.select_option("#stage details.flag select", "broken")
    page.click("#stage details.flag button[type=submit]")
    page.wait_for_selector("#stage .flag-form .success")
    page.keyboard.press("s")
    page.click("#stage details.skip button[type=submit]")  # no reason: refused by the field
    page.wait_for_selector("#stage details.skip .field-error")
    page.select_option("#stage details.skip select", "too_long")
    before = current_lease(page)
    page.click("#stage details.skip button[type=submit]")
    page.wait_for_function("(l) => document.querySelector('#stage article.task')?.dataset.lease"
                           " !== l", arg=before)
    check_page(page)

    page.goto(site.url + "/work/mine")
    assert "classify demo" in page.inner_text("main")
    page.click("main a[href='/work/earnings']")  # the ledger has its own page now
    page.wait_for_url(re.compile(r".*/work/earnings$"))
    page.goto(site.url + "/work/mine")
    check_page(page)
    screenshot(page, "my-work")


def test_gold_feedback_after_a_check_item(site, browser_page, monkeypatch):
    class AlwaysGold(random.Random):
        def random(self) -> float:
            return 0.0

    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(1))
    page = browser_page
    make_contributor(site, "Alan", "alan@example.org")
    log_in(page, site, "alan@example.org")
    page.goto(f"{site.url}/work/{site.seeded.projects['gold']}")
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    verdicts = []
    for right in (True, False):
        text = page.inner_text("#stage .item-text")
        truth = "1" if "Best purchase" in text else "3"
        wrong = "2"
        take_turn(page, [truth if right else wrong])
        page.wait_for_selector("#feedback .feedback")
        verdicts.append(page.get_attribute("#feedback .feedback", "data-gold"))
        shown = page.inner_text("#feedback")
        assert "Expected answer" in shown
        assert ("positive" in shown) or ("neutral" in shown)
        assert "is positive" in shown or "is neutral" in shown  # the explanation
        if right:
            check_page(page)
            screenshot(page, "gold-feedback")
    assert verdicts == ["right", "wrong"]


def test_requester_sees_progress_quality_and_exports(site, browser_page):
    page = browser_page
    project_id = site.seeded.projects["classify"]
    for i in range(3):  # labels from a few contributors so there is quality to show
        who = make_contributor(site, f"Rater {i}", f"rater{i}@example.org")
        for lease in work.lease_items(site.foundry, who, project_id, 4):
            work.submit(site.foundry, who, lease.id, {"answer": {"label": "positive"}})
    page.goto(site.url + "/dashboard")
    page.wait_for_url(re.compile(r".*/dashboard/login.*"))
    page.fill("#f-api_key", "dfk_not-a-key")
    page.click("main button[type=submit]")
    assert "unknown or revoked" in page.inner_text(".field:has(#f-api_key) .field-error").lower()
    page.fill("#f-api_key", site.seeded.api_key)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    table = page.inner_text("main table")
    assert "classify demo" in table and "grade demo" in table
    check_page(page)
    screenshot(page, "dashboard")

    page.click("text=classify demo")
    page.wait_for_url(re.compile(rf".*/dashboard/projects/{project_id}$"))
    assert page.locator("svg.chart").count() == 3
    assert page.locator("table.matrix").count() == 1
    check_page(page)
    screenshot(page, "dashboard-project")
    with page.expect_download() as download:
        page.click("text=Export records (JSONL)")
    rows = [json.loads(line) for line in open(download.value.path()).read().splitlines()]
    assert rows and all("label" in r and "confidence" in r for r in rows)
    exported = audit.entries(site.foundry, site.seeded.organization,
                             action="project.exported")[0]
    assert [(e["actor"], e["target"]) for e in exported] == [
        ("dashboard session", f"project:{project_id}")]  # a browser download is audited

    page.click("nav.subnav >> text=Records")
    page.fill("#f-min_confidence", "lots")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector(".field:has(#f-min_confidence) .field-error")
    page.goto(f"{site.url}/dashboard/projects/{project_id}/records?min_confidence=0.5")
    check_page(page)
    screenshot(page, "dashboard-records")
    page.click("#records table a >> nth=0")
    assert "Submissions behind it" in page.inner_text("main")
    check_page(page)
    screenshot(page, "dashboard-record")

    page.goto(f"{site.url}/dashboard/projects/{site.seeded.projects['compare']}")
    with page.expect_download() as download:
        page.click("text=Export dpo (JSONL)")
    rows = [json.loads(line) for line in open(download.value.path()).read().splitlines()]
    assert rows and {"prompt", "chosen", "rejected"} <= set(rows[0])


def test_operator_removes_a_contributor_and_their_leases_return(site, browser_page):
    from datafab.services import projects

    page = browser_page
    project_id = site.seeded.projects["rank"]
    bob = make_contributor(site, "Bob Leaseholder", "bob@example.org")
    org = site.seeded.organization
    before = projects.progress(site.foundry, org, project_id)
    held = work.lease_items(site.foundry, bob, project_id, 2)
    assert len(held) == 2
    assert projects.progress(site.foundry, org, project_id)["live_leases"] == (
        before["live_leases"] + 2)

    page.goto(site.url + "/ops")
    page.wait_for_url(re.compile(r".*/ops/login.*"))
    page.fill("#f-token", "wrong")
    page.click("main button[type=submit]")
    assert page.inner_text(".field:has(#f-token) .field-error")
    page.fill("#f-token", OPERATOR_TOKEN)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/ops$"))
    page.fill("#f-text", "Leaseholder")
    page.click("form.filters button[type=submit]")
    row = page.locator(f"#member-{bob.id}")
    assert "2" in row.locator("td").nth(5).inner_text()
    check_page(page)
    screenshot(page, "ops-contributors")
    row.locator("button", has_text="Remove").click()
    page.wait_for_selector(f"#member-{bob.id} .status-removed")
    assert "2 leases returned to the pool" in page.inner_text(f"#member-{bob.id}")
    assert projects.progress(site.foundry, org, project_id)["live_leases"] == before["live_leases"]
    with pytest.raises(DatafabError):
        work.submit(site.foundry, bob, held[0].id, {"answer": {"order": [0, 1, 2]}})

    page.goto(site.url + "/ops/gold")
    page.select_option("#f-project", str(site.seeded.projects["gold"]))
    page.click("form.filters button[type=submit]")
    page.fill("#g-new-external_id", "check-new")
    page.fill("#g-new-data", '{"text": "Meh."}')
    page.fill("#g-new-answer", "not json")
    page.click("section.card:has(#g-new-data) button[type=submit]")
    assert "Not valid JSON" in page.inner_text(".field:has(#g-new-answer) .field-error")
    page.fill("#g-new-answer", '{"label": "neutral"}')
    page.click("section.card:has(#g-new-data) button[type=submit]")
    assert "check-new is gold now" in page.inner_text("main")
    check_page(page)
    screenshot(page, "ops-gold")

    page.goto(site.url + "/ops/flags")
    check_page(page)
    screenshot(page, "ops-flags")


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"  # as the pages write a share


def test_a_contributor_sees_their_standing_and_earnings(site, browser_page):
    from datafab.services import items, pay, projects, workforce

    foundry, org = site.foundry, site.seeded.organization
    labels = {"labels": ["positive", "negative", "neutral"]}
    paid = projects.create_project(foundry, org, {
        "name": "Product reviews, paid", "primitive": "classify", "settings": labels,
        "guidelines": "Pick the reviewer's sentiment.", "policy": {"min_labels": 1,
                                                                    "max_labels": 1}})
    items.upload_items(foundry, org, paid.id, [
        {"external_id": f"review-{i}", "data": {"text": f"Fine blender, number {i}."}}
        for i in range(8)] + [
        {"external_id": f"known-{i}", "data": {"text": f"Superb kettle {i}!"},
         "gold_answer": {"label": "positive"}, "gold_explanation": "Delight is positive."}
        for i in range(4)])
    workforce.set_policy(foundry, org, paid.id, {
        "qualification": {"items": 4, "pass_mark": 0.75},
        "performance": {"min_accuracy": 0.8, "min_gold": 3}, "currency": "USD",
        "pay": {"per_task_minor": 35}})
    strict = projects.create_project(foundry, org, {
        "name": "Sarcasm check", "primitive": "classify", "settings": labels,
        "guidelines": "Is it meant the other way round?",
        "policy": {"min_labels": 2, "max_labels": 3}})
    items.upload_items(foundry, org, strict.id, [
        {"external_id": f"quip-{i}", "data": {"text": f"Oh great, {i} more emails."}}
        for i in range(4)] + [
        {"external_id": f"sure-{i}", "data": {"text": f"Wow, rain again {i}."},
         "gold_answer": {"label": "negative"}} for i in range(2)])
    workforce.set_policy(foundry, org, strict.id, {
        "qualification": {"items": 2, "pass_mark": 0.0}, "currency": "USD",
        "pay": {"per_task_minor": 50}})

    def answer(who, project_id, n, right=None):
        for lease in work.lease_items(foundry, who, project_id, n):
            good = right(lease) if right else True
            label = ("positive" if project_id == paid.id else "negative") if good else "neutral"
            work.submit(foundry, who, lease.id, {"answer": {"label": label},
                                                 "seconds_spent": 12})

    eve = make_contributor(site, "Eve Standing", "eve@example.org")
    answer(eve, paid.id, 4, right=lambda lease: lease.external_id != "known-0")  # 3 of 4
    answer(eve, paid.id, 3)
    (statement,) = [p for p in pay.run_payouts(foundry, 0, time.time() + 1)
                    if p["contributor_id"] == eve.id]
    answer(eve, paid.id, 2)
    answer(eve, strict.id, 2, right=lambda lease: False)  # the qualification: 0 of 2
    answer(eve, strict.id, 2)
    workforce.set_standing(foundry, org, strict.id, eve.id, "removed",
                           reason="answers pasted from a search engine")
    mallory = make_contributor(site, "Mallory Other", "mallory@example.org")
    answer(mallory, paid.id, 4, right=lambda lease: False)

    page = browser_page
    log_in(page, site, "eve@example.org")
    page.click("header nav >> text=My projects")
    page.wait_for_url(re.compile(r".*/work/standing$"))
    cards = page.locator("section.standing")
    assert cards.nth(0).get_attribute("id") == f"project-{paid.id}"  # hers first
    # removed from "Sarcasm check": it does not exist for her any more (need to know)
    assert page.locator(f"#project-{strict.id}").count() == 0
    assert "Sarcasm check" not in page.content()
    mine = f"#project-{paid.id}"
    assert "Qualified: 3 of 4 check items right (pass mark 75%)" in page.inner_text(
        f"{mine} [data-fact=qualification]")
    low, high = wilson_interval(3, 4, two_sided_z(0.95))
    accuracy = page.inner_text(f"{mine} [data-fact=accuracy]")
    assert "75%: 3 of your latest 4 right" in accuracy
    assert f"95% interval {_pct(low)}–{_pct(high)}" in accuracy
    assert "the project's bar is 80%" in accuracy
    assert "75% right" in page.get_attribute(f"{mine} svg.strip", "aria-label")
    assert "Active" in page.inner_text(f"{mine} [data-fact=standing]")
    assert "Open to you" in page.inner_text(f"{mine} [data-fact=work]")
    assert "answers pasted from a search engine" not in page.content()
    check_page(page)
    screenshot(page, "my-projects")

    page.click("header nav >> text=Earnings")
    page.wait_for_url(re.compile(r".*/work/earnings$"))

    def total(kind: str) -> str:
        return page.inner_text(f"[data-currency=USD][data-total={kind}] .value")

    # paid out: 4 check items + 3 items at 0.35; pending: 2 more at 0.35, and at 0.50 two
    # check items plus two items whose pay was taken back on removal
    assert total("paid") == "2.45 USD" == f"{statement['amount_minor'] / 100:.2f} USD"
    assert total("pending") == "1.70 USD" and total("earned") == "4.15 USD"
    rows = page.locator("table.ledger tbody tr")
    assert rows.count() == 4 + 3 + 2 + 4 + 2
    reversals = page.locator("table.ledger tr.kind-reversal")
    assert reversals.count() == 2
    assert "-0.50 USD" in reversals.nth(0).inner_text()
    assert "stopped counting" in reversals.nth(0).inner_text()
    assert page.locator("table.ledger td", has_text="(taken back)").count() == 2
    assert page.locator("table.ledger td", has_text="Paid out (statement").count() == 7
    assert "2.45 USD" in page.inner_text(f"tr[data-statement='{statement['id']}']")
    assert page.locator("svg.chart").count() == 1
    # the amounts of the project she was removed from stay; its name and items do not
    assert "Sarcasm check" not in page.content() and "quip-" not in page.content()
    assert page.locator("table.ledger td", has_text="no longer open to you").count() == 6
    check_page(page)
    screenshot(page, "earnings")

    page.click("header button:has-text('Log out')")  # the other contributor: only hers
    log_in(page, site, "mallory@example.org")
    page.goto(site.url + "/work/standing")
    assert page.locator(f"#project-{paid.id}").count() == 0  # failed its qualification
    theirs = page.inner_text("main")
    assert "3 of your latest 4" not in theirs and "Removed" not in theirs
    page.goto(site.url + "/work/earnings")
    assert total("pending") == "1.40 USD" and total("paid") == "0.00 USD"
    assert page.locator("table.ledger tbody tr").count() == 4
    assert "No payout statement yet" in page.inner_text("main")
    check_page(page)
