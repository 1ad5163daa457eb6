"""Tenant isolation: every route of the OpenAPI spec, walked with a second organization's
credentials (and a contributor who holds nothing) and the first organization's ids, answers
404 or 401 — never data, never a change. New routes are walked too: a path parameter this
test cannot fill fails it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from tests.image_files import png
from tests.reliability.helpers import create_project, upload

from datafab.services import webhooks
from datafab.store.tables import api_keys, items, leases, projects, submissions


@pytest.fixture
def settings_overrides() -> dict:
    # A contributor walks every requester route here: each is a failed authentication, more
    # than a client address may make in a second (that limit has its own tests).
    return {"rate_limit_failed_auth": 0}

MARKERS = ("acme-guideline-secret", "acme-secret-project", "acme-item-secret")
BODIES = {  # a valid body per route, so the handler itself (not validation) answers
    ("post", "/v1/projects/{project_id}/trace"):
        {"content": "a text found outside, quoted in a forum post"},
    ("patch", "/v1/projects/{project_id}"): {"name": "stolen", "guidelines": "stolen"},
    ("post", "/v1/projects/{project_id}/items"):
        {"items": [{"external_id": "x", "data": {"image_url": "https://example.org/x.jpg"}}]},
    ("post", "/v1/projects/{project_id}/candidates"): {"candidates": [{
        "external_id": "c1", "prompt": "hi",
        "responses": [{"model": "a", "content": "x", "params": {}},
                      {"model": "b", "content": "y", "params": {}}]}]},
    ("post", "/v1/projects/{project_id}/leases"): {"n": 1},
    ("post", "/v1/leases/{lease_id}/submit"): {"answer": {"label": "cat"}},
    ("post", "/v1/leases/{lease_id}/release"): {"reason": "skipped"},
    ("post", "/v1/submissions"): None,  # filled below with the first org's lease
    ("post", "/v1/projects"): {"name": "mine", "primitive": "classify", "guidelines": "g",
                               "settings": {"labels": ["a", "b"]}},
    ("post", "/v1/keys"): {"name": "mine"},
    ("post", "/v1/webhooks/endpoints"): {"url": "https://example.org/hook"},
    ("put", "/v1/projects/{project_id}/workforce"): {"max_share": 0.5},
    ("post", "/v1/projects/{project_id}/contributors/{contributor_id}/standing"):
        {"standing": "removed", "reason": "stolen"},
    ("post", "/v1/evals/sets/{set_id}/items"): {"items": [{"external_id": "x", "prompt": "x"}]},
    ("post", "/v1/evals/sets/{set_id}/runs"): {"model": "stolen"},
    ("post", "/v1/evals/runs/{run_id}/responses"): {"responses": [{"item_id": 1, "text": "x"}]},
    ("post", "/v1/evals/sets/{set_id}/judgments"):
        {"judge": "j", "judgments": [{"response_id": 1, "score": 0.5}]},
    ("post", "/v1/evals/runs/{run_id}/gaps/project"): {"slice": "domain=math"},
    ("put", "/v1/projects/{project_id}/ingest-policy"): {"redact": False},
    ("post", "/v1/projects/{project_id}/redaction-review/sample"): {"from_project": 1, "n": 5},
    ("post", "/v1/projects/{project_id}/plan/apply"): {"budget": 100},
    ("post", "/v1/projects/{project_id}/audit/{run_id}/review"): {"n": 1},
    ("post", "/v1/projects/{project_id}/select"): {"n": 1},
    ("post", "/v1/projects/{project_id}/announcements"): {"subject": "stolen", "body": "x"},
    ("post", "/v1/questions/{question_id}/answer"): {"body": "stolen"},
    ("post", "/v1/campaigns/{campaign_id}/applications"): {"answers": []},
    ("post", "/v1/campaigns/{campaign_id}/screening"): {"answers": []},
}
FILES = {("post", "/v1/projects/{project_id}/ingest"):
         {"files": ("notes.txt", b"stolen text\n", "text/plain")},
         ("post", "/v1/projects/{project_id}/media"):
         {"file": ("stolen.png", png(4, 3), "image/png")}}
QUERIES = {("post", "/v1/projects/{project_id}/import"): {"format": "hh-rlhf"},
           ("get", "/v1/evals/sets/{set_id}/judge-tasks"): {"judge": "j"},
           ("get", "/v1/projects/{project_id}/plan"): {"budget": "100"}}
CONTENT = {("post", "/v1/projects/{project_id}/import"):
           b'{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: a", '
           b'"rejected": "\\n\\nHuman: hi\\n\\nAssistant: b"}\n'}
# The project's pool is open (the default): any contributor may see it, lease from it and
# read what they need to work on it (a private pool: tests/test_confidentiality.py).
CONTRIBUTOR_POOL = {("post", "/v1/projects/{project_id}/leases"),
                    ("get", "/v1/projects/{project_id}/instructions"),
                    ("get", "/v1/me/projects"),
                    # what any contributor who may see a project reads or does about it
                    ("get", "/v1/projects/{project_id}/guidelines/pending"),
                    ("post", "/v1/projects/{project_id}/guidelines/acknowledge"),
                    ("get", "/v1/projects/{project_id}/faq"),
                    ("get", "/v1/me/projects/{project_id}/common-errors"),
                    # the stranger leased in this walk: they may ask about what they held
                    ("post", "/v1/projects/{project_id}/questions"),
                    # recruitment campaigns are the foundry's, open to every contributor
                    ("get", "/v1/campaigns/by-code/{code}"),
                    ("get", "/v1/campaigns/{campaign_id}/screening"),
                    ("post", "/v1/campaigns/{campaign_id}/applications"),
                    ("post", "/v1/campaigns/{campaign_id}/screening")}

# Operators' own routes: no organization or contributor gets past the operator token (401),
# so there is no tenant's object to hide behind a 404.
OPERATOR_ONLY = {("put", "/v1/contributors/{contributor_id}/clearance"),
                 ("get", "/v1/contributors/{contributor_id}/clearance"),
                 ("post", "/v1/disputes/{dispute_id}/resolve"),
                 ("post", "/v1/ops/projects/{project_id}/announcements"),
                 ("get", "/v1/ops/projects/{project_id}/questions"),
                 ("post", "/v1/ops/questions/{question_id}/answer"),
                 ("get", "/v1/ops/campaigns/{campaign_id}/funnel"),
                 ("get", "/v1/ops/credentials/{credential_id}/document"),
                 ("post", "/v1/ops/credentials/{credential_id}/review")}


def _state(foundry):
    with foundry.db.read() as conn:
        return {
            "projects": conn.execute(select(projects.c.id, projects.c.name,
                                            projects.c.guideline_version,
                                            projects.c.status)).all(),
            "items": conn.execute(select(func.count()).select_from(items)).scalar_one(),
            "leases": conn.execute(select(leases.c.id, leases.c.status)).all(),
            "submissions": conn.execute(select(func.count()).select_from(submissions))
            .scalar_one(),
            "keys": conn.execute(select(api_keys.c.id, api_keys.c.revoked_at)).all(),
        }


def _acme_eval(api, acme) -> dict[str, int]:
    made = api.post("/v1/evals/sets", headers=acme.headers, json={
        "name": "acme-secret-project evals",
        "items": [{"external_id": "q1", "prompt": "acme-item-secret: 2 + 2?"}]})
    assert made.status_code == 201, made.text
    run = api.post(f"/v1/evals/sets/{made.json()['id']}/runs", headers=acme.headers,
                   json={"model": "acme-model"})
    assert run.status_code == 201, run.text
    return {"set_id": made.json()["id"], "run_id": run.json()["id"]}


def _acme_messages(api, foundry, acme, holder, project_id, lease) -> dict:
    """Ids of Acme's messages and of the foundry's recruiting objects the walk tries."""
    from datafab.services.recruiting import campaigns

    question = api.post(f"/v1/projects/{project_id}/questions", headers=holder.headers,
                        json={"item_id": lease["item"]["id"], "body": "acme-item-secret?"})
    assert question.status_code == 201, question.text
    api.post(f"/v1/projects/{project_id}/announcements", headers=acme.headers,
             json={"subject": "acme-secret-project news", "body": "acme-guideline-secret"})
    message = api.get("/v1/me/messages", headers=holder.headers).json()["messages"][0]["id"]
    campaign = campaigns.create(foundry, {"name": "open campaign", "referral_code": "open"})
    credential = api.post("/v1/me/credentials", headers=holder.headers,
                          data={"skill": "medicine"},
                          files={"file": ("d.pdf", b"%PDF-1.4 acme", "application/pdf")})
    assert credential.status_code == 201, credential.text
    return {"question_id": question.json()["id"], "message_id": message,
            "campaign_id": campaign["id"], "code": "open", "dispute_id": 1,
            "credential_id": credential.json()["id"]}


def ids_submission(foundry, contributor_id: int) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(submissions.c.id)
                            .where(submissions.c.contributor_id == contributor_id)).scalar_one()


def test_every_route_hides_the_first_organization_from_the_second(api, foundry, make_org,
                                                                  make_worker):
    acme, globex = make_org("Acme"), make_org("Globex")
    project = create_project(api, acme, name="acme-secret-project",
                             guidelines="acme-guideline-secret", min_labels=2, max_labels=2)
    r = api.post(f"/v1/projects/{project['id']}/items", headers=acme.headers, json={"items": [
        {"external_id": f"e{i}", "data": {"image_url": f"https://example.org/acme-item-secret-"
                                                       f"{i}.jpg"}} for i in range(3)]})
    assert r.status_code == 200, r.text
    holder, stranger = make_worker("holder"), make_worker("stranger")
    held = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 2},
                    headers=holder.headers).json()["leases"]
    api.post(f"/v1/leases/{held[1]['id']}/submit", json={"answer": {"label": "cat"}},
             headers=holder.headers)
    lease_id = held[0]["id"]
    key_id = api.get("/v1/keys", headers=acme.headers).json()["data"][0]["id"]
    endpoint = api.post("/v1/webhooks/endpoints", headers=acme.headers,
                        json={"url": "https://example.org/acme-hook"})
    assert endpoint.status_code == 201, endpoint.text
    with foundry.db.write() as conn:
        webhooks.emit(conn, acme.id, "record.finished", "item:1", {"note": "acme-item-secret"},
                      foundry.now())
    delivery_id = api.get("/v1/webhooks/deliveries", headers=acme.headers).json()["data"][0]["id"]
    admitted = api.post("/v1/workforce/members", headers=acme.headers,
                        json={"contributor_id": holder.id})
    assert admitted.status_code == 200, admitted.text
    defined = api.post("/v1/primitives", headers=acme.headers, json={
        "name": "acme_form", "description": "acme-guideline-secret",
        "item": {"fields": [{"name": "text", "type": "text"}]},
        "answer": {"fields": [{"name": "ok", "type": "choice", "options": ["yes", "no"]}]},
        "layout": [{"widget": "show_text", "field": "text"}, {"widget": "answer", "field": "ok"}]})
    assert defined.status_code == 201, defined.text
    media = api.post(f"/v1/projects/{project['id']}/media", headers=acme.headers,
                     files={"file": ("acme.png", png(4, 3), "image/png")})
    assert media.status_code == 201, media.text
    ids = {"name": "acme_form", "version": 1, "media_id": media.json()["media_id"],
           "project_id": project["id"], "lease_id": lease_id, "key_id": key_id,
           "endpoint_id": endpoint.json()["id"], "delivery_id": delivery_id,
           "contributor_id": holder.id, **_acme_eval(api, acme),
           "item_id": api.get(f"/v1/projects/{project['id']}/items",
                              headers=acme.headers).json()["data"][0]["id"],
           **_acme_messages(api, foundry, acme, holder, project["id"], held[0])}
    bodies = {**BODIES, ("post", "/v1/submissions"):
              {"submissions": [{"lease_id": lease_id, "answer": {"label": "cat"}}]},
              ("post", "/v1/projects/{project_id}/questions"):
              {"item_id": held[0]["item"]["id"], "body": "stolen"},
              ("post", "/v1/projects/{project_id}/disputes"):
              {"submission_id": ids_submission(foundry, holder.id), "reason": "stolen"},
              ("post", "/v1/evals/sets/{set_id}/grading"):
              {"kind": "grade", "runs": [ids["run_id"]]}}
    before = _state(foundry)

    spec = api.get("/openapi.json").json()
    walked = 0
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            unknown = set(names) - set(ids)
            assert not unknown, f"{method.upper()} {template}: no id to try for {unknown}"
            path = template.format(**{n: ids[n] for n in names})
            route = (method, template)
            statuses = []
            for who, headers in (("globex", globex.headers), ("stranger", stranger.headers)):
                kwargs = {"headers": headers, "params": QUERIES.get(route)}
                if route in CONTENT:
                    kwargs["content"] = CONTENT[route]
                elif route in FILES:
                    kwargs["files"] = FILES[route]
                elif bodies.get(route) is not None:
                    kwargs["json"] = bodies[route]
                response = api.request(method.upper(), path, **kwargs)
                text = response.text
                shared = who == "stranger" and route in CONTRIBUTOR_POOL
                for marker in MARKERS if not shared else ():
                    assert marker not in text, f"{who} saw {marker} via {method} {template}"
                if names and not shared:
                    assert response.status_code in (401, 404), \
                        f"{who}: {method.upper()} {template} -> {response.status_code} {text}"
                statuses.append(response.status_code)
                walked += 1
            if route in OPERATOR_ONLY:
                assert statuses == [401, 401], f"{method.upper()} {template}: {statuses}"
            elif names and route not in CONTRIBUTOR_POOL:
                assert 404 in statuses, f"{method.upper()} {template}: {statuses}"
    assert walked >= 2 * 25

    after = _state(foundry)
    # Nothing of Acme's changed: the only new rows are Globex's own (a project, a key).
    assert [p for p in after["projects"] if p.id == project["id"]] == \
        [p for p in before["projects"] if p.id == project["id"]]
    assert dict(after["leases"])[lease_id] == "active"
    assert after["submissions"] == before["submissions"]
    assert dict(after["keys"])[key_id] is None
    # Acme's pool is Acme's alone: Globex neither saw nor dismissed its member.
    pool = api.get("/v1/workforce/members", headers=acme.headers).json()["members"]
    assert [m["contributor_id"] for m in pool] == [holder.id]
    assert api.get("/v1/workforce/members", headers=globex.headers).json() == {"members": []}
    acme_items = api.get(f"/v1/projects/{project['id']}/items", headers=acme.headers).json()
    assert len(acme_items["data"]) == 3


def test_contributors_reach_only_the_leases_they_hold(api, make_org, make_worker):
    org = make_org()
    project = create_project(api, org, min_labels=2, max_labels=2)
    upload(api, org, project, 2)
    alice, bob = make_worker("alice"), make_worker("bob")
    mine = api.post(f"/v1/projects/{project['id']}/leases", headers=alice.headers).json()
    lease = mine["leases"][0]["id"]
    for action, body in (("submit", {"answer": {"label": "cat"}}), ("renew", None),
                         ("release", None)):
        r = api.post(f"/v1/leases/{lease}/{action}", json=body, headers=bob.headers)
        assert r.status_code == 404, (action, r.text)
        assert json.dumps(mine["leases"][0]["item"]["data"]) not in r.text
    r = api.post(f"/v1/leases/{lease}/submit", json={"answer": {"label": "cat"}},
                 headers=alice.headers)
    assert r.status_code == 200
