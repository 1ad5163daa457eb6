"""One organization's endpoint cannot hold up another's deliveries: a URL is parsed when it is
registered exactly as the sender parses it (so nothing unsendable is stored); a delivery that
cannot be sent anyway fails alone, with the reason; a slow endpoint is cut off at the
delivery's deadline, several deliveries are in flight at once and one organization never
fills them all. The receivers are real servers on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, insert, select
from tests.webhooks.receiver import Dribbler, Receiver

from datafab.services import webhooks
from datafab.services.webhooks import Deliverer
from datafab.store.tables import scale_tasks, webhook_deliveries, webhook_endpoints

SCALE = "/compat/scale/v1"

# What Python's urlsplit accepts but the sender (httpx) cannot send, or cannot even store.
UNSENDABLE = [
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/x",  # full-width digits: not IDNA
    "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x",  # full-width letters
    "http://a\u0000b.example/x", "http://a\u0001b.example/x", "http://hooks.example/a\u007fb",
    "http://hooks.example/\u0085x",  # a C1 control character
    "http://\ud800.example/", "http://hooks.example/\udfff", "http://hooks.example/#\ud800",
    "http://hooks.example:99999/x",  # no such port
]


def _post(api, path: str, body: dict, headers: dict):
    """POST JSON with every non-ASCII character escaped (a lone surrogate is valid JSON)."""
    return api.post(path, content=json.dumps(body),
                    headers={**headers, "Content-Type": "application/json"})


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("url", UNSENDABLE)
def test_a_url_the_sender_cannot_parse_is_refused_when_registered(api, foundry, make_org, url):
    org = make_org()
    r = _post(api, "/v1/webhooks/endpoints", {"url": url}, org.headers)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_input" and error["field"] == "url"
    assert error["message"].startswith("url: ")
    assert _count(foundry, webhook_endpoints) == 0


@pytest.mark.parametrize("url", UNSENDABLE[:3] + UNSENDABLE[6:8])
def test_a_scale_callback_url_is_parsed_the_same_way(api, foundry, make_org, url):
    org = make_org()
    headers = {"Authorization": "Basic " + base64.b64encode(f"{org.key}:".encode()).decode()}
    r = api.post(f"{SCALE}/projects", json={"type": "categorization", "name": "pets"},
                 headers=headers)
    assert r.status_code == 200, r.text
    r = _post(api, f"{SCALE}/task/categorization", {
        "project": "pets", "attachment": "a tabby", "categories": ["cat", "dog"],
        "callback_url": url}, headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith("callback_url: ")
    assert _count(foundry, scale_tasks) == 0


def test_an_international_name_is_kept_and_sent_as_the_sender_encodes_it(api, make_org):
    org = make_org()
    r = api.post("/v1/webhooks/endpoints", json={"url": "https://b\u00fccher.example/hook"},
                 headers=org.headers)
    assert r.status_code == 201, r.text


def _store_endpoint(foundry, clock, organization: int, url: str) -> None:
    """As an older Datafab accepted it (before URLs were parsed as the sender parses them)."""
    with foundry.db.write() as conn:
        conn.execute(insert(webhook_endpoints).values(
            organization_id=organization, url=url, events=None, active=True,
            created_at=clock()))


def test_an_unsendable_delivery_fails_alone_and_others_are_delivered(api, foundry, clock,
                                                                    make_org):
    mallory, alice = make_org("Mallory"), make_org("Alice")
    poison = ["http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/x",
              "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x"]
    if foundry.db.engine.dialect.name == "sqlite":  # PostgreSQL text cannot hold these
        poison += ["http://a\u0000b.example/x", "http://hooks.example/a\u0001b"]
    for url in poison:
        _store_endpoint(foundry, clock, mallory.id, url)
    with Receiver() as receiver:
        receiver.up()
        r = api.post("/v1/webhooks/endpoints", json={"url": receiver.url},
                     headers=alice.headers)
        assert r.status_code == 201, r.text
        with foundry.db.write() as conn:
            webhooks.emit(conn, mallory.id, "budget.reached", "project:1", {}, clock())
            for i in range(3):
                webhooks.emit(conn, alice.id, "budget.reached", f"project:{i}", {}, clock())
        deliverer = Deliverer(foundry)
        try:
            attempts = deliverer.run_once()
            assert len(attempts) == len(poison) + 3
            assert deliverer.run_once() == []  # nothing left locked, nothing claimed again
            clock.advance(3600)
            assert deliverer.run_once() == []  # the poison is not retried
        finally:
            deliverer.stop()
        assert len(receiver.received) == 3
    d = webhook_deliveries
    with foundry.db.read() as conn:
        rows = conn.execute(select(d).order_by(d.c.id)).all()
    bad = [r for r in rows if r.organization_id == mallory.id]
    good = [r for r in rows if r.organization_id == alice.id]
    assert [r.status for r in good] == ["delivered"] * 3
    assert [r.status for r in bad] == ["failed"] * len(poison)
    assert all(r.locked_until is None and r.attempts == 1 for r in rows)
    assert all(r.last_error.startswith("unsendable: ") for r in bad), [r.last_error for r in bad]


@pytest.mark.parametrize("settings_overrides", [
    {"webhook_allowed_networks": "127.0.0.1", "webhook_timeout_seconds": 2.0}])
def test_a_slow_endpoint_delays_another_organizations_delivery_by_little(
        api, foundry, clock, make_org, settings_overrides):
    slow_org, fast_org = make_org("Slow"), make_org("Fast")
    with Dribbler(interval=0.5) as slow, Receiver() as fast:
        slow.up()
        fast.up()
        for org, url in ((slow_org, slow.url), (fast_org, fast.url)):
            r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
            assert r.status_code == 201, r.text
        with foundry.db.write() as conn:  # a backlog of the slow organization first
            for i in range(12):
                webhooks.emit(conn, slow_org.id, "budget.reached", f"project:{i}", {},
                              clock())
        deliverer = Deliverer(foundry)
        deliverer.start(idle_seconds=0.2)
        latencies = []
        try:
            deadline = time.monotonic() + 5
            while len(slow.opened) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            for i in range(3):  # while the slow endpoint holds its deliveries
                time.sleep(0.5)
                sent = time.monotonic()
                with foundry.db.write() as conn:
                    webhooks.emit(conn, fast_org.id, "budget.reached", f"project:{i}", {},
                                  clock())
                while len(fast.received) <= i and time.monotonic() < sent + 10:
                    time.sleep(0.01)
                latencies.append(time.monotonic() - sent)
            # every slow delivery is given up at its 2-second deadline, not held for minutes
            waited = time.monotonic()
            while time.monotonic() < waited + 20:
                with foundry.db.read() as conn:
                    left = conn.execute(select(func.count()).select_from(
                        webhook_deliveries).where(webhook_deliveries.c.status == "pending",
                                                  webhook_deliveries.c.attempts == 0)).scalar()
                if not left:
                    break
                time.sleep(0.1)
        finally:
            deliverer.stop()
        assert len(fast.received) == 3, latencies
        # a few seconds at most (a loaded machine adds some); one by one behind the dribbler's
        # twelve 2-second deadlines it would be 10 s or more
        assert max(latencies) < 3.0, latencies
        assert 2 <= slow.most_at_once <= deliverer.per_org  # several in flight, never all
        assert deliverer.per_org < deliverer.workers
    d = webhook_deliveries
    with foundry.db.read() as conn:
        slow_rows = conn.execute(select(d).where(d.c.organization_id == slow_org.id)).all()
    assert len(slow_rows) == 12 and all(r.attempts == 1 for r in slow_rows)
    assert all(r.last_error.startswith("ReadTimeout: no answer within 2 s") for r in slow_rows)
    assert all(r.status == "pending" for r in slow_rows)  # a timeout is retried later


def test_duplicate_events_are_collapsed(api, foundry, clock, make_org):
    org = make_org()
    r = api.post("/v1/webhooks/endpoints", headers=org.headers, json={
        "url": "https://hooks.example/h",
        "events": ["budget.reached", "record.finished", "budget.reached"]})
    assert r.status_code == 201, r.text
    assert r.json()["events"] == ["budget.reached", "record.finished"]
    listed = api.get("/v1/webhooks/endpoints", headers=org.headers).json()["data"]
    assert listed[0]["events"] == ["budget.reached", "record.finished"]
    with foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
    assert _count(foundry, webhook_deliveries) == 1


def _backlog(foundry, clock, orgs, sizes) -> None:
    with foundry.db.write() as conn:
        for org, size in zip(orgs, sizes, strict=True):
            conn.execute(insert(webhook_endpoints).values(
                organization_id=org.id, url="https://hooks.example/h", events=None,
                active=True, created_at=clock()))
            for i in range(size):
                webhooks.emit(conn, org.id, "budget.reached", f"project:{i}", {}, clock())


def test_the_claim_takes_organizations_in_turn(foundry, clock, make_org):
    orgs = [make_org("Big"), make_org("Small"), make_org("Tiny")]
    _backlog(foundry, clock, orgs, [30, 2, 1])
    deliverer = Deliverer(foundry, workers=8)
    try:
        first = deliverer.claim(5)  # one of each, then a second of each that has one
        assert Counter(r.organization_id for r in first) == {orgs[0].id: 2, orgs[1].id: 2,
                                                             orgs[2].id: 1}
        more = deliverer.claim(50)  # the big one has 2 in flight: 2 more reach its half
        assert [r.organization_id for r in more] == [orgs[0].id] * 2
        assert deliverer.claim(50) == []
    finally:
        deliverer.stop()


def test_two_deliverers_never_take_the_same_delivery(foundry, clock, make_org):
    orgs = [make_org(f"Org {i}") for i in range(5)]
    _backlog(foundry, clock, orgs, [20, 20, 5, 3, 1])
    deliverers = [Deliverer(foundry, workers=8) for _ in range(2)]
    taken: list[list] = [[], []]

    def take(k: int) -> None:
        for _ in range(30):
            taken[k] += deliverers[k].claim(3)

    threads = [threading.Thread(target=take, args=(k,)) for k in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for d in deliverers:
            d.stop()
    ids = [r.id for rows in taken for r in rows]
    assert len(ids) == len(set(ids))  # never twice
    per_org = Counter(r.organization_id for rows in taken for r in rows)
    assert per_org == {orgs[0].id: 4, orgs[1].id: 4, orgs[2].id: 4, orgs[3].id: 3,
                       orgs[4].id: 1}  # at most half the slots each, between both deliverers


def test_deliveries_sent_at_once_agree_on_a_new_signing_secret(foundry, clock, make_org):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        _store_endpoint(foundry, clock, org.id, receiver.url)  # no secret made yet
        with foundry.db.write() as conn:
            for i in range(8):
                webhooks.emit(conn, org.id, "budget.reached", f"project:{i}", {}, clock())
        deliverer = Deliverer(foundry, workers=8)
        try:
            attempts = deliverer.run_once()
        finally:
            deliverer.stop()
        assert [a.ok for a in attempts] == [True] * 4, attempts  # half the slots: 4 at once
        secret = webhooks.signing_secret(foundry, org.id)
        assert all(webhooks.verify(secret, m["headers"], m["body"], now=clock())
                   for m in receiver.received)
