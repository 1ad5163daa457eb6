"""The submit as one pipeline: a batch costs the statements of one answer (set-based
steps), and the outbox's subscribers that an organization does not have cost nothing —
known from a cached fact that creating an endpoint or a Scale task with a callback clears."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from datafab.services import items, projects, webhooks, work
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import webhook_deliveries, webhook_events


@contextmanager
def _statements(foundry) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block (an executemany once)."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(foundry.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(foundry.db.engine, "before_cursor_execute", note)


def _project(foundry, org, n_items: int):
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n_items)])
    return project


def _submit(foundry, who, project, n: int) -> list[str]:
    leases = work.lease_items(foundry, who, project.id, n)
    assert len(leases) == n
    with _statements(foundry) as sent:
        receipts = work.submit_many(foundry, who, [
            {"lease_id": lease.id, "answer": {"label": "a"}} for lease in leases])
    assert all(r.item_done for r in receipts) and len(receipts) == n
    return sent


def _deliveries(foundry, org_id: int) -> list[str]:
    with foundry.db.read() as conn:
        return list(conn.execute(select(webhook_deliveries.c.url).where(
            webhook_deliveries.c.organization_id == org_id)
            .order_by(webhook_deliveries.c.id)).scalars())


def test_a_batch_of_ten_costs_the_statements_of_one_answer(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, 40)
    who = authenticate_contributor(foundry, make_worker().token)
    _submit(foundry, who, project, 1)  # warms the moment caches (project, audience, prior)
    one = _submit(foundry, who, project, 1)
    ten = _submit(foundry, who, project, 10)
    # Every step is one statement for the whole batch, the voters' skills included (read
    # once for the batch by services.quality, not once per item).
    skills = [s for s in ten if "FROM contributor_skills" in s and s.startswith("SELECT")]
    assert len(skills) == 1
    assert len(ten) == len(one), "\n".join(ten)
    # every finished record is still announced, in one insert for the batch
    with foundry.db.read() as conn:
        n_events = conn.execute(select(func.count()).select_from(webhook_events).where(
            webhook_events.c.type == "record.finished")).scalar_one()
    assert n_events == 12


def test_no_endpoint_no_scale_task_no_query_for_them(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, 10)
    who = authenticate_contributor(foundry, make_worker().token)
    _submit(foundry, who, project, 2)
    sent = _submit(foundry, who, project, 3)
    asked = [s for s in sent if "webhook_endpoints" in s or "scale_tasks" in s
             or "webhook_deliveries" in s]
    assert asked == []
    assert _deliveries(foundry, org.id) == []


def test_an_endpoint_made_after_the_fact_was_cached_gets_the_next_events(
        foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, 10)
    who = authenticate_contributor(foundry, make_worker().token)
    _submit(foundry, who, project, 2)  # the organization has no endpoint: cached
    endpoint = webhooks.create_endpoint(foundry, org.id, {
        "url": "https://hooks.example.org/in", "events": ["record.finished"]})
    _submit(foundry, who, project, 3)
    assert _deliveries(foundry, org.id) == ["https://hooks.example.org/in"] * 3
    webhooks.delete_endpoint(foundry, org.id, endpoint["id"])
    _submit(foundry, who, project, 2)
    assert len(_deliveries(foundry, org.id)) == 3  # nothing new for a deleted endpoint


def test_a_scale_task_with_a_callback_made_after_the_fact_was_cached_gets_its_callback(
        api, foundry, make_org, make_worker):
    org, worker = make_org(), make_worker()
    scale = {"Authorization": "Basic " + base64.b64encode(f"{org.key}:".encode()).decode()}
    base = "/compat/scale/v1"
    assert api.post(f"{base}/projects", json={"type": "categorization", "name": "pets"},
                    headers=scale).status_code == 200

    def task_done(**extra) -> None:
        r = api.post(f"{base}/task/categorization", headers=scale, json={
            "project": "pets", "attachment": "a tabby", "categories": ["cat", "dog"],
            **extra})
        assert r.status_code == 200, r.text
        project_id = api.get(f"{base}/projects/pets", headers=scale).json()[
            "datafab_project_id"]
        (lease,) = api.post(f"/v1/projects/{project_id}/leases", json={"n": 1},
                            headers=worker.headers).json()["leases"]
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "cat"}},
                     headers=worker.headers)
        assert r.status_code == 200 and r.json()["item_done"], r.text

    task_done()  # no task has a callback: cached
    assert _deliveries(foundry, org.id) == []
    task_done(callback_url="https://hooks.example.org/done")
    assert _deliveries(foundry, org.id) == ["https://hooks.example.org/done"]
