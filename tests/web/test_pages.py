"""The web pages over HTTP (no browser), on SQLite and PostgreSQL: forms that refuse bad
input next to the field, sessions, CSRF, throttling, security headers, and the services the
pages stand on (eligibility, skips and flags, gold feedback, the dashboard's numbers, the
ops console's removals)."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from datafab.api.app import create_app
from datafab.errors import Conflict, InvalidInput
from datafab.services import (
    accounts,
    contributor_standing,
    dashboard,
    gold_items,
    item_flags,
    items,
    logins,
    projects,
    work,
)
from datafab.web.sessions import COOKIE

PASSWORD = "a long enough password"
LABELS = ["cat", "dog", "bird"]


@pytest.fixture
def client(foundry):
    foundry.settings.operator_token = "ops-token"
    with TestClient(create_app(foundry)) as c:
        yield c


def csrf_of(client, path: str) -> str:
    page = client.get(path)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def errors_in(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="field-error"[^>]*>(.*?)</p>',
                                                          html, flags=re.S)]


def sign_up(client, email="ada@example.org", name="Ada", password=PASSWORD):
    """Sign up, then log in (signing up alone signs nobody in); the login's response."""
    token = csrf_of(client, "/signup")
    made = client.post("/signup", data={"csrf": token, "name": name, "email": email,
                                        "password": password, "password_again": password},
                       follow_redirects=False)
    if made.status_code != 303:
        return made
    return log_in(client, email, password)


def log_in(client, email="ada@example.org", password=PASSWORD):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf": token, "email": email, "password": password},
                       follow_redirects=False)


def classify_project(foundry, org, n=4, **extra):
    spec = {"name": extra.pop("name", "animals"), "primitive": "classify",
            "settings": {"labels": LABELS}, "guidelines": "Pick the animal.", **extra}
    project = projects.create_project(foundry, org, spec)
    if n:
        items.upload_items(foundry, org, project.id, [
            {"external_id": f"i{i}", "data": {"text": f"animal {i}"}} for i in range(n)])
    return project


def test_sign_up_refuses_bad_input_next_to_the_field(client):
    token = csrf_of(client, "/signup")
    cases = [
        ({"name": "", "email": "a@b.org", "password": PASSWORD}, "name"),
        ({"name": "\u200b\u202e", "email": "a@b.org", "password": PASSWORD}, "name"),
        ({"name": "Ada", "email": "nope", "password": PASSWORD}, "email"),
        ({"name": "Ada", "email": "a@b.org", "password": "short"}, "password"),
    ]
    for fields, field in cases:
        page = client.post("/signup", data={"csrf": token, "password_again": fields["password"],
                                            **fields})
        assert page.status_code == 422
        assert f'id="{field}-error"' in page.text, (field, errors_in(page.text))
    page = client.post("/signup", data={"csrf": token, "name": " ", "email": "a@",
                                        "password": "short", "password_again": "other"})
    assert page.status_code == 422  # every problem at once, each next to its field
    for field in ("name", "email", "password", "password_again"):
        assert f'id="{field}-error"' in page.text, field
    assert sign_up(client, "a@b.org").status_code == 303


def test_sign_up_does_not_tell_whether_an_email_has_an_account(client):
    def attempt(email):
        browser = TestClient(client.app)
        token = csrf_of(browser, "/signup")
        return browser.post("/signup", data={
            "csrf": token, "name": "Eve", "email": email, "password": "another password",
            "password_again": "another password"}, follow_redirects=False)

    assert sign_up(client, "a@b.org").status_code == 303
    taken, new = attempt("A@B.org"), attempt("c@d.org")
    assert taken.status_code == new.status_code == 303
    assert taken.headers["location"] == new.headers["location"] == "/login?signed_up=1&next=" \
        "/work/profile%3Fwelcome%3D1"
    assert ("set-cookie" in taken.headers) == ("set-cookie" in new.headers)
    assert log_in(TestClient(client.app), "a@b.org").status_code == 303  # still Ada's password
    assert log_in(TestClient(client.app), "a@b.org", "another password").status_code == 401
    landing = client.get(new.headers["location"])
    assert "Thank you for signing up" in landing.text


def test_session_cookie_is_signed_http_only_lax_and_expires(client, clock):
    response = sign_up(client)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert client.get("/work").status_code == 200
    value = client.cookies.get(COOKIE)
    payload, signature = value.split(".")
    client.cookies.clear()
    client.cookies.set(COOKIE, payload + "." + signature[::-1])
    assert client.get("/work", follow_redirects=False).headers["location"] == "/login?next=/work"
    client.cookies.clear()
    client.cookies.set(COOKIE, value)
    assert client.get("/work").status_code == 200
    clock.advance(12 * 3600 + 1)
    assert client.get("/work", follow_redirects=False).status_code == 303


def test_log_in_and_out(client):
    sign_up(client)
    client.cookies.clear()
    wrong = log_in(client, password="not the password")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text.lower()
    assert log_in(client).headers["location"] == "/work"
    token = csrf_of(client, "/work")
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/work", follow_redirects=False).status_code == 303


def test_forms_need_this_sessions_csrf_token(client):
    sign_up(client)
    assert client.post("/logout", data={}).status_code == 403
    other = TestClient(client.app)
    foreign = csrf_of(other, "/login")
    assert client.post("/logout", data={"csrf": foreign}).status_code == 403
    page = client.post("/login", data={"email": "x@y.org", "password": "whatever"})
    assert page.status_code == 403 and "expired" in page.text


def test_login_is_throttled(client, clock):
    sign_up(client)
    client.cookies.clear()
    for _ in range(5):
        assert log_in(client, password="wrong password!").status_code == 401
    refused = log_in(client)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many failed attempts" in refused.text
    clock.advance(301)
    assert log_in(client).status_code == 303


def test_pages_carry_security_headers_and_no_inline_script_or_style(client, foundry):
    org, key = accounts.create_organization(foundry, "Acme")
    classify_project(foundry, org)
    sign_up(client)
    for path in ("/", "/signup", "/work", "/work/profile", "/work/1", "/work/mine",
                 "/dashboard/login", "/ops/login"):
        page = client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path
    assert "content-security-policy" not in client.get("/healthz").headers


def test_projects_are_offered_by_skill(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    gated = classify_project(foundry, org, name="french", required_skills=["fr"])
    sign_up(client)
    assert "french" not in client.get("/work").text
    assert client.get(f"/work/{gated.id}").status_code == 404
    token = csrf_of(client, "/work/profile")
    page = client.post("/work/profile", data={
        "csrf": token, "languages_name": ["fr", ""], "languages_level": ["native", ""],
        "domains_name": [""], "domains_level": [""]})
    assert page.status_code == 200 and "Saved." in page.text
    assert "french" in client.get("/work").text
    assert client.get(f"/work/{gated.id}").status_code == 200
    assert client.get("/work/next", follow_redirects=False).headers["location"] == (
        f"/work/{gated.id}")


def test_profile_refuses_bad_skills_next_to_the_row(client):
    sign_up(client)
    token = csrf_of(client, "/work/profile")
    page = client.post("/work/profile", data={
        "csrf": token, "languages_name": ["fr"], "languages_level": ["superb"]})
    assert page.status_code == 422 and 'id="languages-0-error"' in page.text
    page = client.post("/work/profile", data={
        "csrf": token, "languages_name": ["de"], "languages_level": ["fluent"],
        "domains_name": ["DE"], "domains_level": ["expert"]})
    assert page.status_code == 422 and "listed twice" in page.text


def test_a_turn_submits_and_shows_gold_feedback(client, foundry, monkeypatch):
    class AlwaysGold(random.Random):
        def random(self) -> float:
            return 0.0

    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(0))
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=2, policy={"gold_rate": 0.5})
    items.upload_items(foundry, org, project.id, [
        {"external_id": "g", "data": {"text": "meow"}, "gold_answer": {"label": "cat"},
         "gold_explanation": "Cats meow."}])
    sign_up(client)
    page = client.get(f"/work/{project.id}")
    lease = re.search(r'data-lease="(\d+)"', page.text).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    turn = client.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                       data={"csrf": token, "label": "dog", "seconds_spent": "2.5"})
    assert turn.status_code == 200
    assert 'data-gold="wrong"' in turn.text and "Cats meow." in turn.text
    assert 'id="turn-current"' in turn.text and 'id="turn-next"' in turn.text
    mine = client.get("/work/mine").text
    assert "wrong" in mine and 'href="/work/earnings"' in mine
    who = logins.log_in(foundry, "ada@example.org", PASSWORD)
    (record,) = workbench_gold(foundry, who)
    assert (record.gold_seen, record.gold_correct) == (1, 0)


def workbench_gold(foundry, who):
    from datafab.services import workbench

    return workbench.gold_record(foundry, who)


def test_a_refused_answer_comes_back_with_its_message(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org)
    sign_up(client)
    page = client.get(f"/work/{project.id}")
    lease = re.search(r'data-lease="(\d+)"', page.text).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    for data, message in (({}, "Pick a label"), ({"label": "cow"}, "Unknown label")):
        turn = client.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                           data={"csrf": token, **data})
        assert turn.status_code == 422
        assert message in " ".join(errors_in(turn.text))
        assert re.search(r'id="turn-current">\s*<article class="task" data-lease="' + lease,
                         turn.text)


def test_skip_needs_a_reason_releases_the_lease_and_may_flag(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org)
    sign_up(client)
    page = client.get(f"/work/{project.id}")
    lease = re.search(r'data-lease="(\d+)"', page.text).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert projects.progress(foundry, org, project.id)["live_leases"] == 2
    refused = client.post(f"/work/leases/{lease}/skip", headers={"HX-Request": "true"},
                          data={"csrf": token})
    assert refused.status_code == 422 and 'id="skip-reason-error"' in refused.text
    other = client.post(f"/work/leases/{lease}/skip", headers={"HX-Request": "true"},
                        data={"csrf": token, "reason": "other"})
    assert other.status_code == 422 and 'id="skip-note-error"' in other.text
    done = client.post(f"/work/leases/{lease}/skip", headers={"HX-Request": "true"},
                       data={"csrf": token, "reason": "broken", "note": "garbled"})
    assert done.status_code == 200 and "went back to the pool" in done.text
    (flag,) = item_flags.list_flags(foundry)
    assert (flag.reason, flag.note, flag.project_name) == ("broken", "garbled", "animals")
    flagged = client.post(f"/work/leases/{lease}/flag", headers={"HX-Request": "true"},
                          data={"csrf": token, "reason": "harmful"})
    assert flagged.status_code == 200 and "flagged for an operator" in flagged.text
    bad = client.post(f"/work/leases/{lease}/flag", headers={"HX-Request": "true"},
                      data={"csrf": token, "reason": "meh"})
    assert bad.status_code == 422 and 'id="reason-error"' in bad.text
    assert len(item_flags.list_flags(foundry)) == 2
    item_flags.resolve(foundry, flag.id)
    assert len(item_flags.list_flags(foundry)) == 1


def test_contributors_made_by_the_cli_keep_their_tokens(client, foundry):
    who, token = accounts.create_contributor(foundry, {"name": "bot", "kind": "model"})
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["name"] == "bot"
    assert log_in(client, "bot", "anything at all").status_code == 401


def test_the_dashboard_is_one_organizations(client, foundry, make_worker):
    org, key = accounts.create_organization(foundry, "Acme")
    other, _ = accounts.create_organization(foundry, "Other")
    mine = classify_project(foundry, org)
    theirs = classify_project(foundry, other, name="secret")
    token = csrf_of(client, "/dashboard/login")
    assert client.post("/dashboard/login", data={"csrf": token, "api_key": ""}).status_code == 422
    logged = client.post("/dashboard/login", data={"csrf": token, "api_key": key},
                         follow_redirects=False)
    assert logged.headers["location"] == "/dashboard"
    listing = client.get("/dashboard").text
    assert "animals" in listing and "secret" not in listing
    assert client.get(f"/dashboard/projects/{theirs.id}").status_code == 404
    assert client.get(f"/dashboard/projects/{theirs.id}/export").status_code == 404
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    for lease in work.lease_items(foundry, worker, mine.id, 4):
        work.submit(foundry, worker, lease.id, {"answer": {"label": "cat"}})
    page = client.get(f"/dashboard/projects/{mine.id}")
    assert page.status_code == 200 and page.text.count("<svg") >= 3
    export = client.get(f"/dashboard/projects/{mine.id}/export?format=records")
    assert export.status_code == 200 and len(export.text.splitlines()) == 4
    assert "attachment" in export.headers["content-disposition"]
    parquet = client.get(f"/dashboard/projects/{mine.id}/export?format=records&file=parquet")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    bad = client.get(f"/dashboard/projects/{mine.id}/records?max_confidence=2")
    assert bad.status_code == 422 and 'id="max_confidence-error"' in bad.text
    accounts.revoke_api_key(foundry, org, key)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_records_browser_filters_disagreement(foundry, make_worker):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=2, policy={"min_labels": 2, "max_labels": 2,
                                                          "method": "majority"})
    for name, labels in (("a", {"i0": "cat", "i1": "cat"}), ("b", {"i0": "cat", "i1": "dog"})):
        who = accounts.authenticate_contributor(foundry, make_worker(name).token)
        for lease in work.lease_items(foundry, who, project.id, 2):
            work.submit(foundry, who, lease.id, {"answer": {"label": labels[lease.external_id]}})
    split, _ = dashboard.browse_records(foundry, org, project.id,
                                        dashboard.RecordFilter(disagreement=True))
    assert [r["external_id"] for r in split] == ["i1"]
    sure, _ = dashboard.browse_records(foundry, org, project.id,
                                       dashboard.RecordFilter(min_confidence=0.9))
    assert [r["external_id"] for r in sure] == ["i0"]
    with pytest.raises(InvalidInput):
        dashboard.browse_records(foundry, org, project.id,
                                 dashboard.RecordFilter(min_confidence=0.9, max_confidence=0.1))
    detail = dashboard.record_detail(foundry, org, project.id, split[0]["id"])
    assert len(detail["submissions"]) == 2
    assert all(s["contributor"].startswith("c_") for s in detail["submissions"])
    names, matrix = dashboard.confusion(foundry, org, project.id)
    assert names == LABELS and sum(map(sum, matrix)) == 4


def test_cost_quality_curve_replays_the_votes(foundry, make_worker):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=3, policy={"min_labels": 3, "max_labels": 3,
                                                          "method": "majority"})
    for name, label in (("a", "cat"), ("b", "cat"), ("c", "dog")):
        who = accounts.authenticate_contributor(foundry, make_worker(name).token)
        for lease in work.lease_items(foundry, who, project.id, 3):
            work.submit(foundry, who, lease.id, {"answer": {"label": label}})
    curve = dashboard.cost_quality_curve(foundry, org, project.id)
    assert [round(x) for x, _ in curve] == [3, 6, 9]
    assert [round(y, 4) for _, y in curve] == [1.0, 1.0, round(2 / 3, 4)]
    histogram = dashboard.confidence_histogram(foundry, org, project.id)
    assert sum(histogram) == 3 and histogram[6] == 3
    series = dashboard.throughput(foundry, org, project.id)
    assert sum(series.counts) == 9
    (row,) = dashboard.overview(foundry, org)
    assert (row.items, row.done, row.labels) == (3, 3, 9)


def test_operator_removal_returns_leases_and_ends_the_session(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org)
    sign_up(client)
    client.get(f"/work/{project.id}")  # holds two leases now
    who = logins.log_in(foundry, "ada@example.org", PASSWORD)
    assert projects.progress(foundry, org, project.id)["live_leases"] == 2
    ops = TestClient(client.app)
    token = csrf_of(ops, "/ops/login")
    assert ops.post("/ops/login", data={"csrf": token, "token": "nope"}).status_code == 401
    assert ops.post("/ops/login", data={"csrf": token, "token": "ops-token"},
                    follow_redirects=False).headers["location"] == "/ops"
    assert "ada@example.org" in ops.get("/ops?status=active").text
    assert "ada@example.org" not in ops.get("/ops?status=removed").text
    assert ops.get("/ops?min_accuracy=abc").status_code == 422
    token = csrf_of(ops, "/ops")
    row = ops.post(f"/ops/contributors/{who.id}/status", headers={"HX-Request": "true"},
                   data={"csrf": token, "status": "removed"})
    assert "2 leases returned to the pool" in row.text
    assert projects.progress(foundry, org, project.id)["live_leases"] == 0
    assert client.get("/work", follow_redirects=False).status_code == 303
    assert log_in(client).status_code == 401
    contributor_standing.set_status(foundry, who.id, "active")
    assert log_in(client).status_code == 303
    with pytest.raises(InvalidInput):
        contributor_standing.set_status(foundry, who.id, "banished")


def test_ops_console_is_closed_without_a_token(client, foundry):
    foundry.settings.operator_token = None
    assert "is closed" in client.get("/ops/login").text
    token = csrf_of(client, "/ops/login")
    assert client.post("/ops/login", data={"csrf": token, "token": "ops-token"}).status_code == 401
    assert client.get("/ops", follow_redirects=False).status_code == 303


def test_gold_items_for_operators(foundry, make_worker):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=3)
    gold_items.make_gold(foundry, project.id, "i0", {"label": "cat"}, "It is a cat.")
    with pytest.raises(InvalidInput):
        gold_items.make_gold(foundry, project.id, "i1", {"label": "cow"})
    with pytest.raises(Conflict):
        gold_items.make_gold(foundry, project.id, "i0", {"label": "cat"})
    gold_items.add_gold_item(foundry, project.id, "g1", {"text": "woof"}, {"label": "dog"})
    with pytest.raises(InvalidInput) as bad:
        gold_items.add_gold_item(foundry, project.id, "g2", {"txt": "woof"}, {"label": "dog"})
    assert bad.value.field == "data.txt"
    who = accounts.authenticate_contributor(foundry, make_worker("w").token)
    leases = work.lease_items(foundry, who, project.id, 2)
    assert {lease.external_id for lease in leases} == {"i1", "i2"}  # gold_rate 0: no gold
    report = gold_items.report(foundry, project.id)
    assert [(r.external_id, r.answered) for r in report] == [("i0", 0), ("g1", 0)]


def test_web_never_touches_the_store():
    import datafab.web as package

    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for module in names:
                assert not module.startswith(("sqlalchemy", "datafab.store")), (path.name, module)


ANSWERS = {
    "classify": {"label": "positive"},
    "compare": {"choice": "a", "strength": "clear"},
    "rank": {"order": [2, 0, 1]},
    "spans": {"spans": [{"start": 0, "end": 3, "label": "PERSON"}]},
    "steps": {"ratings": [1, 1, -1], "explanation": "off by one"},
    "write": {"final": "A better sentence.", "critique": "too vague"},
    "trajectory": {"steps": [{"type": "thought", "text": "look it up"},
                             {"type": "final", "text": "It is sunny."}]},
    "grade": {"scores": {"accuracy": 4, "clarity": 5}},
}


def test_every_primitive_shows_on_the_dashboard(client, foundry, make_worker):
    from .conftest import PRIMITIVES, seed

    seeded = seed(foundry)
    who = accounts.authenticate_contributor(foundry, make_worker("w").token)
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": seeded.api_key})
    for primitive in PRIMITIVES:
        project_id = seeded.projects[primitive]
        for lease in work.lease_items(foundry, who, project_id, 2):
            work.submit(foundry, who, lease.id, {"answer": ANSWERS[primitive]})
        page = client.get(f"/dashboard/projects/{project_id}")
        assert page.status_code == 200, primitive
        assert page.text.count('class="chart"') == 3
        records = client.get(f"/dashboard/projects/{project_id}/records?disagreement=")
        assert records.status_code == 200
        record_id = re.search(r'/records/(\d+)"', records.text).group(1)
        detail = client.get(f"/dashboard/projects/{project_id}/records/{record_id}")
        assert detail.status_code == 200 and "Submissions behind it" in detail.text
        curve = dashboard.cost_quality_curve(foundry, seeded.organization, project_id)
        assert len(curve) == 1 and 0.0 <= curve[0][1] <= 1.0


def test_a_new_operator_token_ends_operator_sessions(client, foundry):
    token = csrf_of(client, "/ops/login")
    client.post("/ops/login", data={"csrf": token, "token": "ops-token"})
    assert client.get("/ops").status_code == 200
    assert "ops-token" not in client.cookies.get(COOKIE)
    foundry.settings.operator_token = "rotated-token"
    assert client.get("/ops", follow_redirects=False).status_code == 303


def test_the_dashboard_says_when_the_budget_stops_leasing(client, foundry, make_worker):
    from datafab.services import billing, workforce

    org, key = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org)
    billing.set_price_sheet(foundry, org, {"task_minor": 100})
    workforce.set_policy(foundry, org, project.id, {"budget_minor": 200})
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": key})
    page = client.get(f"/dashboard/projects/{project.id}").text
    assert "0 / 200" in page and 'id="budget-reached"' not in page
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    held = work.lease_items(foundry, worker, project.id, 5)
    assert len(held) == 2  # what 200 pays for at 100 a task
    page = client.get(f"/dashboard/projects/{project.id}").text
    reserved = page.split('id="budget-reserved-minor"', 1)[1]
    assert '<div class="value">200</div>' in reserved.split("</div></div>", 1)[0]
    assert 'id="budget-reserved"' in page and 'id="budget-reached"' not in page
    for lease in held:
        work.submit(foundry, worker, lease.id, {"answer": {"label": "cat"}})
    page = client.get(f"/dashboard/projects/{project.id}").text
    assert "200 / 200" in page and 'id="budget-reached"' in page
    assert work.lease_batch(foundry, worker, project.id).state == "budget_reached"


def test_my_projects_and_earnings_show_only_ones_own_figures(client, foundry, monkeypatch):
    from datafab.services import pay, workforce

    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=4, name="Animals with checks")
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"g{i}", "data": {"text": f"meow {i}"}, "gold_answer": {"label": "cat"}}
        for i in range(4)])
    workforce.set_policy(foundry, org, project.id, {
        "qualification": {"items": 2, "pass_mark": 0.5}, "currency": "usd",
        "pay": {"per_task_minor": 125}})
    other = classify_project(foundry, org, n=1, name="Only for French speakers",
                             required_skills=["fr"])
    assert client.get("/work/earnings", follow_redirects=False).status_code == 303

    sign_up(client)  # ada: both check items right, then one real item
    ada = logins.log_in(foundry, "ada@example.org", PASSWORD)
    bob = logins.sign_up(foundry, {"name": "Bob", "email": "bob@example.org",
                                   "password": PASSWORD})
    for who, label in ((ada, "cat"), (bob, "dog")):
        for lease in work.lease_items(foundry, who, project.id, 2):
            work.submit(foundry, who, lease.id, {"answer": {"label": label}})
    for lease in work.lease_items(foundry, ada, project.id, 1):
        work.submit(foundry, ada, lease.id, {"answer": {"label": "cat"}})
    pay.run_payouts(foundry, 0, foundry.now() + 1)
    for lease in work.lease_items(foundry, ada, project.id, 1):
        work.submit(foundry, ada, lease.id, {"answer": {"label": "cat"}})

    mine = client.get("/work/standing")
    assert mine.status_code == 200
    assert 'href="/work/standing"' in mine.text and 'href="/work/earnings"' in mine.text
    assert "Animals with checks" in mine.text and "Only for French speakers" not in mine.text
    assert "Qualified" in mine.text and "2 of 2 check items right" in mine.text
    assert 'class="strip"' in mine.text and "100%" in mine.text
    money = client.get("/work/earnings")
    assert money.status_code == 200
    assert money.text.count('class="chart"') == 1
    assert re.search(r'data-total="paid"><div class="value">3\.75 USD', money.text)
    assert re.search(r'data-total="pending"><div class="value">1\.25 USD', money.text)
    assert "Paid out (statement" in money.text and "Answer to item" in money.text

    with TestClient(create_app(foundry)) as theirs:  # bob sees his own, none of ada's
        log_in(theirs, "bob@example.org")
        page = theirs.get("/work/standing").text
        # bob failed the qualification: the project is gone for him (need to know)
        assert "Animals with checks" not in page and "Qualified" not in page
        money = theirs.get("/work/earnings").text
        assert re.search(r'data-total="paid"><div class="value">2\.50 USD', money)
        assert re.search(r'data-total="pending"><div class="value">0\.00 USD', money)
        assert "3.75 USD" not in money and money.count("Answer to item") == 2
        assert theirs.get(f"/work/{other.id}").status_code == 404
