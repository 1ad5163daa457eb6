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
