"""Customer primitives through the API: defining versions, pinning projects to them, bad
definitions (422 naming the path, nothing written), and privacy across organizations on every
primitive route and every project route of a project on a customer primitive."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from datafab.store.tables import audit_log, primitive_definitions

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "primitives"


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())


def _define(api, org, definition, status=201):
    r = api.post("/v1/primitives", json=definition, headers=org.headers)
    assert r.status_code == status, r.text
    return r.json()


def _error(response, status, field):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error.get("field") == field, error
    return error


def _stored(foundry) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(primitive_definitions)).scalar_one()


def _project(api, org, primitive, name="claims", status=201, **policy):
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": name, "primitive": primitive, "guidelines": "Judge by the sources.",
        "policy": policy or {"min_labels": 1, "max_labels": 1}})
    assert r.status_code == status, r.text
    return r.json()


def test_define_list_and_read_versions(api, make_org, foundry):
    org = make_org()
    first = _define(api, org, example("claim_factuality"))
    assert (first["name"], first["version"], first["pinned"], first["created"]) == \
        ("claim_factuality", 1, "claim_factuality@1", True)
    again = _define(api, org, example("claim_factuality"), status=200)  # same: no new version
    assert again["version"] == 1 and again["created"] is False
    assert "definition" not in first and "definition" not in again  # only a version read
    changed = example("claim_factuality")
    changed["answer"]["fields"][1]["maximum"] = 10
    second = _define(api, org, changed)
    assert second["version"] == 2
    _define(api, org, example("red_team_review"))

    listed = api.get("/v1/primitives", headers=org.headers).json()["data"]
    assert [(p["name"], p["latest"], p["versions"]) for p in listed] == \
        [("claim_factuality", 2, 2), ("red_team_review", 1, 1)]
    versions = api.get("/v1/primitives/claim_factuality", headers=org.headers).json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    # a read stores nothing: no "created"; a list of versions carries no definitions
    assert all(set(v) == {"name", "version", "pinned", "created_at", "created_by"}
               for v in versions["versions"])
    one = api.get("/v1/primitives/claim_factuality/versions/1", headers=org.headers).json()
    assert one["definition"] == example("claim_factuality") and "created" not in one
    assert _stored(foundry) == 3
    with foundry.db.read() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.target)).all()
    assert ("primitive.defined", "primitive:claim_factuality@2") in actions


def test_a_project_pins_a_version_and_a_new_version_changes_nothing_running(api, make_org,
                                                                          make_worker):
    org = make_org()
    _define(api, org, example("claim_factuality"))
    latest = _project(api, org, "claim_factuality", name="a")
    assert latest["primitive"] == "claim_factuality@1"  # NAME: the latest, pinned now
    changed = example("claim_factuality")
    changed["answer"]["fields"][0]["fields"][0]["options"].append("partly")
    _define(api, org, changed)
    assert _project(api, org, "claim_factuality", name="b")["primitive"] == "claim_factuality@2"
    assert _project(api, org, "claim_factuality@1", name="c")["primitive"] == \
        "claim_factuality@1"
    # The running project still refuses what only version 2 allows.
    r = api.post(f"/v1/projects/{latest['id']}/items", headers=org.headers, json={"items": [
        {"external_id": "i1", "data": {"question": "Q", "answer": "A", "claims": ["A"]}}]})
    assert r.status_code == 200, r.text
    worker = make_worker()
    lease = api.post(f"/v1/projects/{latest['id']}/leases", json={"n": 1},
                     headers=worker.headers).json()["leases"][0]
    partly = {"verdicts": [{"rating": "partly", "justification": "half"}], "overall": 3}
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": partly},
                 headers=worker.headers)
    _error(r, 422, "answer.verdicts.0.rating")
    partly["verdicts"][0]["rating"] = "supported"
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": partly},
                 headers=worker.headers)
    assert r.status_code == 200, r.text
    record = api.get(f"/v1/projects/{latest['id']}/records", headers=org.headers).json()
    assert record["data"][0]["answer"] == {
        "verdicts": [{"rating": "supported", "justification": ["half"]}], "overall": 3}
    _error(api.post("/v1/projects", headers=org.headers, json={
        "name": "d", "primitive": "claim_factuality@3"}), 404, "primitive")
    _error(api.post("/v1/projects", headers=org.headers, json={
        "name": "d", "primitive": "claim_factuality@x"}), 422, "primitive")
    _error(api.post("/v1/projects", headers=org.headers, json={
        "name": "d", "primitive": "claim_factuality", "settings": {"labels": ["a"]}}),
        422, "settings.labels")


def test_a_version_that_would_change_a_running_project_is_refused(api, make_org, foundry):
    org = make_org()
    _define(api, org, example("red_team_review"))
    _project(api, org, "red_team_review@1", name="running")
    breaking = example("red_team_review")
    breaking["version"] = 1
    breaking["answer"]["fields"][2]["maximum"] = 10
    error = _error(api.post("/v1/primitives", json=breaking, headers=org.headers), 422,
                   "answer.fields.2.maximum")
    assert "running" in error["message"]
    breaking["version"] = 5
    _error(api.post("/v1/primitives", json=breaking, headers=org.headers), 422, "version")
    assert _stored(foundry) == 1
    same = example("red_team_review")
    same["version"] = 1
    assert _define(api, org, same, status=200)["version"] == 1
    # Deleting a version in use is refused; an unused one goes.
    r = api.delete("/v1/primitives/red_team_review/versions/1", headers=org.headers)
    _error(r, 409, "version")
    breaking["version"] = 2
    assert _define(api, org, breaking)["version"] == 2
    r = api.delete("/v1/primitives/red_team_review/versions/2", headers=org.headers)
    assert r.status_code == 204, r.text
    assert [v["version"] for v in api.get("/v1/primitives/red_team_review",
                                          headers=org.headers).json()["versions"]] == [1]


BAD = [
    (lambda d: d["item"]["fields"].append({"name": "clip", "type": "video"}),
     "item.fields.4.type"),
    (lambda d: d["layout"].append({"widget": "show_text", "field": "missing"}),
     "layout.7.field"),
    (lambda d: d["answer"]["fields"][1].update(aggregation="bradley_terry"),
     "answer.fields.1.aggregation"),
    (lambda d: d["item"]["fields"].append({"name": "anything", "type": "object"}),
     "item.fields.4.fields"),
    (lambda d: d["layout"].append({"widget": "html", "text": "<script>alert(1)</script>"}),
     "layout.7.widget"),
    (lambda d: d.update(name="classify"), "name"),
]


@pytest.mark.parametrize(("change", "path"), BAD)
def test_a_bad_definition_is_422_naming_its_path_and_writes_nothing(api, make_org, foundry,
                                                                    change, path):
    org = make_org()
    definition = copy.deepcopy(example("claim_factuality"))
    change(definition)
    _error(api.post("/v1/primitives", json=definition, headers=org.headers), 422, path)
    assert _stored(foundry) == 0
    assert api.get("/v1/primitives", headers=org.headers).json() == {"data": []}


def test_another_organization_never_sees_a_customer_primitive(api, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    secret = example("red_team_review")
    secret["description"] = "acme-method-secret"
    _define(api, acme, secret)
    for path in ("/v1/primitives/red_team_review", "/v1/primitives/red_team_review/versions/1"):
        r = api.get(path, headers=globex.headers)
        _error(r, 404, "name")
        assert "acme" not in r.text.lower()
    _error(api.delete("/v1/primitives/red_team_review/versions/1", headers=globex.headers),
           404, "name")
    assert api.get("/v1/primitives", headers=globex.headers).json() == {"data": []}
    for named in ("red_team_review", "red_team_review@1"):
        r = api.post("/v1/projects", headers=globex.headers,
                     json={"name": "copy", "primitive": named})
        _error(r, 404, "primitive")
        assert "acme" not in r.text.lower()
    # A near miss of a foreign name gets no hint of it.
    r = api.post("/v1/projects", headers=globex.headers,
                 json={"name": "copy", "primitive": "red_team_reviews"})
    assert r.status_code == 404 and "red_team_review'" not in r.text
    # Globex may use the same name for its own, separate primitive.
    own = _define(api, globex, example("claim_factuality") | {"name": "red_team_review"})
    assert own["version"] == 1
    assert api.get("/v1/primitives/red_team_review/versions/1", headers=acme.headers
                   ).json()["definition"]["description"] == "acme-method-secret"
    # Acme's own typo is answered with its own name.
    r = api.post("/v1/projects", headers=acme.headers,
                 json={"name": "p", "primitive": "red_team_reviw"})
    assert "did you mean 'red_team_review'" in _error(r, 422, "primitive")["message"]


def test_every_project_route_hides_a_customer_primitive_project(api, make_org, make_worker):
    """The tenant-isolation walk of every ``/v1/projects/{project_id}`` route, on a project
    whose primitive is the first organization's own."""
    from tests.reliability.test_tenant_isolation import BODIES, CONTENT, FILES, QUERIES

    acme, globex = make_org("Acme"), make_org("Globex")
    secret = example("red_team_review")
    secret["description"] = "acme-method-secret"
    _define(api, acme, secret)
    project = _project(api, acme, "red_team_review", name="acme-secret-project")
    r = api.post(f"/v1/projects/{project['id']}/items", headers=acme.headers, json={"items": [
        {"external_id": "e1", "data": {"conversation": "acme-item-secret",
                                       "final_reply": "no"}}]})
    assert r.status_code == 200, r.text
    stranger = make_worker("stranger")
    spec = api.get("/openapi.json").json()
    walked = 0
    for template, operations in spec["paths"].items():
        if not template.startswith("/v1/projects/{project_id}"):
            continue
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            if names != {"project_id"}:
                continue
            route = (method, template)
            kwargs = {"headers": globex.headers, "params": QUERIES.get(route)}
            if route in CONTENT:
                kwargs["content"] = CONTENT[route]
            elif route in FILES:
                kwargs["files"] = FILES[route]
            elif BODIES.get(route) is not None:
                kwargs["json"] = BODIES[route]
            r = api.request(method.upper(), template.format(project_id=project["id"]), **kwargs)
            assert r.status_code in (401, 404), f"{method} {template}: {r.status_code} {r.text}"
            for marker in ("acme-method-secret", "acme-item-secret", "acme-secret-project"):
                assert marker not in r.text
            walked += 1
    assert walked >= 15
    # A contributor sees the definition only through a project they may work on.
    shown = api.get(f"/v1/projects/{project['id']}/instructions", headers=stranger.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["definition"]["description"] == "acme-method-secret"
