"""Webhooks: the outbox is written with the change, deliveries survive a receiver that is
down and then failing, arrive in order per item, signed; the log reads and replays."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.webhooks.receiver import Receiver

from datafab.services import webhooks
from datafab.services.webhooks import Deliverer
from datafab.store.tables import webhook_deliveries, webhook_events

LABELS = ["cat", "dog"]


def _project(api, org, n_items):
    body = {"name": "pets", "primitive": "classify", "settings": {"labels": LABELS},
            "policy": {"min_labels": 1, "max_labels": 1}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    items = [{"external_id": f"i{i}", "data": {"text": f"pet {i}"}} for i in range(n_items)]
    r = api.post(f"/v1/projects/{project['id']}/items", json={"items": items},
                 headers=org.headers)
    assert r.status_code == 200, r.text
    return project


def _work(api, worker, project, n):
    leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": n},
                      headers=worker.headers).json()["leases"]
    for lease in leases:
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "cat"}},
                     headers=worker.headers)
        assert r.status_code == 200, r.text
    return leases


@pytest.mark.parametrize("url,field", [
    ("ftp://example.org/x", "url"), ("not a url", "url"), ("http:///nohost", "url"),
    ("http://user:pw@example.org/", "url"), ("http://example.org/" + "x" * 2100, "url"),
    ("http://exa mple.org/", "url"),
])
def test_endpoint_urls_are_validated(api, make_org, url, field):
    org = make_org()
    r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    r = api.post("/v1/webhooks/endpoints", json={"url": "https://x.org/h", "events": ["nope"]},
                 headers=org.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "events.0"
    assert api.get("/v1/webhooks/endpoints", headers=org.headers).json() == {"data": []}


def test_outbox_rolls_back_with_the_change(foundry, make_org):
    org = make_org()
    with pytest.raises(RuntimeError), foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:1", {"spent": 10}, foundry.now())
        raise RuntimeError("the change failed")
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_events)).scalar() == 0


def test_receiver_down_then_up_gets_every_event_in_order_signed(
        api, foundry, clock, make_org, make_worker):
    org, other = make_org("Acme"), make_org("Other")
    worker = make_worker()
    with Receiver() as receiver:
        r = api.post("/v1/webhooks/endpoints", json={"url": receiver.url}, headers=org.headers)
        assert r.status_code == 201, r.text
        endpoint = r.json()
        secret = api.get("/v1/webhooks/secret", headers=org.headers).json()["secret"]
        assert secret.startswith("whsec_")
        n = 6
        project = _project(api, org, n)
        # Each item gets a "before" event, then its record finishes, then an "after" event:
        # three events per item that must reach the receiver in this order.
        items = api.get(f"/v1/projects/{project['id']}/items", headers=org.headers).json()
        ids = [it["id"] for it in items["data"]]
        for item_id in ids:
            with foundry.db.write() as conn:
                webhooks.emit(conn, org.id, "budget.reached", f"item:{item_id}",
                              {"step": "before", "item_id": item_id}, clock())
        _work(api, worker, project, n)
        for item_id in ids:
            with foundry.db.write() as conn:
                webhooks.emit(conn, org.id, "budget.reached", f"item:{item_id}",
                              {"step": "after", "item_id": item_id}, clock())

        deliverer = Deliverer(foundry)
        try:
            # Down: every head of chain fails and is put off with a growing wait.
            for _ in range(4):
                attempts = deliverer.run_once()
                assert attempts and not any(a.ok for a in attempts)
                clock.advance(3600)
            log = api.get("/v1/webhooks/deliveries", params={"status": "pending"},
                          headers=org.headers).json()["data"]
            heads = [d for d in log if d["attempts"] > 0]
            assert heads and all(d["last_error"] for d in heads)
            assert all(d["attempts"] == 0 for d in log if d not in heads)  # waiting their turn
            # Up, but failing for a while, then accepting.
            receiver.clock = clock
            receiver.up()
            receiver.fail_next = 5
            for _ in range(50):
                deliverer.drain()
                clock.advance(3600)
                pending = api.get("/v1/webhooks/deliveries", params={"status": "pending"},
                                  headers=org.headers).json()["data"]
                if not pending:
                    break
            assert receiver.refused == 5
        finally:
            deliverer.stop()

        with foundry.db.read() as conn:
            events = conn.execute(select(webhook_events).where(
                webhook_events.c.organization_id == org.id).order_by(webhook_events.c.id)).all()
        # n before + n record.finished + 1 project.finished + n after
        kinds = [e.type for e in events]
        assert kinds.count("record.finished") == n and kinds.count("project.finished") == 1
        assert len(events) == 3 * n + 1
        got = [m["json"]["id"] for m in receiver.received]
        assert sorted(got) == sorted(f"evt_{e.id}" for e in events)  # every one, once
        by_subject = defaultdict(list)
        for m in receiver.received:
            assert m["headers"]["Datafab-Event-Id"] == m["json"]["id"]
            assert webhooks.verify(secret, m["headers"], m["body"], now=m["at"])
            assert not webhooks.verify(secret, m["headers"], m["body"] + b" ", now=m["at"])
            assert not webhooks.verify("whsec_wrong", m["headers"], m["body"], now=m["at"])
            assert not webhooks.verify(secret, m["headers"], m["body"], now=m["at"] + 3600)
            data = m["json"]["data"]
            subject = f"item:{data['item_id']}" if "item_id" in data else "project"
            by_subject[subject].append(data.get("step") or m["json"]["type"])
        for item_id in ids:
            assert by_subject[f"item:{item_id}"] == ["before", "record.finished", "after"]
        finished = next(m["json"] for m in receiver.received
                        if m["json"]["type"] == "record.finished")
        assert finished["data"]["record"]["answer"] == {"label": "cat"}
        assert finished["data"]["project_id"] == project["id"]

        # The log: everything delivered, readable page by page; a replay sends it again.
        log, cursor = [], None
        while True:
            page = api.get("/v1/webhooks/deliveries", params={"limit": 5, "cursor": cursor},
                           headers=org.headers).json()
            log += page["data"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(log) == len(events) and {d["status"] for d in log} == {"delivered"}
        assert all(d["endpoint_id"] == endpoint["id"] for d in log)
        assert max(d["attempts"] for d in log) > 1
        assert api.get("/v1/webhooks/deliveries", headers=other.headers).json()["data"] == []
        assert api.post(f"/v1/webhooks/deliveries/{log[0]['id']}/replay",
                        headers=other.headers).status_code == 404
        replayed = api.post(f"/v1/webhooks/deliveries/{log[0]['id']}/replay",
                            headers=org.headers)
        assert replayed.status_code == 201 and replayed.json()["status"] == "pending"
        before = len(receiver.received)
        deliverer = Deliverer(foundry)
        assert deliverer.drain() == 1
        deliverer.stop()
        assert receiver.received[before]["json"]["id"] == log[0]["event_id"]


def test_gives_up_after_the_retry_window(api, foundry, clock, make_org):
    org = make_org()
    receiver = Receiver()  # never up
    api.post("/v1/webhooks/endpoints", json={"url": receiver.url}, headers=org.headers)
    with foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:9", {"spent": 1}, clock())
    deliverer = Deliverer(foundry)
    tries = 0
    try:
        for _ in range(200):
            tries += len(deliverer.run_once())
            clock.advance(600)
    finally:
        deliverer.stop()
    with foundry.db.read() as conn:
        row = conn.execute(select(webhook_deliveries)).one()
    assert row.status == "failed" and row.attempts == tries
    # backoff: 5 s doubling up to an hour, for 24 hours: about 9 quick tries, then hourly
    assert 20 <= tries <= 40


def test_the_documented_receiver_check_accepts_what_datafab_signs():
    doc = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    scope: dict = {}
    exec(compile(block, "docs/webhooks.md", "exec"), scope)
    check = scope["datafab_signature_ok"]
    body, now = b'{"id":"evt_1"}', int(time.time())
    headers = {"Datafab-Timestamp": str(now),
               "Datafab-Signature": webhooks.sign("whsec_s", now, body)}
    assert check("whsec_s", headers, body)
    assert not check("whsec_other", headers, body)
    assert not check("whsec_s", headers, body + b"x")
    stale = {"Datafab-Timestamp": str(now - 3600),
             "Datafab-Signature": webhooks.sign("whsec_s", now - 3600, body)}
    assert not check("whsec_s", stale, body)


def test_backoff_doubles_up_to_the_cap():
    assert [webhooks.backoff(n, 5, 60) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_deleting_an_endpoint_drops_its_pending_deliveries(api, foundry, clock, make_org):
    org, other = make_org(), make_org("Other")
    ep = api.post("/v1/webhooks/endpoints", json={"url": "http://127.0.0.1:9/h"},
                  headers=org.headers).json()
    with foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
    assert api.delete(f"/v1/webhooks/endpoints/{ep['id']}",
                      headers=other.headers).status_code == 404
    assert api.delete(f"/v1/webhooks/endpoints/{ep['id']}",
                      headers=org.headers).status_code == 204
    log = api.get("/v1/webhooks/deliveries", headers=org.headers).json()["data"]
    assert [d["status"] for d in log] == ["dropped"]
