"""Housekeeping is background work the app factory makes and injects: its sweeps run when
the app starts and every round after, with or without requests, a failing sweep does not
stop the others, and shutdown stops the thread. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from datafab.api.app import create_app
from datafab.services import clearances, projects
from datafab.services.housekeeping import SWEEPS, Housekeeping
from datafab.store import access_log as log_store
from datafab.store.tables import access_log, audit_log, contributor_clearances


def _count(foundry, table, *where) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)
                            ).scalar_one()


def _wait(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_rounds_run_on_their_own_and_a_failing_sweep_stops_nothing(foundry):
    calls: list[str] = []
    failed = threading.Event()

    def flaky(_foundry) -> int:
        calls.append("flaky")
        if not failed.is_set():
            failed.set()
            raise RuntimeError("database away")
        return 1

    def steady(_foundry) -> int:
        calls.append("steady")
        return 2

    keeper = Housekeeping(foundry, [("flaky", flaky), ("steady", steady)], every=0.02)
    assert keeper.sweep() == {"flaky": None, "steady": 2}
    assert keeper.sweep() == {"flaky": 1, "steady": 2}
    keeper.start()
    assert keeper.running
    assert _wait(lambda: calls.count("steady") >= 5)
    keeper.stop()
    assert not keeper.running
    after = len(calls)
    time.sleep(0.1)
    assert len(calls) == after  # stopped: no round after stop


def test_the_app_sweeps_at_start_and_stops_its_housekeeping_on_shutdown(
        foundry, clock, make_org, make_worker):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    with foundry.db.write() as conn:
        log_store.record(conn, project=project.id, event="lease", items=[1], contributor=None,
                         at=clock() - 400 * 86400, address="10.0.0.1")
        log_store.record(conn, project=project.id, event="lease", items=[2], contributor=None,
                         at=clock() - 10 * 86400, address="10.0.0.2")
    ada = make_worker("ada")
    clearances.grant(foundry, ada.id, "restricted", clock.now + 60, actor="test")
    clock.advance(61)
    app = create_app(foundry)
    keeper = app.state.housekeeping
    assert [name for name, _ in keeper.sweeps] == [name for name, _ in SWEEPS]
    assert not keeper.running
    with TestClient(app):  # no request at all: starting is enough
        assert keeper.running
        assert _count(foundry, access_log) == 1
        assert _count(foundry, contributor_clearances) == 0
        assert _count(foundry, audit_log, audit_log.c.action == "clearance.expired") == 1
    assert not keeper.running


def test_requests_no_longer_sweep(foundry, clock, make_org):
    """The sweep is the housekeeper's alone: an app whose lifespan never ran (so no
    housekeeping) leaves old rows however many requests come."""
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    with foundry.db.write() as conn:
        log_store.record(conn, project=project.id, event="lease", items=[1], contributor=None,
                         at=clock() - 400 * 86400, address="10.0.0.1")
    client = TestClient(create_app(foundry))  # not entered: the lifespan does not run
    for _ in range(3):
        assert client.get("/v1/me/projects").status_code == 401
    assert _count(foundry, access_log) == 1
