"""API keys (shown once, hashed, prefixed, revocable, last used) and the audit log."""

from __future__ import annotations

from sqlalchemy import select
from tests.reliability.helpers import create_project, upload

from datafab.services import contributor_standing
from datafab.store.tables import api_keys, audit_log


def _audit(api, org, **params):
    r = api.get("/v1/audit", params=params, headers=org.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_a_key_is_shown_once_stored_hashed_and_revocable(api, foundry, clock, make_org):
    org = make_org()
    made = api.post("/v1/keys", json={"name": "ci"}, headers=org.headers)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key.startswith("dfk_") and len(key) > 40
    assert made.json()["prefix"] == key[:12]
    listed = api.get("/v1/keys", headers=org.headers).json()["data"]
    assert [k["name"] for k in listed] == ["default", "ci"]
    assert key not in str(listed)
    with foundry.db.read() as conn:
        rows = conn.execute(select(api_keys)).all()
    assert not any(key in str(value) for row in rows for value in row)  # only the hash

    new_headers = {"Authorization": f"Bearer {key}"}
    clock.advance(10)
    assert api.get("/v1/projects", headers=new_headers).status_code == 200
    used = {k["name"]: k for k in api.get("/v1/keys", headers=org.headers).json()["data"]}
    assert used["ci"]["last_used_at"] == clock.now
    revoked = api.post(f"/v1/keys/{made.json()['id']}/revoke", headers=org.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] == clock.now
    assert api.get("/v1/projects", headers=new_headers).status_code == 401

    entries = _audit(api, org)
    assert [e["action"] for e in entries] == ["api_key.created", "api_key.created",
                                              "api_key.revoked"]
    assert entries[1]["actor"] == f"api key {org.key[:12]}"
    assert entries[2]["target"] == f"api_key:{made.json()['id']}"
    assert key not in str(entries) and org.key not in str(entries)


def test_another_organizations_key_cannot_be_revoked(api, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    theirs = api.get("/v1/keys", headers=acme.headers).json()["data"][0]["id"]
    r = api.post(f"/v1/keys/{theirs}/revoke", headers=globex.headers)
    assert r.status_code == 404
    assert api.get("/v1/projects", headers=acme.headers).status_code == 200


def test_settings_changes_exports_and_removals_are_logged(api, foundry, make_org, make_worker):
    acme, globex = make_org("Acme"), make_org("Globex")
    project = create_project(api, acme)
    upload(api, acme, project, 2)
    r = api.patch(f"/v1/projects/{project['id']}",
                  json={"guidelines": "Pick the animal you see.", "policy": {"min_labels": 1}},
                  headers=acme.headers)
    assert r.status_code == 200, r.text
    assert api.get(f"/v1/projects/{project['id']}/export", headers=acme.headers).status_code \
        == 200
    changed = _audit(api, acme, action="project.updated")
    assert len(changed) == 1
    assert changed[0]["details"] == {"fields": ["guidelines", "policy"]}
    assert changed[0]["target"] == f"project:{project['id']}"
    exported = _audit(api, acme, action="project.exported")
    assert exported[0]["details"]["format"] == "records"
    assert _audit(api, globex) == [e for e in _audit(api, globex)
                                   if e["action"] == "api_key.created"]  # none of Acme's

    worker = make_worker()
    contributor_standing.set_status(foundry, worker.id, "removed")
    with foundry.db.read() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action ==
                                                   "contributor.removed")).one()
    assert row.actor == "operator" and row.target == f"contributor:{worker.id}"


def test_the_audit_log_is_read_only(api, make_org):
    org = make_org()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)("/v1/audit", headers=org.headers).status_code == 405


def test_the_last_working_key_cannot_be_revoked(api, make_org):
    org = make_org()
    first = api.get("/v1/keys", headers=org.headers).json()["data"][0]["id"]
    refused = api.post(f"/v1/keys/{first}/revoke", headers=org.headers)
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "key_id"
    assert api.get("/v1/projects", headers=org.headers).status_code == 200
    assert [e["action"] for e in _audit(api, org)] == ["api_key.created"]
    made = api.post("/v1/keys", json={"name": "ci"}, headers=org.headers).json()
    assert api.post(f"/v1/keys/{first}/revoke", headers=org.headers).status_code == 200
    ci = {"Authorization": f"Bearer {made['key']}"}
    again = api.post(f"/v1/keys/{made['id']}/revoke", headers=ci)
    assert again.status_code == 409
    assert api.get("/v1/projects", headers=ci).status_code == 200
