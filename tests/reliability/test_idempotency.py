"""Idempotency-Key on every POST: replay, mismatch, in flight, lock run-out, 24-hour expiry."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.reliability.helpers import create_project, upload

from datafab.services import idempotency
from datafab.store.tables import idempotency_keys, projects, submissions


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _key(headers, key):
    return {**headers, "Idempotency-Key": key}


def test_a_repeated_submit_gets_the_first_answer_and_writes_once(api, foundry, make_org,
                                                                 make_worker):
    org, worker = make_org(), make_worker()
    project = create_project(api, org)
    upload(api, org, project, 1)
    lease = api.post(f"/v1/projects/{project['id']}/leases",
                     headers=worker.headers).json()["leases"][0]
    body = {"answer": {"label": "cat"}}
    first = api.post(f"/v1/leases/{lease['id']}/submit", json=body,
                     headers=_key(worker.headers, "submit-1"))
    again = api.post(f"/v1/leases/{lease['id']}/submit", json=body,
                     headers=_key(worker.headers, "submit-1"))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(foundry, submissions) == 1
    # Without the key, the same answer again still gets the first receipt (a retry whose
    # response was lost); another answer is refused. Still one submission.
    plain = api.post(f"/v1/leases/{lease['id']}/submit", json=body, headers=worker.headers)
    assert plain.status_code == 200 and plain.json() == first.json()
    other = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "dog"}},
                     headers=worker.headers)
    assert other.status_code == 409
    assert _count(foundry, submissions) == 1


def test_a_repeated_project_creation_makes_one_project(api, foundry, make_org):
    org = make_org()
    body = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}}
    responses = [api.post("/v1/projects", json=body, headers=_key(org.headers, "create-p"))
                 for _ in range(3)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count(foundry, projects) == 1


def test_same_key_with_another_body_is_refused(api, foundry, make_org):
    org = make_org()
    body = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}}
    assert api.post("/v1/projects", json=body, headers=_key(org.headers, "k")).status_code == 201
    other = api.post("/v1/projects", json={**body, "name": "q"},
                     headers=_key(org.headers, "k"))
    assert other.status_code == 422
    assert other.json()["error"]["type"] == "idempotency_key_reused"
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert _count(foundry, projects) == 1


def test_a_repeat_while_the_first_runs_gets_409_then_runs_after_the_lock(api, foundry, clock,
                                                                         make_org):
    org = make_org()
    body = b'{"name": "p", "primitive": "classify", "guidelines": "g", ' \
           b'"settings": {"labels": ["a", "b"]}}'
    # The first request is in flight: its claim is made, its response not yet stored.
    print_ = idempotency.fingerprint("POST", "/v1/projects", b"", body)
    claim = idempotency.begin(foundry, idempotency.scope_of(org.key), "slow", print_)
    assert isinstance(claim, int)
    headers = {**_key(org.headers, "slow"), "content-type": "application/json"}
    busy = api.post("/v1/projects", content=body, headers=headers)
    assert busy.status_code == 409, busy.text
    assert busy.json()["error"]["type"] == "idempotency_in_flight"
    assert 1 <= int(busy.headers["retry-after"]) <= foundry.settings.idempotency_lock_seconds
    assert _count(foundry, projects) == 0
    # Its server died: once the lock runs out, a retry runs the request.
    clock.advance(foundry.settings.idempotency_lock_seconds + 1)
    retried = api.post("/v1/projects", content=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert _count(foundry, projects) == 1


def test_keys_belong_to_one_caller_and_expire_after_a_day(api, foundry, clock, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    body = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}}
    a = api.post("/v1/projects", json=body, headers=_key(acme.headers, "same"))
    g = api.post("/v1/projects", json=body, headers=_key(globex.headers, "same"))
    assert a.status_code == g.status_code == 201
    assert a.json()["id"] != g.json()["id"]
    clock.advance(24 * 3600 + 1)
    later = api.post("/v1/projects", json={**body, "name": "p2"},
                     headers=_key(acme.headers, "same"))
    assert later.status_code == 201  # the old key expired: a new request
    assert idempotency.purge(foundry) == 1  # Globex's day-old key is swept
    assert _count(foundry, idempotency_keys) == 1


def test_a_failed_request_does_not_pin_its_key(api, foundry, make_org):
    org = make_org()
    bad = api.post("/v1/projects/999/items", json={"items": [{"external_id": "a", "data": {}}]},
                   headers=_key(org.headers, "up"))
    assert bad.status_code == 404
    # A stored 404 replays (the same request has the same answer) ...
    again = api.post("/v1/projects/999/items", json={"items": [{"external_id": "a", "data": {}}]},
                     headers=_key(org.headers, "up"))
    assert again.status_code == 404 and again.headers.get("idempotent-replayed") == "true"
    # ... but a refused credential stores nothing.
    nobody = api.post("/v1/projects", json={}, headers={"Authorization": "Bearer dfk_nope",
                                                        "Idempotency-Key": "x"})
    assert nobody.status_code == 401
    assert _count(foundry, idempotency_keys) == 1


def test_a_bad_key_is_named(api, make_org):
    org = make_org()
    r = api.post("/v1/projects", json={}, headers=_key(org.headers, "x" * 300))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "Idempotency-Key"


def test_every_post_documents_the_header(api):
    spec = api.get("/openapi.json").json()
    posts = [op for path in spec["paths"].values() for m, op in path.items() if m == "post"]
    assert posts
    for op in posts:
        assert any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))


def _limited_client(foundry, **limits):
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app

    for name, value in limits.items():
        setattr(foundry.settings, name, value)
    return TestClient(create_app(foundry))


def test_a_revoked_key_gets_no_stored_response(api, foundry, make_org):
    org = make_org()
    spare = api.post("/v1/keys", json={"name": "spare"}, headers=org.headers).json()
    body = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}}
    first = api.post("/v1/projects", json=body, headers=_key(org.headers, "before-revoke"))
    assert first.status_code == 201
    mine = next(k for k in api.get("/v1/keys", headers=org.headers).json()["data"]
                if org.key.startswith(k["prefix"]))
    spare_headers = {"Authorization": f"Bearer {spare['key']}"}
    assert api.post(f"/v1/keys/{mine['id']}/revoke",
                    headers=spare_headers).status_code == 200
    replay = api.post("/v1/projects", json=body, headers=_key(org.headers, "before-revoke"))
    assert replay.status_code == 401, replay.text
    assert "idempotent-replayed" not in replay.headers
    assert "acme" not in replay.text.lower() and str(first.json()["id"]) not in replay.text
    # The replay belongs to the credential that made the request: another key of the same
    # organization with the same Idempotency-Key makes its own request.
    other = api.post("/v1/projects", json={**body, "name": "q"},
                     headers=_key(spare_headers, "before-revoke"))
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    # The rows hold digests of the credentials, never the credentials.
    with foundry.db.read() as conn:
        scopes = set(conn.execute(select(idempotency_keys.c.scope)).scalars())
    assert scopes == {idempotency.scope_of(org.key), idempotency.scope_of(spare["key"])}


def test_replays_count_against_the_rate_limit(foundry, clock, make_org):
    org = make_org()
    body = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}}
    with _limited_client(foundry, rate_limit_api_key=1.0) as limited:
        statuses = [limited.post("/v1/projects", json=body,
                                 headers=_key(org.headers, "again")).status_code
                    for _ in range(4)]
        assert statuses == [201, 201, 429, 429]  # a burst of two, then refused
        refused = limited.post("/v1/projects", json=body, headers=_key(org.headers, "again"))
        assert refused.json()["error"]["type"] == "rate_limited"
        assert refused.headers["retry-after"] == "1"
        clock.advance(1)
        allowed = limited.post("/v1/projects", json=body, headers=_key(org.headers, "again"))
        assert allowed.status_code == 201 and allowed.headers["idempotent-replayed"] == "true"
    assert _count(foundry, projects) == 1


def test_nothing_is_written_before_authentication(api, foundry, make_org):
    from sqlalchemy import event

    make_org()
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(foundry.db.engine, "before_cursor_execute", record)
    try:
        for key in ("x", "x" * 300):  # a bad key is not even looked at
            refused = api.post("/v1/projects", json={"name": "p"},
                               headers={"Authorization": "Bearer dfk_nope",
                                        "Idempotency-Key": key})
            assert refused.status_code == 401, refused.text
    finally:
        event.remove(foundry.db.engine, "before_cursor_execute", record)
    assert seen and not [s for s in seen if "idempotency_keys" in s]
    assert _count(foundry, idempotency_keys) == 0


def test_a_running_request_keeps_its_key_and_a_dead_one_frees_it_within_seconds(
        foundry, clock, make_org):
    import threading

    from fastapi import Depends
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app
    from datafab.api.auth import requester
    from datafab.settings import Settings

    assert Settings.model_fields["idempotency_lock_seconds"].default <= 10
    foundry.settings.idempotency_lock_seconds = 0.3  # heartbeats every 0.1 s
    org = make_org()
    app = create_app(foundry)
    gate, calls = threading.Event(), []

    @app.post("/v1/slow-export")  # a request that takes longer than the lock
    def slow(org_id: int = Depends(requester)) -> dict:
        calls.append(org_id)
        if len(calls) == 1:
            gate.wait(10)
        return {"calls": len(calls)}

    with TestClient(app) as client:
        first: list = []
        runner = threading.Thread(target=lambda: first.append(
            client.post("/v1/slow-export", headers=_key(org.headers, "slow"))))
        runner.start()
        try:
            for _ in range(200):  # until the request is running
                if calls:
                    break
                threading.Event().wait(0.02)
            clock.advance(60)  # far past the lock taken when the request began ...
            threading.Event().wait(0.5)  # ... but the request's heartbeats renewed it
            busy = client.post("/v1/slow-export", headers=_key(org.headers, "slow"))
            assert busy.status_code == 409, busy.text
            assert busy.json()["error"]["type"] == "idempotency_in_flight"
        finally:
            gate.set()
            runner.join(10)
        assert first[0].status_code == 200 and first[0].json() == {"calls": 1}
        again = client.post("/v1/slow-export", headers=_key(org.headers, "slow"))
        assert again.json() == {"calls": 1} and again.headers["idempotent-replayed"] == "true"
        assert len(calls) == 1

        # A request whose server died sends no heartbeat: its key frees one lock later.
        print_ = idempotency.fingerprint("POST", "/v1/slow-export", b"", b"")
        assert isinstance(idempotency.begin(foundry, idempotency.scope_of(org.key), "dead",
                                            print_), int)
        assert client.post("/v1/slow-export",
                           headers=_key(org.headers, "dead")).status_code == 409
        clock.advance(0.4)
        retried = client.post("/v1/slow-export", headers=_key(org.headers, "dead"))
        assert retried.status_code == 200 and retried.json() == {"calls": 2}


def test_a_retried_release_whose_first_try_committed_answers_200(api, foundry, clock,
                                                                 make_org, make_worker):
    from datafab.services import work
    from datafab.services.accounts import authenticate_contributor

    org, worker = make_org(), make_worker()
    project = create_project(api, org)
    upload(api, org, project, 1)
    lease = api.post(f"/v1/projects/{project['id']}/leases",
                     headers=worker.headers).json()["leases"][0]
    path = f"/v1/leases/{lease['id']}/release"
    # The first try claimed its key and released the lease, then its server died before the
    # response was stored.
    print_ = idempotency.fingerprint("POST", path, b"", b"")
    assert isinstance(idempotency.begin(foundry, idempotency.scope_of(worker.token), "rel",
                                        print_), int)
    work.release_lease(foundry, authenticate_contributor(foundry, worker.token), lease["id"])
    clock.advance(foundry.settings.idempotency_lock_seconds + 1)
    retried = api.post(path, headers=_key(worker.headers, "rel"))
    assert retried.status_code == 200, retried.text
    assert retried.json() == {"id": lease["id"], "status": "released"}
    # Without a key too; another contributor still cannot touch it.
    assert api.post(path, headers=worker.headers).status_code == 200
    other = make_worker("other")
    assert api.post(path, headers=other.headers).status_code == 404


def test_the_scale_surface_refuses_in_its_own_shape_before_any_key_is_kept(api, foundry,
                                                                            make_org):
    import base64

    org = make_org()

    def basic(key):
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}

    body = {"name": "kittens", "type": "categorization", "params": {"instruction": "i"}}
    refused = api.post("/compat/scale/v1/projects", json=body,
                       headers={**basic("dfk_nope"), "Idempotency-Key": "p"})
    assert refused.status_code == 401
    assert isinstance(refused.json()["error"], str) and refused.json()["status_code"] == 401
    assert _count(foundry, idempotency_keys) == 0
    first = api.post("/compat/scale/v1/projects", json=body,
                     headers={**basic(org.key), "Idempotency-Key": "p"})
    again = api.post("/compat/scale/v1/projects", json=body,
                     headers={**basic(org.key), "Idempotency-Key": "p"})
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
