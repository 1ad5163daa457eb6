"""The access log: every lease, workbench lease and export writes who was shown which items,
when and from where, in the transaction that hands them out; requesters read it per project
(paged, filtered, under pseudonyms); old rows are swept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datafab.services import access_log, accounts, items, projects, work
from datafab.services.site_keys import Pseudonyms
from datafab.store.tables import access_log as log_table
from datafab.store.tables import leases

LABELS = ["cat", "dog"]


def _project(foundry, org, n=6):
    project = projects.create_project(foundry, org, {
        "name": "animals", "primitive": "classify", "settings": {"labels": LABELS},
        "guidelines": "Pick the animal."})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"animal {i}"}} for i in range(n)])
    return project


def _rows(foundry):
    with foundry.db.read() as conn:
        return conn.execute(select(log_table).order_by(log_table.c.id)).all()


def test_a_lease_logs_exactly_its_items_with_the_client_address(api, foundry, make_org,
                                                                  make_worker, clock):
    org = make_org()
    project = _project(foundry, org.id)
    worker = make_worker("w")
    got = api.post(f"/v1/projects/{project.id}/leases", json={"n": 3}, headers=worker.headers)
    assert got.status_code == 200, got.text
    leased = sorted(lease["item"]["id"] for lease in got.json()["leases"])
    assert len(leased) == 3
    rows = _rows(foundry)
    assert sorted(r.item_id for r in rows) == leased
    assert {(r.event, r.contributor_id, r.address, r.project_id, r.actor) for r in rows} == {
        ("lease", worker.id, "testclient", project.id, None)}
    assert {r.at for r in rows} == {clock()}


def test_a_rolled_back_lease_logs_nothing(foundry, make_org, make_worker, monkeypatch):
    org = make_org()
    project = _project(foundry, org.id)
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    original = access_log.record_items

    def written_then_failing(*args, **kwargs):
        assert original(*args, **kwargs) == 2  # the rows are written, then the lease fails
        raise RuntimeError("the lease fails after its claim")

    monkeypatch.setattr(access_log, "record_items", written_then_failing)
    with pytest.raises(RuntimeError):
        work.lease_items(foundry, worker, project.id, 2, "10.0.0.7")
    assert _rows(foundry) == []
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(leases)).scalar() == 0


def test_a_lease_failing_after_its_claim_logs_nothing(foundry, make_org, make_worker,
                                                     monkeypatch):
    from datafab.services import workforce

    org = make_org()
    project = _project(foundry, org.id)
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(workforce, "after_claim", broken)
    with pytest.raises(RuntimeError):
        work.lease_items(foundry, worker, project.id, 2, "10.0.0.7")
    assert _rows(foundry) == []
    monkeypatch.undo()
    assert len(work.lease_items(foundry, worker, project.id, 2, "10.0.0.7")) == 2
    assert len(_rows(foundry)) == 2


def test_an_export_logs_one_row_for_the_requester(api, foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org.id)
    got = api.get(f"/v1/projects/{project.id}/export", headers=org.headers)
    assert got.status_code == 200
    (row,) = _rows(foundry)
    assert row.event == "export" and row.item_id is None and row.contributor_id is None
    assert row.actor.startswith("api key dfk_") or row.actor.startswith("api key ")
    assert row.address == "testclient"


def test_the_api_pages_and_filters_under_pseudonyms(api, foundry, make_org, make_worker,
                                                    clock):
    org = make_org()
    project = _project(foundry, org.id, n=8)
    ada, bob = make_worker("ada"), make_worker("bob")
    for worker in (ada, bob):
        for _ in range(2):
            assert api.post(f"/v1/projects/{project.id}/leases", json={"n": 2},
                            headers=worker.headers).status_code == 200
            clock.advance(1)
    url = f"/v1/projects/{project.id}/access"
    seen, cursor = [], None
    while True:
        got = api.get(url, params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                      headers=org.headers)
        assert got.status_code == 200, got.text
        seen += got.json()["data"]
        cursor = got.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 and [e["id"] for e in seen] == sorted(
        (e["id"] for e in seen), reverse=True)
    pseudonym = Pseudonyms(foundry)
    ada_name = pseudonym(project.id, ada.id)
    assert {e["contributor"] for e in seen} == {ada_name, pseudonym(project.id, bob.id)}
    assert all(e["address"] is None for e in seen)  # a contributor's address stays private
    assert str(ada.id) not in {str(e["contributor"]) for e in seen}
    only_ada = api.get(url, params={"contributor": ada_name}, headers=org.headers).json()
    assert len(only_ada["data"]) == 4
    assert {e["contributor"] for e in only_ada["data"]} == {ada_name}
    item = seen[0]["item_id"]
    by_item = api.get(url, params={"item": item}, headers=org.headers).json()["data"]
    assert by_item and {e["item_id"] for e in by_item} == {item}
    nobody = api.get(url, params={"contributor": "c_000000000000"}, headers=org.headers)
    assert nobody.json()["data"] == []
    for params, field in (({"cursor": "nonsense!"}, "cursor"), ({"limit": 0}, "limit"),
                          ({"item": "abc"}, "item"), ({"contributor": "c" * 65}, "contributor")):
        bad = api.get(url, params=params, headers=org.headers)
        assert bad.status_code in (400, 422) and field in bad.text, (params, bad.text)


def test_another_organizations_project_is_not_found(api, foundry, make_org, make_worker):
    org, other = make_org("Acme"), make_org("Rival")
    project = _project(foundry, org.id)
    api.post(f"/v1/projects/{project.id}/leases", json={"n": 2},
             headers=make_worker("w").headers)
    assert api.get(f"/v1/projects/{project.id}/access",
                   headers=other.headers).status_code == 404
    assert api.get(f"/v1/projects/{project.id}/access",
                   headers=org.headers).status_code == 200


def test_retention_deletes_only_old_rows(foundry, make_org, make_worker, clock):
    org = make_org()
    project = _project(foundry, org.id)
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    work.lease_items(foundry, worker, project.id, 2, "10.0.0.1")
    clock.advance(200 * 86400)
    work.lease_items(foundry, worker, project.id, 1, "10.0.0.2")
    clock.advance(200 * 86400)  # the first two are now 400 days old, the last 200
    assert access_log.purge(foundry) == 2
    assert [r.address for r in _rows(foundry)] == ["10.0.0.2"]
    foundry.settings.access_log_days = 0  # keep forever
    clock.advance(1000 * 86400)
    assert access_log.purge(foundry) == 0 and len(_rows(foundry)) == 1


def test_the_server_sweeps_old_rows_on_its_own(foundry, make_org, clock):
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app
    from datafab.store import access_log as store

    org = make_org()
    project = _project(foundry, org.id)
    with foundry.db.write() as conn:
        store.record(conn, project=project.id, event="lease", items=[1], contributor=None,
                     at=clock() - 400 * 86400, address="10.0.0.1")
        store.record(conn, project=project.id, event="lease", items=[2], contributor=None,
                     at=clock() - 10 * 86400, address="10.0.0.2")
    with TestClient(create_app(foundry)) as client:
        assert client.get("/v1/me/projects").status_code == 401  # any request will do
    assert [r.address for r in _rows(foundry)] == ["10.0.0.2"]


def test_erasing_a_contributor_forgets_their_addresses(foundry, make_org, make_worker):
    from datafab.services import erasure

    org = make_org()
    project = _project(foundry, org.id)
    ada = accounts.authenticate_contributor(foundry, make_worker("ada").token)
    bob = accounts.authenticate_contributor(foundry, make_worker("bob").token)
    work.lease_items(foundry, ada, project.id, 2, "10.0.0.1")
    work.lease_items(foundry, bob, project.id, 1, "10.0.0.2")
    erasure.erase_contributor(foundry, ada.id, actor="operator")
    rows = _rows(foundry)
    assert sorted((r.contributor_id, r.address) for r in rows) == sorted(
        [(ada.id, "erased"), (ada.id, "erased"), (bob.id, "10.0.0.2")])
