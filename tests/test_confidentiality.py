"""Need to know, on both databases: a contributor sees a project only while they may work on
it now, through every contributor route; the organization behind it stays unnamed unless it
opts in; an organization's private pool (API, CLI, invitation codes) decides who may."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.api.app import create_app
from datafab.cli import app as cli_app
from datafab.errors import InvalidInput
from datafab.services import items, logins, project_changes, projects, workforce
from datafab.store.tables import contributors, workforce_invitations, workforce_members

PASSWORD = "correct horse battery"
ORG_NAME = "Secretcorp Frontier Lab"
NAME = "secret-project-kestrel"
GUIDELINES = "kestrel-guideline: label the birds, never the sky"

VISIBLE = {"active": True, "paused": False, "skills_unmet": False,
           "qualification_pending": True, "removed": False, "private_member": True,
           "non_member": False}
ROUTES = ("instructions", "guidelines", "lease", "project_list", "workbench_page")


def _project(foundry, org_id: int, name: str = NAME):
    project = projects.create_project(foundry, org_id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["bird", "sky"]},
        "guidelines": GUIDELINES, "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org_id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"kestrel item {i}"}} for i in range(3)] + [
        {"external_id": f"g{i}", "data": {"text": f"kestrel gold {i}"},
         "gold_answer": {"label": "bird"}} for i in range(3)])
    return project


def _in_state(foundry, org_id: int, project_id: int, contributor_id: int, state: str) -> None:
    """Put the project and the contributor in one of the table's states."""
    if state == "paused":
        project_changes.update_project(foundry, org_id, project_id, {"status": "paused"})
    elif state == "skills_unmet":
        workforce.set_policy(foundry, org_id, project_id, {
            "requirements": [{"kind": "language", "name": "de"}]})
    elif state == "qualification_pending":
        workforce.set_policy(foundry, org_id, project_id, {"qualification": {"items": 2}})
    elif state == "removed":
        workforce.set_policy(foundry, org_id, project_id, {})
        workforce.set_standing(foundry, org_id, project_id, contributor_id, "removed")
    elif state in ("private_member", "non_member"):
        workforce.set_policy(foundry, org_id, project_id, {"pool": "private"})
        if state == "private_member":
            from datafab.services import pools

            pools.admit(foundry, org_id, contributor_id)


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def _browser(foundry, email: str = "ada@example.org"):
    """A contributor signed up and logged in, in a browser-like client."""
    who = logins.sign_up(foundry, {"name": "Ada", "email": email, "password": PASSWORD})
    client = TestClient(create_app(foundry))
    client.__enter__()
    made = client.post("/login", data={"csrf": _csrf(client, "/login"), "email": email,
                                       "password": PASSWORD}, follow_redirects=False)
    assert made.status_code == 303, made.text
    return who, client


def _no_trace(text: str) -> None:
    for marker in (NAME, GUIDELINES, ORG_NAME, "kestrel"):
        assert marker not in text, f"{marker!r} leaked"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("state", list(VISIBLE))
def test_who_sees_a_project_through_every_route(api, foundry, make_org, make_worker, state,
                                                route):
    org = make_org(ORG_NAME)
    project = _project(foundry, org.id)
    visible = VISIBLE[state]
    if route in ("instructions", "lease", "project_list"):  # a token, as models use
        worker = make_worker("ada")
        _in_state(foundry, org.id, project.id, worker.id, state)
        if route == "instructions":
            r = api.get(f"/v1/projects/{project.id}/instructions", headers=worker.headers)
            assert r.status_code == (200 if visible else 404), r.text
            if visible:
                assert r.json()["guidelines"] == GUIDELINES and "customer" not in r.json()
        elif route == "lease":
            r = api.post(f"/v1/projects/{project.id}/leases", json={"n": 1},
                         headers=worker.headers)
            assert r.status_code == (200 if visible else 404), r.text
            if visible:
                assert len(r.json()["leases"]) == 1
        else:
            r = api.get("/v1/me/projects", headers=worker.headers)
            assert r.status_code == 200
            listed = [p["project_id"] for p in r.json()["projects"]]
            assert listed == ([project.id] if visible else [])
        if not visible:
            if route != "project_list":
                assert r.json()["error"]["type"] == "not_found"
            _no_trace(r.text)
        assert ORG_NAME not in r.text
        return
    who, client = _browser(foundry)  # the workbench in a browser
    try:
        _in_state(foundry, org.id, project.id, who.id, state)
        if route == "guidelines":
            r = client.get(f"/work/{project.id}/guidelines")
            assert r.status_code == (200 if visible else 404)
            if visible:
                assert GUIDELINES in r.text
            seen = [r]
        else:
            seen = [client.get("/work"), client.get("/work/standing"),
                    client.get(f"/work/{project.id}"), client.get("/work/mine")]
            assert seen[2].status_code == (200 if visible else 404)
            assert all(r.status_code == 200 for r in (seen[0], seen[1], seen[3]))
            for listing in seen[:2]:
                assert (NAME in listing.text) == visible
        for r in seen:
            assert ORG_NAME not in r.text
            if not visible:
                _no_trace(r.text)
    finally:
        client.__exit__(None, None, None)


def test_an_unknown_project_and_a_hidden_one_answer_alike(api, foundry, make_org, make_worker):
    org = make_org(ORG_NAME)
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"pool": "private"})
    worker = make_worker()
    hidden = api.get(f"/v1/projects/{project.id}/instructions", headers=worker.headers)
    unknown = api.get("/v1/projects/999999/instructions", headers=worker.headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["error"]["message"].replace(str(project.id), "N") == \
        unknown.json()["error"]["message"].replace("999999", "N")


def test_the_customer_is_named_only_when_it_opts_in(api, foundry, make_org, make_worker):
    org = make_org(ORG_NAME)
    project = _project(foundry, org.id)
    worker = make_worker()
    workforce.set_policy(foundry, org.id, project.id, {"show_customer": True})
    listed = api.get("/v1/me/projects", headers=worker.headers).json()["projects"]
    assert listed[0]["customer"] == ORG_NAME
    shown = api.get(f"/v1/projects/{project.id}/instructions", headers=worker.headers).json()
    assert shown["customer"] == ORG_NAME
    who, client = _browser(foundry)
    try:
        assert ORG_NAME in client.get("/work").text
        workforce.set_policy(foundry, org.id, project.id, {"show_customer": False})
        assert ORG_NAME not in client.get("/work").text
        assert NAME in client.get("/work").text
    finally:
        client.__exit__(None, None, None)
    listed = api.get("/v1/me/projects", headers=worker.headers).json()["projects"]
    assert "customer" not in listed[0]


def test_a_dismissed_member_loses_the_private_project_at_once(api, foundry, make_org,
                                                              make_worker):
    org = make_org(ORG_NAME)
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"pool": "private"})
    worker = make_worker()
    url = f"/v1/projects/{project.id}/instructions"
    assert api.get(url, headers=worker.headers).status_code == 404
    r = api.post("/v1/workforce/members", json={"contributor_id": worker.id},
                 headers=org.headers)
    assert r.status_code == 200 and r.json()["contributor_id"] == worker.id
    assert api.get(url, headers=worker.headers).status_code == 200
    held = api.post(f"/v1/projects/{project.id}/leases", json={"n": 2},
                    headers=worker.headers).json()["leases"]
    assert len(held) == 2
    out = api.delete(f"/v1/workforce/members/{worker.id}", headers=org.headers)
    assert out.status_code == 200 and out.json()["released"] == 2
    assert api.get(url, headers=worker.headers).status_code == 404
    # what they held went back to the pool: their answer to it is refused
    late = api.post(f"/v1/leases/{held[0]['id']}/submit", json={"answer": {"label": "bird"}},
                    headers=worker.headers)
    assert late.status_code in (404, 409), late.text
    assert api.delete(f"/v1/workforce/members/{worker.id}",
                      headers=org.headers).json()["error"]["field"] == "contributor_id"


# -- the pool API: bad input writes nothing; another organization's pool is invisible --------


def _members(foundry) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(workforce_members)).scalar_one()


@pytest.mark.parametrize("body, status, field", [
    ({"contributor_id": 999_999}, 404, "contributor_id"),
    ({"contributor_id": "seven"}, 422, "contributor_id"),
    ({"contributor_id": True}, 422, "contributor_id"),
    ({}, 422, "contributor_id"),
])
def test_admitting_bad_input_names_the_field_and_writes_nothing(api, foundry, make_org, body,
                                                                status, field):
    org = make_org()
    r = api.post("/v1/workforce/members", json=body, headers=org.headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field
    assert _members(foundry) == 0


def test_a_policy_with_an_unknown_pool_is_refused(api, foundry, make_org):
    org = make_org()
    project = _project(foundry, org.id)
    url = f"/v1/projects/{project.id}/workforce"
    assert api.put(url, json={"pool": "private"}, headers=org.headers).status_code == 200
    r = api.put(url, json={"pool": "secret", "max_share": 0.5}, headers=org.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "pool"
    kept = api.get(url, headers=org.headers).json()
    assert kept["pool"] == "private" and kept["max_share"] is None  # nothing written


def test_each_organization_sees_and_changes_its_own_pool_only(api, foundry, make_org,
                                                              make_worker):
    acme, globex = make_org("Acme"), make_org("Globex")
    ada = make_worker("ada")
    assert api.post("/v1/workforce/members", json={"contributor_id": ada.id},
                    headers=acme.headers).status_code == 200
    assert api.get("/v1/workforce/members", headers=globex.headers).json() == {"members": []}
    r = api.delete(f"/v1/workforce/members/{ada.id}", headers=globex.headers)
    assert r.status_code == 404
    (member,) = api.get("/v1/workforce/members", headers=acme.headers).json()["members"]
    assert member["contributor_id"] == ada.id and member["name"] == "ada"
    # Acme's membership opens none of Globex's private projects
    theirs = _project(foundry, globex.id, name="globex private")
    workforce.set_policy(foundry, globex.id, theirs.id, {"pool": "private"})
    assert api.get(f"/v1/projects/{theirs.id}/instructions",
                   headers=ada.headers).status_code == 404
    assert api.get("/v1/workforce/members", headers=ada.headers).status_code == 401


# -- invitations ---------------------------------------------------------------------------------


def test_an_invitation_admits_whoever_signs_up_with_it(api, foundry, make_org):
    org = make_org(ORG_NAME)
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"pool": "private"})
    made = api.post("/v1/workforce/invitations", json={"uses": 1}, headers=org.headers)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    with foundry.db.read() as conn:  # only the code's hash is kept
        stored = conn.execute(select(workforce_invitations)).one()
    assert code not in json.dumps([str(v) for v in stored])

    with TestClient(create_app(foundry)) as browser:
        form = browser.get(f"/signup?invite={code}")
        assert f'value="{code}"' in form.text  # the link's code rides along in the form
        signed = browser.post("/signup", data={
            "csrf": _csrf(browser, "/signup"), "name": "Ines", "email": "ines@example.org",
            "password": PASSWORD, "password_again": PASSWORD, "invite": code},
            follow_redirects=False)
        assert signed.status_code == 303, signed.text
        browser.post("/login", data={"csrf": _csrf(browser, "/login"),
                                     "email": "ines@example.org", "password": PASSWORD})
        assert NAME in browser.get("/work").text
        assert browser.get(f"/work/{project.id}/guidelines").status_code == 200

    # the code had one use: the next sign-up with it is refused, naming the field, and no
    # account is made
    with pytest.raises(InvalidInput) as err:
        logins.sign_up(foundry, {"name": "Bob", "email": "bob@example.org",
                                 "password": PASSWORD, "invite": code})
    assert err.value.field == "invite"
    with TestClient(create_app(foundry)) as browser:
        refused = browser.post("/signup", data={
            "csrf": _csrf(browser, "/signup"), "name": "Bob", "email": "bob@example.org",
            "password": PASSWORD, "password_again": PASSWORD, "invite": "dfi_not-a-code"},
            follow_redirects=False)
        assert refused.status_code == 422 and "invitation code" in refused.text
    with foundry.db.read() as conn:
        emails = set(conn.execute(select(contributors.c.email)).scalars())
    assert emails == {"ines@example.org"}
    assert _members(foundry) == 1


def test_invitation_bad_input_is_refused(api, make_org):
    org = make_org()
    for body, field in (({"uses": 0}, "uses"), ({"expires_in_days": -1}, "expires_in_days"),
                        ({"colour": "red"}, "colour")):
        r = api.post("/v1/workforce/invitations", json=body, headers=org.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    monkeypatch.delenv("DATAFAB_API_KEY", raising=False)
    runner = CliRunner()
    return lambda *args, env=None: runner.invoke(cli_app, list(args), env=env)


def test_the_cli_admits_and_dismisses_with_a_key_or_as_an_operator(run, foundry, make_org,
                                                                   make_worker):
    org, ada = make_org(), make_worker("ada")
    env = {"DATAFAB_API_KEY": org.key}
    r = run("contributors", "admit", str(ada.id), env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["contributor_id"] == ada.id
    pool = json.loads(run("contributors", "pool", "--organization", str(org.id)).stdout)
    assert [m["contributor_id"] for m in pool] == [ada.id]
    r = run("contributors", "dismiss", str(ada.id), "--organization", str(org.id))
    assert r.exit_code == 0, r.output
    assert _members(foundry) == 0
    code = run("contributors", "invite", "--uses", "3", env=env).stdout.strip().splitlines()[-1]
    assert code.startswith("dfi_")

    unknown = run("contributors", "admit", "999999", env=env)
    assert unknown.exit_code != 0 and "contributor_id" in unknown.output
    gone = run("contributors", "dismiss", str(ada.id), env=env)
    assert gone.exit_code != 0 and "contributor_id" in gone.output
    neither = run("contributors", "admit", str(ada.id))
    assert neither.exit_code != 0 and "--organization" in neither.output
    no_org = run("contributors", "admit", str(ada.id), "--organization", "424242")
    assert no_org.exit_code != 0 and "organization" in no_org.output
    assert _members(foundry) == 0
