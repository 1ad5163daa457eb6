"""Usage metering, invoices and the budget stop, through services and the REST API, on both
databases; the model worker's token usage is metered too."""

from __future__ import annotations

from sqlalchemy import func, select

from datafab.services import billing, exports, items, projects, work, workforce
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import usage_events, webhook_events


def _project(foundry, org, n=10, name="p"):
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]}})
    items.upload_items(foundry, org.id, project.id,
                       [{"external_id": f"i{i}", "data": {"text": f"t{i}"}} for i in range(n)])
    return project


def test_the_budget_stops_leasing_and_the_api_says_so(foundry, api, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    assert api.put("/v1/price-sheet", headers=org.headers, json={
        "currency": "usd", "task_minor": 120, "per_1k_tokens_minor": 3}).status_code == 200
    put = api.put(f"/v1/projects/{project.id}/workforce", headers=org.headers,
                  json={"budget_minor": 300})
    assert put.status_code == 200 and put.json()["budget_minor"] == 300
    assert put.json()["spent_minor"] == 0 and put.json()["reserved_minor"] == 0
    first, second = make_worker("first"), make_worker("second")

    def lease(worker, n):
        got = api.post(f"/v1/projects/{project.id}/leases", headers=worker.headers,
                       json={"n": n})
        assert got.status_code == 200
        return got.json()

    def budget():
        return api.get(f"/v1/projects/{project.id}/budget", headers=org.headers).json()

    # 300 pays for two tasks at 120: the batch is cut to two, which hold 240 of it
    got = lease(first, 5)
    assert got["state"] == "open" and len(got["leases"]) == 2
    assert budget() == {"project_id": project.id, "currency": "USD", "budget_minor": 300,
                        "spent_minor": 0, "reserved_minor": 240, "state": "budget_reserved"}
    held = lease(second, 1)
    assert held["leases"] == [] and held["state"] == "budget_reserved"
    assert "held by leases out" in held["reason"]
    # an answer turns its reservation into spend; a lease handed back frees its share
    kept, handed_back = got["leases"]
    api.post(f"/v1/leases/{kept['id']}/submit", headers=first.headers,
             json={"answer": {"label": "yes"}})
    api.post(f"/v1/leases/{handed_back['id']}/release", headers=first.headers, json={})
    assert budget()["spent_minor"] == 120 and budget()["reserved_minor"] == 0
    assert budget()["state"] == "open"
    (last,) = lease(second, 5)["leases"]
    api.post(f"/v1/leases/{last['id']}/submit", headers=second.headers,
             json={"answer": {"label": "no"}})
    # 60 left pays for no task: the budget is reached, never passed
    stopped = lease(first, 5)
    assert stopped["leases"] == [] and stopped["state"] == "budget_reached"
    assert "budget" in stopped["reason"]
    assert budget() == {"project_id": project.id, "currency": "USD", "budget_minor": 300,
                        "spent_minor": 240, "reserved_minor": 0, "state": "budget_reached"}
    # the organization hears of it once, through its webhook outbox
    with foundry.db.read() as conn:
        events = conn.execute(select(webhook_events.c.payload).where(
            webhook_events.c.organization_id == org.id,
            webhook_events.c.type == "budget.reached")).scalars().all()
    assert events == [{"project_id": project.id, "budget_minor": 300, "spent_minor": 240}]
    # raising the budget opens leasing again
    api.put(f"/v1/projects/{project.id}/workforce", headers=org.headers,
            json={"budget_minor": 1000})
    again = lease(first, 1)
    assert again["state"] == "open" and len(again["leases"]) == 1


def test_invoices_sum_to_the_metered_usage(foundry, make_org, make_worker, clock):
    org, other = make_org("a"), make_org("b")
    project = _project(foundry, org)
    theirs = _project(foundry, other, name="theirs")
    sheet = billing.set_price_sheet(foundry, org.id, {
        "currency": "EUR", "task_minor": 50, "per_1k_tokens_minor": 7, "export_minor": 200})
    start = clock.now
    human = authenticate_contributor(foundry, make_worker("h").token)
    model = authenticate_contributor(foundry, make_worker("m", kind="model").token)
    for lease in work.lease_items(foundry, human, project.id, 4):
        work.submit(foundry, human, lease.id, {"answer": {"label": "yes"}})
    leased = work.lease_items(foundry, model, project.id, 3)
    for lease in leased[:2]:
        work.submit(foundry, model, lease.id, {"answer": {"label": "no"}, "confidence": 0.7,
                                               "usage": {"model": "m", "prompt_tokens": 1234,
                                                         "completion_tokens": 56}})
    work.release_lease(foundry, model, leased[2].id, {
        "reason": "malformed", "usage": {"model": "m", "prompt_tokens": 900}})
    list(exports.export_rows(foundry, org.id, project.id, "records", include_open=True))
    other_worker = authenticate_contributor(foundry, make_worker("o").token)
    for lease in work.lease_items(foundry, other_worker, theirs.id, 2):
        work.submit(foundry, other_worker, lease.id, {"answer": {"label": "yes"}})
    clock.advance(10)

    metered = billing.usage(foundry, org.id, start, clock.now)
    assert metered == {"task": 6, "model_tokens": 2 * 1290 + 900, "export": 1}
    invoice = billing.create_invoice(foundry, org.id, start, clock.now)
    lines = {line["kind"]: line for line in invoice["lines"]}
    assert {k: v["quantity"] for k, v in lines.items()} == metered
    expected = sum(sheet.price(kind, q) for kind, q in metered.items())
    assert invoice["total_minor"] == expected == 6 * 50 + -(-3480 * 7 // 1000) + 200
    assert invoice["total_minor"] == sum(line["amount_minor"] for line in invoice["lines"])
    assert invoice["currency"] == "EUR"
    # every event is on exactly one invoice; a second run finds nothing left to bill
    again = billing.create_invoice(foundry, org.id, start, clock.now)
    assert again["lines"] == [] and again["total_minor"] == 0
    with foundry.db.read() as conn:
        unbilled = conn.execute(select(func.count()).select_from(usage_events).where(
            usage_events.c.organization_id == org.id,
            usage_events.c.invoice_id.is_(None))).scalar_one()
    assert unbilled == 0
    assert billing.usage(foundry, other.id, start, clock.now) == {"task": 2}
    assert [i["id"] for i in billing.list_invoices(foundry, org.id)] == [invoice["id"],
                                                                          again["id"]]


def test_invoice_and_workforce_api_keep_to_the_organization(api, foundry, make_org):
    org, other = make_org("a"), make_org("b")
    project = _project(foundry, org)
    assert api.get(f"/v1/projects/{project.id}/workforce",
                   headers=other.headers).status_code == 404
    assert api.put(f"/v1/projects/{project.id}/workforce", headers=other.headers,
                   json={}).status_code == 404
    bad = api.put(f"/v1/projects/{project.id}/workforce", headers=org.headers,
                  json={"pay": {"per_task_minor": 1.5}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "pay.per_task_minor"
    bad = api.put(f"/v1/projects/{project.id}/workforce", headers=org.headers,
                  json={"requirements": [{"kind": "language", "name": "klingon"}]})
    assert bad.status_code == 422 and "requirements.0" in bad.json()["error"]["field"]
    assert api.get(f"/v1/projects/{project.id}/workforce",
                   headers=org.headers).status_code == 404  # nothing was written
    made = api.post("/v1/invoices", headers=org.headers, json={"start": 0, "end": 1e10})
    assert made.status_code == 200 and made.json()["total_minor"] == 0
    assert api.get("/v1/invoices", headers=other.headers).json() == {"invoices": []}
    assert api.post("/v1/invoices", headers=org.headers,
                    json={"start": 5, "end": 1}).status_code == 422
    assert api.post("/v1/payouts", headers=org.headers,
                    json={"start": 0, "end": 1}).status_code == 401


def test_operators_run_payouts_over_the_api(api, foundry, make_org, make_worker, clock):
    foundry.settings.operator_token = "ops-secret"
    org = make_org()
    project = _project(foundry, org, n=3)
    workforce.set_policy(foundry, org.id, project.id, {"pay": {"per_task_minor": 75}})
    worker = make_worker()
    start = clock.now
    for lease in api.post(f"/v1/projects/{project.id}/leases", headers=worker.headers,
                          json={"n": 3}).json()["leases"]:
        api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                 json={"answer": {"label": "yes"}})
    mine = api.get("/v1/me/earnings", headers=worker.headers).json()
    assert mine["balance"] == {"USD": {"earned_minor": 225, "unpaid_minor": 225}}
    assert len(mine["ledger"]) == 3
    ops = {"Authorization": "Bearer ops-secret"}
    clock.advance(1)
    run = api.post("/v1/payouts", headers=ops, json={"start": start, "end": clock.now}).json()
    assert [p["amount_minor"] for p in run["payouts"]] == [225]
    listed = api.get("/v1/payouts", headers=ops, params={"contributor_id": worker.id}).json()
    assert listed["payouts"][0]["n_entries"] == 3
    after = api.get("/v1/me/earnings", headers=worker.headers).json()
    assert after["balance"]["USD"]["unpaid_minor"] == 0 and len(after["payouts"]) == 1
