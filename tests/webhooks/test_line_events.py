"""The line's events: every finished item has its record.finished event, whether a
submission or a refit finished it, and project.finished comes once."""

from __future__ import annotations

from sqlalchemy import select

from datafab.services import items, projects, quality, work
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import items as items_table
from datafab.store.tables import webhook_events


def _events(foundry, kind):
    with foundry.db.read() as conn:
        return [r.subject for r in conn.execute(select(webhook_events.c.subject).where(
            webhook_events.c.type == kind).order_by(webhook_events.c.id)).all()]


def _done(foundry, project_id):
    with foundry.db.read() as conn:
        return {f"item:{i}" for i in conn.execute(select(items_table.c.id).where(
            items_table.c.project_id == project_id,
            items_table.c.status == "done")).scalars()}


def test_submissions_and_refits_both_announce_finished_records(foundry, make_org,
                                                               make_worker):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 5, "target_confidence": 0.9,
                   "gold_rate": 0.5}})
    batch = [{"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(20)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes" if i % 2 else "no"}} for i in range(12)]
    items.upload_items(foundry, org.id, project.id, batch)
    truth = {f"g{i}": "yes" if i % 2 else "no" for i in range(12)}
    who = authenticate_contributor(foundry, make_worker().token)
    while leases := work.lease_items(foundry, who, project.id, 5):
        for lease in leases:
            work.submit(foundry, who, lease.id,
                        {"answer": {"label": truth.get(lease.external_id, "yes")}})
    by_submit = _events(foundry, "record.finished")
    assert set(by_submit) == _done(foundry, project.id)
    quality.refit(foundry, project.id)
    after = _events(foundry, "record.finished")
    assert set(after) == _done(foundry, project.id)
    assert len(after) == len(set(after))  # each item once
    assert len(after) > len(by_submit), "the refit finished items the submissions left open"


def test_no_project_lock_while_an_open_item_remains(foundry, make_org, make_worker):
    """A submit that leaves open items announces nothing and takes no project-wide lock (one
    open item, locked, proves the project unfinished); the last one announces once."""
    from sqlalchemy import event

    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(4)])
    who = authenticate_contributor(foundry, make_worker().token)
    sent: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    event.listen(foundry.db.engine, "before_cursor_execute", count)
    try:
        for lease in work.lease_items(foundry, who, project.id, 3):
            work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
        assert not [s for s in sent if "pg_advisory" in s]
        assert _events(foundry, "project.finished") == []
        (last,) = work.lease_items(foundry, who, project.id, 3)
        work.submit(foundry, who, last.id, {"answer": {"label": "yes"}})
    finally:
        event.remove(foundry.db.engine, "before_cursor_execute", count)
    assert _events(foundry, "project.finished") == [f"project:{project.id}"]
    assert bool([s for s in sent if "pg_advisory" in s]) != foundry.db.is_sqlite


def test_a_held_open_item_stays_open_until_its_holder_commits(foundry, make_org):
    """PostgreSQL: the item ``holds_open_item`` found cannot be locked to be finished by
    another transaction until the holder ends (so the project is unfinished at its commit).
    SQLite's single writer needs no held item: none is claimed and no statement sent."""
    import pytest
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.exc import OperationalError

    from datafab.store import webhooks as queries

    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(3)])
    if foundry.db.is_sqlite:
        sent: list[str] = []

        def note(conn, cursor, statement, *args) -> None:
            sent.append(statement)

        with foundry.db.write() as conn:
            event.listen(foundry.db.engine, "before_cursor_execute", note)
            held = queries.holds_open_item(conn, project.id)
            event.remove(foundry.db.engine, "before_cursor_execute", note)
        assert held is False and sent == []
        return
    with foundry.db.read() as conn:
        last = max(conn.execute(select(items_table.c.id).where(
            items_table.c.project_id == project.id)).scalars())
    other = create_engine(foundry.db.engine.url)
    try:
        with foundry.db.write() as conn:
            assert queries.holds_open_item(conn, project.id)
            with other.connect() as second, pytest.raises(OperationalError):
                second.execute(text("SELECT id FROM items WHERE id = :i FOR UPDATE NOWAIT"),
                               {"i": last})
        with other.begin() as second:  # released at the holder's commit
            assert second.execute(text("SELECT id FROM items WHERE id = :i FOR UPDATE NOWAIT"),
                                  {"i": last}).scalar() == last
    finally:
        other.dispose()
