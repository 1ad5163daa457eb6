"""The project, work, workforce and webhook routes answer, byte for byte, what their services
return now that each declares a response model: the same keys, in the same order (even where
PostgreSQL's JSONB chose the order of a stored policy or invoice), the same numbers. On SQLite
and PostgreSQL."""

from __future__ import annotations

import json

from datafab.api.projects import project_json
from datafab.services import billing, effort, items, projects, quality, records, webhooks, workforce
from datafab.services.accounts import authenticate_contributor


def _wire(value) -> str:
    """The bytes FastAPI's JSONResponse writes for ``value``."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":"))


def _line(api, org, worker):
    made = api.post("/v1/projects", headers=org.headers, json={
        "name": "answers", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    up = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"i{i}", "data": {"text": f"t{i}"}} for i in range(4)]})
    assert up.text == '{"created":4,"unchanged":0}'
    leased = api.post(f"/v1/projects/{pid}/leases", headers=worker.headers, json={"n": 4})
    assert leased.status_code == 200, leased.text
    for lease in leased.json()["leases"]:
        done = api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                        json={"answer": {"label": "yes"}, "seconds_spent": 2})
        assert done.status_code == 200, done.text
        assert list(done.json()) == ["submission_id", "lease_id", "item_id", "item_done"]
    return pid


def test_project_answers_are_what_the_services_return(foundry, api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    pid = _line(api, org, worker)
    page, cursor = projects.list_projects(foundry, org.id, cursor=None, limit=100)
    listed = api.get("/v1/projects", headers=org.headers)
    assert listed.text == _wire({"data": [project_json(p) for p in page], "next_cursor": cursor})
    assert api.get(f"/v1/projects/{pid}/progress", headers=org.headers).text == _wire(
        projects.progress(foundry, org.id, pid))
    got, _ = items.list_items(foundry, org.id, pid, cursor=None, limit=100)
    assert api.get(f"/v1/projects/{pid}/items", headers=org.headers).text == _wire(
        {"data": got, "next_cursor": None})
    kept, _ = records.list_records(foundry, org.id, pid, cursor=None, limit=100)
    assert kept and api.get(f"/v1/projects/{pid}/records", headers=org.headers).text == _wire(
        {"data": kept, "next_cursor": None})
    assert api.get(f"/v1/projects/{pid}/quality", headers=org.headers).text == _wire(
        quality.summary(foundry, org.id, pid))
    assert api.get(f"/v1/projects/{pid}/effort", headers=org.headers).text == _wire(
        effort.effort(foundry, org.id, pid, bucket_seconds=86_400))


def test_workforce_answers_keep_the_stored_order(foundry, api, make_org, make_worker):
    """The policy's keys come from stored JSON (JSONB orders them on PostgreSQL): the answer
    keeps the service's order, not the model's."""
    org, worker = make_org(), make_worker()
    pid = _line(api, org, worker)
    put = api.put(f"/v1/projects/{pid}/workforce", headers=org.headers, json={
        "budget_minor": 500, "pay": {"per_task_minor": 5}, "max_share": 0.5,
        "performance": {"min_accuracy": 0.9, "min_gold": 3}})
    assert put.status_code == 200, put.text
    stored = workforce.get_policy(foundry, org.id, pid)
    assert put.text == _wire(stored)
    assert api.get(f"/v1/projects/{pid}/workforce", headers=org.headers).text == _wire(stored)
    assert api.put("/v1/price-sheet", headers=org.headers,
                   json={"task_minor": 7}).status_code == 200
    invoice = api.post("/v1/invoices", headers=org.headers, json={"start": 0, "end": 1e10})
    assert invoice.status_code == 200 and invoice.json()["lines"], invoice.text
    assert api.get("/v1/invoices", headers=org.headers).text == _wire(
        {"invoices": billing.list_invoices(foundry, org.id)})
    standings = [s.to_dict() for s in workforce.standings(foundry, org.id, pid)]
    assert api.get(f"/v1/projects/{pid}/contributors", headers=org.headers).text == _wire(
        {"contributors": standings})
    assert api.get(f"/v1/projects/{pid}/budget", headers=org.headers).text == _wire(
        billing.budget(foundry, org.id, pid))
    who = authenticate_contributor(foundry, worker.token)
    me = api.get("/v1/me", headers=worker.headers)
    assert me.text == _wire({"id": who.id, "name": who.name, "kind": who.kind,
                             "skills": who.skills, "status": who.status})


def test_webhook_answers_are_what_the_services_return(foundry, api, make_org):
    org = make_org()
    made = api.post("/v1/webhooks/endpoints", headers=org.headers,
                    json={"url": "https://hooks.example.org/in", "events": ["record.finished"]})
    assert made.status_code == 201, made.text
    assert api.get("/v1/webhooks/endpoints", headers=org.headers).text == _wire(
        {"data": webhooks.list_endpoints(foundry, org.id)})
    assert list(made.json()) == ["id", "url", "events", "active", "created_at"]


def test_earnings_of_an_erased_project_still_answer(foundry, api, make_org, make_worker):
    """The pay ledger keeps an erased project's amounts with no project: the schema allows
    it, so the contributor's earnings answer instead of failing validation."""
    org, worker = make_org(), make_worker()
    made = api.post("/v1/projects", headers=org.headers, json={
        "name": "paid", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    pid = made.json()["id"]
    assert api.put(f"/v1/projects/{pid}/workforce", headers=org.headers,
                   json={"pay": {"per_task_minor": 9}}).status_code == 200
    api.post(f"/v1/projects/{pid}/items", headers=org.headers,
             json={"items": [{"external_id": "a", "data": {"text": "a"}}]})
    (lease,) = api.post(f"/v1/projects/{pid}/leases", headers=worker.headers,
                        json={"n": 1}).json()["leases"]
    api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
             json={"answer": {"label": "yes"}})
    assert api.delete(f"/v1/projects/{pid}", headers=org.headers).status_code == 200
    earned = api.get("/v1/me/earnings", headers=worker.headers)
    assert earned.status_code == 200, earned.text
    (entry,) = earned.json()["ledger"]
    assert entry["project_id"] is None and entry["amount_minor"] == 9
