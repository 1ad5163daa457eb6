"""The key, audit, ingest and contributor-value routes declare what they answer (a named
schema in ``/openapi.json``), and the answers are, character for character, what their
services return. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from datafab.api import contributor_value, ingest, keys
from datafab.services import accounts, audit
from datafab.services import ingest as ingesting


def _text(value) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("router", [keys.router, contributor_value.router, ingest.router])
def test_every_route_has_a_named_response_schema(api, router):
    spec = api.get("/openapi.json").json()
    for route in router.routes:
        operation = spec["paths"][route.path][next(iter(route.methods)).lower()]
        code = str(route.status_code or 200)
        schema = operation["responses"][code]["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[1]
        assert spec["components"]["schemas"][name]["properties"], route.path


def test_key_and_audit_answers_are_what_the_services_return(foundry, api, make_org):
    org = make_org("Keys Lab")
    made = api.post("/v1/keys", headers=org.headers, json={"name": "ci"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    assert set(made.json()) == {"id", "name", "prefix", "created_at", "last_used_at",
                                "revoked_at", "key"}
    assert made.json()["revoked_at"] is None and made.json()["key"].startswith("dfk_")
    listed = api.get("/v1/keys", headers=org.headers)
    assert _text(listed.json()) == _text({"data": accounts.list_api_keys(foundry, org.id)})
    revoked = api.post(f"/v1/keys/{made.json()['id']}/revoke", headers=org.headers)
    assert revoked.status_code == 200
    after = next(k for k in accounts.list_api_keys(foundry, org.id)
                 if k["id"] == made.json()["id"])
    assert _text(revoked.json()) == _text(after) and after["revoked_at"] is not None
    page = api.get("/v1/audit", headers=org.headers, params={"limit": 1})
    entries, cursor = audit.entries(foundry, org.id, limit=1)
    assert _text(page.json()) == _text({"data": entries, "next_cursor": cursor})
    assert cursor is not None and entries[0]["action"]


def test_ingest_answers_are_what_the_services_return(foundry, api, make_org):
    org = make_org("Ingest Lab")
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]}}
    ).json()["id"]
    assert api.put("/v1/organization/originals", headers=org.headers,
                   json={"keep": True}).json() == {"keep": True}
    text = "Write to ada@example.org about the rota."
    files = [("files", ("t.jsonl", json.dumps({"text": text}) + "\n", "text/plain")),
             ("files", ("bad.csv", "a,b\n1,2,3\n", "text/csv"))]
    made = api.post(f"/v1/projects/{pid}/ingest", headers=org.headers, files=files)
    assert made.status_code == 200, made.text
    report = made.json()
    assert report["errors"] == [{"file": "bad.csv", "line": 2,
                                 "message": "3 fields where the header has 2"}]
    runs = api.get(f"/v1/projects/{pid}/ingest-runs", headers=org.headers).json()
    assert _text(runs) == _text({"data": ingesting.list_runs(foundry, org.id, pid)})
    assert _text(runs["data"][0]["report"]) == _text(report)
    policy = api.get(f"/v1/projects/{pid}/ingest-policy", headers=org.headers).json()
    assert _text(policy) == _text(ingesting.get_policy(foundry, org.id, pid).model_dump())
    item_id = api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"][0]["id"]
    original = api.get(f"/v1/items/{item_id}/original", headers=org.headers).json()
    assert _text(original) == _text(ingesting.get_original(foundry, org.id, item_id))
    assert original["text"] == text
