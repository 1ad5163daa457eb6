"""Sensitivity and clearances, on both databases: a confidential or restricted project exists
only for contributors an operator cleared at its level (restricted covers confidential; an
expired clearance is none), through every contributor route; grants are audited; bad input
writes nothing; a restricted project's items reach no model endpoint outside
DATAFAB_MODEL_ALLOWED_NETWORKS; its workbench pages are not cached."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.cli import app as cli_app
from datafab.services import clearances, workforce
from datafab.store.tables import audit_log, contributor_clearances
from test_confidentiality import NAME, _browser, _no_trace, _project

TOKEN = "operator-token-for-clearances-0123456789"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}

# sensitivity -> clearance -> visible
SEES = {
    "standard": {"none": True, "confidential": True, "restricted": True, "expired": True},
    "confidential": {"none": False, "confidential": True, "restricted": True,
                     "expired": False},
    "restricted": {"none": False, "confidential": False, "restricted": True,
                   "expired": False},
}
CASES = [(s, c) for s in SEES for c in SEES[s]]
ROUTES = ("instructions", "lease", "project_list", "workbench")


@pytest.fixture
def settings_overrides() -> dict:
    return {"operator_token": TOKEN}


def _clear(foundry, clock, contributor: int, clearance: str) -> None:
    if clearance == "none":
        return
    if clearance == "expired":
        clearances.grant(foundry, contributor, "restricted", clock.now + 60, actor="test")
        clock.advance(61)
        return
    clearances.grant(foundry, contributor, clearance, None, actor="test")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("sensitivity", "clearance"), CASES)
def test_who_sees_a_sensitive_project(api, foundry, clock, make_org, make_worker, sensitivity,
                                      clearance, route):
    org = make_org()
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"sensitivity": sensitivity})
    visible = SEES[sensitivity][clearance]
    if route == "workbench":
        who, client = _browser(foundry)
        try:
            _clear(foundry, clock, who.id, clearance)
            page = client.get(f"/work/{project.id}")
            listing = client.get("/work")
            assert page.status_code == (200 if visible else 404)
            assert (NAME in listing.text) == visible
            if not visible:
                _no_trace(page.text)
                _no_trace(listing.text)
        finally:
            client.__exit__(None, None, None)
        return
    worker = make_worker("ada")
    _clear(foundry, clock, worker.id, clearance)
    if route == "instructions":
        r = api.get(f"/v1/projects/{project.id}/instructions", headers=worker.headers)
        assert r.status_code == (200 if visible else 404), r.text
        if visible:
            assert r.json()["sensitivity"] == sensitivity
    elif route == "lease":
        r = api.post(f"/v1/projects/{project.id}/leases", json={"n": 1},
                     headers=worker.headers)
        assert r.status_code == (200 if visible else 404), r.text
        if visible:
            assert len(r.json()["leases"]) == 1
    else:
        r = api.get("/v1/me/projects", headers=worker.headers)
        listed = [p["project_id"] for p in r.json()["projects"]]
        assert listed == ([project.id] if visible else [])
    if not visible:
        _no_trace(r.text)


def test_a_model_needs_a_clearance_like_a_person(api, foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"sensitivity": "restricted"})
    model = make_worker("model", kind="model")
    url = f"/v1/projects/{project.id}/leases"
    assert api.post(url, json={"n": 1}, headers=model.headers).status_code == 404
    clearances.grant(foundry, model.id, "restricted", None, actor="test")
    assert len(api.post(url, json={"n": 1}, headers=model.headers).json()["leases"]) == 1


def _audit(foundry) -> list:
    with foundry.db.read() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.action == "clearance.granted")
                            .order_by(audit_log.c.id)).all()


def _count(foundry) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(contributor_clearances)).scalar()


def test_the_operator_api_grants_with_an_audit_row(api, foundry, clock, make_worker):
    ada = make_worker("ada")
    url = f"/v1/contributors/{ada.id}/clearance"
    assert api.put(url, json={"level": "restricted"}).status_code == 401
    assert api.put(url, json={"level": "restricted"}, headers=ada.headers).status_code == 401
    r = api.put(url, json={"level": "confidential", "until": "2099-01-01"}, headers=OPERATOR)
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "confidential" and r.json()["until"] == 4070908800.0
    got = api.get(url, headers=OPERATOR).json()
    assert got["level"] == "confidential" and got["until"] == 4070908800.0
    rows = _audit(foundry)
    assert len(rows) == 1 and rows[0].actor == "operator"
    assert rows[0].target == f"contributor:{ada.id}"
    assert rows[0].details == {"level": "confidential", "until": 4070908800.0}
    clock.now = 4070908800.0  # at its expiry it is gone
    assert api.get(url, headers=OPERATOR).json()["level"] == "standard"


def test_each_expiry_is_in_the_audit_log_once(api, foundry, clock, make_worker):
    ada, bob = make_worker("ada"), make_worker("bob")
    clearances.grant(foundry, ada.id, "restricted", clock.now + 60, actor="test")
    clearances.grant(foundry, bob.id, "confidential", None, actor="test")
    assert clearances.expire(foundry) == 0
    clock.advance(60)
    assert clearances.expire(foundry) == 1 and clearances.expire(foundry) == 0
    with foundry.db.read() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "clearance.expired")
                            ).all()
        assert clearances.level_of(conn, bob.id, foundry.now()) == "confidential"
    assert [(r.target, r.actor, r.details) for r in rows] == [
        (f"contributor:{ada.id}", "datafab", {"level": "restricted", "until": clock.now})]
    assert _count(foundry) == 1


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"level": "secret"}, "level", 422),
    ({"level": "restricted", "until": "yesterday-ish"}, "until", 422),
    ({"level": "restricted", "until": "2001-01-01"}, "until", 422),
])
def test_bad_grants_write_nothing(api, foundry, make_worker, body, field, status):
    ada = make_worker("ada")
    r = api.put(f"/v1/contributors/{ada.id}/clearance", json=body, headers=OPERATOR)
    assert r.status_code == status and r.json()["error"]["field"] == field, r.text
    assert _count(foundry) == 0 and _audit(foundry) == []


def test_an_unknown_contributor_is_not_found(api, foundry):
    r = api.put("/v1/contributors/999999/clearance", json={"level": "restricted"},
                headers=OPERATOR)
    assert r.status_code == 404 and r.json()["error"]["field"] == "contributor_id"
    assert _count(foundry) == 0 and _audit(foundry) == []


def test_an_unknown_sensitivity_is_refused(api, foundry, make_org):
    org = make_org()
    project = _project(foundry, org.id)
    r = api.put(f"/v1/projects/{project.id}/workforce", json={"sensitivity": "secret"},
                headers=org.headers)
    assert r.status_code == 422 and "sensitivity" in r.json()["error"]["field"], r.text
    assert api.get(f"/v1/projects/{project.id}/workforce",
                   headers=org.headers).status_code == 404


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli_app, list(args))


def test_the_cli_grants_with_an_audit_row(run, foundry, make_worker):
    ada = make_worker("ada")
    r = run("contributor", "clear", str(ada.id), "--level", "restricted", "--until",
            "2099-01-01")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["level"] == "restricted"
    rows = _audit(foundry)
    assert len(rows) == 1 and rows[0].actor == "cli (operator)"
    assert rows[0].details["until"] == 4070908800.0
    with foundry.db.read() as conn:
        assert clearances.covers(conn, ada.id, "confidential", foundry.now())


@pytest.mark.parametrize(("args", "word"), [
    (["--level", "secret"], "level"),
    (["--level", "restricted", "--until", "not-a-date"], "until"),
    (["--level", "restricted", "--until", "2001-01-01"], "until"),
])
def test_the_cli_refuses_bad_grants(run, foundry, make_worker, args, word):
    ada = make_worker("ada")
    r = run("contributor", "clear", str(ada.id), *args)
    assert r.exit_code == 2 and word in r.output, r.output
    assert run("contributor", "clear", "999999", "--level", "restricted").exit_code == 2
    assert _count(foundry) == 0 and _audit(foundry) == []


def test_restricted_workbench_pages_are_not_cached(foundry, make_org):
    org = make_org()
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"sensitivity": "confidential"})
    who, client = _browser(foundry)
    try:
        clearances.grant(foundry, who.id, "restricted", None, actor="test")
        page = client.get(f"/work/{project.id}")
        assert page.status_code == 200
        assert "no-store" not in page.headers.get("cache-control", "")
        workforce.set_policy(foundry, org.id, project.id, {"sensitivity": "restricted"})
        for path in (f"/work/{project.id}", f"/work/{project.id}/guidelines"):
            page = client.get(path)
            assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    finally:
        client.__exit__(None, None, None)


# -- the model worker and DATAFAB_MODEL_ALLOWED_NETWORKS (a real server, a real endpoint) -----


@pytest.mark.parametrize("allowed", ["", "10.0.0.0/8", "127.0.0.0/8"])
def test_the_worker_keeps_restricted_items_inside_the_allowed_networks(live_server, allowed,
                                                                       monkeypatch):
    from datafab.services.accounts import create_contributor, create_organization
    from datafab.store.tables import leases
    from hybrid.chat_server import ScriptedModel, serve

    url, live = live_server
    org_id, _ = create_organization(live, "Acme")
    project = _project(live, org_id)
    workforce.set_policy(live, org_id, project.id, {"sensitivity": "restricted"})
    model, token = create_contributor(live, {"name": "model", "kind": "model"})
    clearances.grant(live, model.id, "restricted", None, actor="test")
    monkeypatch.setenv("DATAFAB_MODEL_ALLOWED_NETWORKS", allowed)
    with serve(ScriptedModel(labels=["bird", "sky"])) as endpoint:
        r = CliRunner().invoke(cli_app, [
            "worker", "--model", "m", "--project", str(project.id), "--token", token,
            "--server", url, "--base-url", endpoint.url, "--max-retries", "0"])
        calls = endpoint.model.calls
    with live.db.read() as conn:
        leased = conn.execute(select(func.count()).select_from(leases)).scalar()
    if allowed == "127.0.0.0/8":
        assert r.exit_code == 0, r.output
        assert leased > 0 and calls > 0
    else:
        assert r.exit_code == 2, r.output
        assert "DATAFAB_MODEL_ALLOWED_NETWORKS" in r.output and "restricted" in r.output
        assert leased == 0 and calls == 0
