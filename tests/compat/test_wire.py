"""The Scale-compatible API's wire details, in process: Basic auth, Scale's error shape and
status codes, parameter errors that name the parameter and write nothing."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from datafab.store.tables import items, scale_tasks

API = "/compat/scale/v1"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _error(response, status: int, words: str = "") -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and words in body["error"], body
    return body["error"]


@pytest.fixture
def acme(api, make_org):
    org = make_org()
    h = _auth(org.key)
    r = api.post(f"{API}/projects", json={"type": "categorization", "name": "pets",
                                          "params": {"instruction": "Pick one."}}, headers=h)
    assert r.status_code == 200, r.text
    return org, h


def test_basic_auth_and_errors_in_scales_shape(api, acme):
    _, h = acme
    _error(api.get(f"{API}/projects"), 401, "Basic")
    _error(api.get(f"{API}/projects", headers=_auth("dfk_nope")), 401)
    _error(api.get(f"{API}/projects", headers={"Authorization": "Basic !!!"}), 401)
    assert [p["name"] for p in api.get(f"{API}/projects", headers=h).json()] == ["pets"]
    _error(api.get(f"{API}/projects/nope", headers=h), 404, "nope")
    _error(api.post(f"{API}/projects", content=b"{bad", headers=h), 400, "malformed JSON")
    _error(api.post(f"{API}/projects", json={"type": "lidarannotation", "name": "x"},
                    headers=h), 402, "lidarannotation")
    _error(api.post(f"{API}/projects", json={"type": "categorization", "name": ""},
                    headers=h), 400, "name")


@pytest.mark.parametrize(("body", "words"), [
    ({"attachment": "x"}, "categories"),
    ({"attachment": "x", "categories": ["only"]}, "categories"),
    ({"categories": ["a", "b"]}, "attachment"),
    ({"attachment": "x", "categories": ["a", "b"], "callback_url": "mailto:x@y.z"},
     "callback_url"),
    ({"attachment": "x", "categories": ["a", "b"], "unique_id": 7}, "unique_id"),
    ({"attachment": "x", "categories": ["a", "b"], "colour": "red"}, "colour"),
    ({"attachment": "x", "categories": ["a", "b"], "batch": "missing"}, "batch"),
])
def test_bad_tasks_name_the_parameter_and_write_nothing(api, foundry, acme, body, words):
    _, h = acme
    _error(api.post(f"{API}/task/categorization", json={"project": "pets", **body},
                    headers=h), 404 if words == "batch" else 400, words)
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(scale_tasks)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 0


def test_tasks_list_parameters(api, acme):
    _, h = acme
    for i in range(3):
        r = api.post(f"{API}/task/categorization", headers=h, json={
            "project": "pets", "attachment": f"pet {i}", "categories": ["cat", "dog"],
            "unique_id": f"u{i}"})
        assert r.status_code == 200, r.text
    _error(api.get(f"{API}/tasks", params={"limit": 0}, headers=h), 400, "limit")
    _error(api.get(f"{API}/tasks", params={"next_token": "garbage"}, headers=h), 400)
    _error(api.get(f"{API}/tasks", params={"status": "done"}, headers=h), 400, "status")
    _error(api.get(f"{API}/tasks", params={"start_time": "2026-01-01"}, headers=h), 400,
           "start_time")
    both = api.get(f"{API}/tasks", params=[("unique_id", "u0"), ("unique_id", "u2")],
                   headers=h).json()
    assert sorted(d["unique_id"] for d in both["docs"]) == ["u0", "u2"]
    pending = api.get(f"{API}/tasks", params={"status": "pending", "project": "pets"},
                      headers=h).json()
    assert pending["total"] == 3 and pending["has_more"] is False
    assert pending["next_token"] is None


def test_cancel_and_audit_rules(api, acme):
    _, h = acme
    task = api.post(f"{API}/task/categorization", headers=h, json={
        "project": "pets", "attachment": "x", "categories": ["cat", "dog"],
        "unique_id": "once"}).json()
    _error(api.post(f"{API}/task/{task['task_id']}/audit", json={"accepted": True},
                    headers=h), 400, "not completed")
    canceled = api.post(f"{API}/task/{task['task_id']}/cancel",
                        params={"clear_unique_id": "true"}, headers=h).json()
    assert canceled["status"] == "canceled" and canceled["unique_id"] is None
    again = api.post(f"{API}/task/categorization", headers=h, json={
        "project": "pets", "attachment": "y", "categories": ["cat", "dog"],
        "unique_id": "once"})
    assert again.status_code == 200, again.text  # the unique_id was freed
