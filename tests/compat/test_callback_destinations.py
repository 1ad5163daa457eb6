"""A Scale task's ``callback_url`` follows the webhook rule: a non-public address is refused
with the client's 400 naming the parameter (nothing written); a name resolving to one is
refused at delivery, the task's ``callback_succeeded`` turning false."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select
from tests.webhooks.receiver import FakeDNS, Receiver

from datafab.services.webhooks import Deliverer
from datafab.store.tables import items, scale_batches, scale_tasks, webhook_deliveries

API = "/compat/scale/v1"
SETTING = "DATAFAB_WEBHOOK_ALLOWED_NETWORKS"


@pytest.fixture
def scale(api, make_org):
    org = make_org()
    headers = {"Authorization": "Basic " + base64.b64encode(f"{org.key}:".encode()).decode()}
    r = api.post(f"{API}/projects", json={"type": "categorization", "name": "pets"},
                 headers=headers)
    assert r.status_code == 200, r.text
    return headers


def _task(api, headers, **extra):
    return api.post(f"{API}/task/categorization", headers=headers, json={
        "project": "pets", "attachment": "a tabby", "categories": ["cat", "dog"], **extra})


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/", "http://127.0.0.1:8000/done",
    "http://localhost/done", "http://[::1]:8080/done", "http://10.0.0.8/done",
    "http://[fe80::1]/done",
])
def test_a_non_public_callback_url_is_refused(api, foundry, scale, url):
    r = _task(api, scale, callback_url=url, unique_id="t1")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status_code"] == 400
    assert body["error"].startswith("callback_url: ") and SETTING in body["error"]
    assert _count(foundry, scale_tasks) == 0 and _count(foundry, items) == 0
    r = api.post(f"{API}/batches", headers=scale,
                 json={"name": "b", "project": "pets", "callback": url})
    assert r.status_code == 400 and r.json()["error"].startswith("callback: "), r.text
    assert _count(foundry, scale_batches) == 0


def test_a_callback_name_resolving_to_loopback_is_refused_at_delivery(
        api, foundry, scale, make_worker, monkeypatch):
    dns = FakeDNS(monkeypatch)
    with Receiver() as receiver:
        receiver.up()
        dns.add("ml.test", ["127.0.0.1"])
        r = _task(api, scale, callback_url=f"http://ml.test:{receiver.port}/hook")
        assert r.status_code == 200, r.text
        task_id = r.json()["task_id"]
        project_id = api.get(f"{API}/projects/pets", headers=scale).json()[
            "datafab_project_id"]
        worker = make_worker()
        (lease,) = api.post(f"/v1/projects/{project_id}/leases", json={"n": 1},
                            headers=worker.headers).json()["leases"]
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "cat"}},
                     headers=worker.headers)
        assert r.status_code == 200, r.text
        deliverer = Deliverer(foundry)
        try:
            assert deliverer.drain() == 0
        finally:
            deliverer.stop()
        assert receiver.received == []
    task = api.get(f"{API}/task/{task_id}", headers=scale).json()
    assert task["status"] == "completed" and task["callback_succeeded"] is False
    d = webhook_deliveries
    with foundry.db.read() as conn:
        (row,) = conn.execute(select(d.c.status, d.c.last_error).where(
            d.c.body.is_not(None))).all()
    assert row.status == "failed"
    assert row.last_error.startswith("refused: ml.test resolves to 127.0.0.1")
