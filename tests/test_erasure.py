"""Erasure on both databases: a project and everything under it (a tombstone stays in the
audit log, pay and usage amounts stay), another organization's project is not found, a
contributor's personal data and (with --answers) their answers, records recomputed; each
erasure is all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.errors import NotFound
from datafab.services import erasure, items, projects, work, workforce
from datafab.services.accounts import authenticate_contributor
from datafab.store import erasure as store_erasure
from datafab.store.tables import (
    audit_log,
    contributors,
    earnings,
    metadata,
    records,
    submissions,
    usage_events,
    webhook_events,
)
from datafab.store.tables import items as items_table


def _project(foundry, org, *, name="p", n=4, gold=2, **policy):
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": policy or {"min_labels": 2, "max_labels": 2}})
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}} for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)
    workforce.set_policy(foundry, org.id, project.id, {"pay": {"per_task_minor": 25}})
    return project


def _answer(foundry, worker, project, label="yes", n=10):
    who = authenticate_contributor(foundry, worker.token)
    for lease in work.lease_items(foundry, who, project.id, n):
        work.submit(foundry, who, lease.id, {"answer": {"label": label}, "seconds_spent": 30})


def _rows_naming(conn, project_id, item_ids):
    """Every row of every table that names the project or one of its items."""
    found = {}
    for table in metadata.sorted_tables:
        for column, ids in (("project_id", [project_id]), ("item_id", item_ids)):
            if column in table.c and ids:
                n = conn.execute(select(func.count()).select_from(table)
                                 .where(table.c[column].in_(ids))).scalar_one()
                if n:
                    found[f"{table.name}.{column}"] = n
    return found


def _events_about(conn, project_id, item_ids):
    subjects = [f"project:{project_id}"] + [f"item:{i}" for i in item_ids]
    return conn.execute(select(func.count()).select_from(webhook_events)
                        .where(webhook_events.c.subject.in_(subjects))).scalar_one()


def test_erasing_a_project_leaves_nothing_under_it(api, foundry, make_org, make_worker,
                                                    tmp_path):
    import json

    from datafab.services import ingest

    org = make_org()
    api.post("/v1/webhooks/endpoints", json={"url": "https://example.org/hook"},
             headers=org.headers)
    project = _project(foundry, org)
    ingest.set_keep_originals(foundry, org.id, True)
    mined = tmp_path / "tickets.jsonl"
    mined.write_text(json.dumps({"text": "Call Jane Doe at jane@example.org"}) + "\n")
    ingest.ingest_files(foundry, org.id, project.id, [ingest.Source(mined, mined.name)])
    keep = _project(foundry, org, name="kept")
    for i in range(2):
        worker = make_worker(f"w{i}")
        _answer(foundry, worker, project)
        _answer(foundry, worker, keep)
    with foundry.db.read() as conn:
        item_ids = list(conn.execute(select(items_table.c.id).where(
            items_table.c.project_id == project.id)).scalars())
        before = _rows_naming(conn, project.id, item_ids)
        paid = conn.execute(select(func.sum(earnings.c.amount_minor))).scalar_one()
        kept_before = _rows_naming(conn, keep.id, [])
        events_before = _events_about(conn, project.id, item_ids)
    assert events_before > 0  # record.finished for each finished item, queued to the hook
    assert {"submissions.project_id", "records.project_id", "leases.project_id",
            "earnings.project_id", "item_originals.item_id", "ingest_runs.project_id",
            "guidelines.project_id", "contributor_skills.project_id"} <= set(before)

    r = api.delete(f"/v1/projects/{project.id}", headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.json()["erased"]["items"] == 7
    assert api.get(f"/v1/projects/{project.id}", headers=org.headers).status_code == 404
    with foundry.db.read() as conn:
        assert _rows_naming(conn, project.id, item_ids) == {}
        assert _events_about(conn, project.id, item_ids) == 0
        assert _rows_naming(conn, keep.id, []) == kept_before
        # The pay ledger keeps every amount, without the project.
        assert conn.execute(select(func.sum(earnings.c.amount_minor))).scalar_one() == paid
        assert conn.execute(select(func.count()).select_from(earnings)
                            .where(earnings.c.project_id.is_(None))).scalar_one() > 0
        (tomb,) = conn.execute(select(audit_log).where(
            audit_log.c.action == "project.erased")).all()
    assert (tomb.organization_id, tomb.target) == (org.id, f"project:{project.id}")
    assert tomb.details["rows"]["submissions"] == before["submissions.project_id"]
    assert api.delete(f"/v1/projects/{project.id}", headers=org.headers).status_code == 404


def test_another_organizations_project_is_not_found(api, foundry, make_org, make_worker):
    owner, other = make_org("Owner"), make_org("Other")
    project = _project(foundry, owner)
    _answer(foundry, make_worker(), project)
    r = api.delete(f"/v1/projects/{project.id}", headers=other.headers)
    assert r.status_code == 404, r.text
    with pytest.raises(NotFound):
        erasure.erase_project(foundry, other.id, project.id)
    with foundry.db.read() as conn:
        assert store_erasure.project_rows(conn, project.id)["submissions"] > 0
        assert conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "project.erased")).scalar_one() == 0


def test_a_failed_project_erasure_erases_nothing(foundry, make_org, make_worker, monkeypatch):
    org = make_org()
    project = _project(foundry, org)
    _answer(foundry, make_worker(), project)
    with foundry.db.read() as conn:
        before = store_erasure.project_rows(conn, project.id)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(erasure.audit, "record", broken)  # fails after every delete ran
    with pytest.raises(RuntimeError):
        erasure.erase_project(foundry, org.id, project.id)
    with foundry.db.read() as conn:
        assert store_erasure.project_rows(conn, project.id) == before


def test_erasing_a_contributor_removes_personal_data_and_keeps_pay(foundry, make_org,
                                                                    make_worker):
    from datafab.errors import Unauthorized
    from datafab.services import logins, profiles

    org = make_org()
    project = _project(foundry, org)
    ada = logins.sign_up(foundry, {"name": "Ada Lovelace", "email": "ada@example.org",
                                   "password": "correct horse battery"})
    profiles.update_skills(foundry, ada.id, {"languages": [{"name": "en",
                                                            "level": "native"}]})
    for lease in work.lease_items(foundry, ada, project.id, 10):
        work.submit(foundry, ada, lease.id, {"answer": {"label": "yes"}, "seconds_spent": 30})
    with foundry.db.read() as conn:
        paid = conn.execute(select(func.sum(earnings.c.amount_minor)).where(
            earnings.c.contributor_id == ada.id)).scalar_one()
        n_subs = conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.contributor_id == ada.id)).scalar_one()
    assert paid > 0 and n_subs > 0
    done = erasure.erase_contributor(foundry, ada.id)
    assert done["submissions_deleted"] == 0
    with foundry.db.read() as conn:
        row = conn.execute(select(contributors).where(contributors.c.id == ada.id)).one()
        assert "Ada" not in row.name and row.email is None and row.password_hash is None
        assert row.skills == [] and not row.skill_levels and row.status == "removed"
        assert conn.execute(select(func.sum(earnings.c.amount_minor)).where(
            earnings.c.contributor_id == ada.id)).scalar_one() == paid
        assert conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.contributor_id == ada.id)).scalar_one() == n_subs
        (tomb,) = conn.execute(select(audit_log).where(
            audit_log.c.action == "contributor.erased")).all()
    assert tomb.target == f"contributor:{ada.id}" and "Ada" not in str(tomb.details)
    with pytest.raises(Unauthorized):
        logins.log_in(foundry, "ada@example.org", "correct horse battery")
    worker = make_worker("Token holder")
    erasure.erase_contributor(foundry, worker.id)
    with pytest.raises(Unauthorized):
        authenticate_contributor(foundry, worker.token)
    with pytest.raises(NotFound):
        erasure.erase_contributor(foundry, 999_999)


def test_erasing_answers_recomputes_records_and_reopens_items(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold=0)
    keeper, leaver = make_worker("keeper"), make_worker("leaver")
    _answer(foundry, keeper, project, label="yes")
    _answer(foundry, leaver, project, label="no")
    with foundry.db.read() as conn:
        paid = conn.execute(select(func.sum(earnings.c.amount_minor)).where(
            earnings.c.contributor_id == leaver.id)).scalar_one()
        assert conn.execute(select(func.count()).select_from(items_table).where(
            items_table.c.status == "done")).scalar_one() == 4
    done = erasure.erase_contributor(foundry, leaver.id, answers=True)
    assert done["submissions_deleted"] == 4 and done["items_recomputed"] == 4
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.contributor_id == leaver.id)).scalar_one() == 0
        recs = conn.execute(select(records)).all()
        assert {r.n_submissions for r in recs} == {1}
        assert all(r.answer == {"label": "yes"} for r in recs)
        states = conn.execute(select(items_table.c.status, items_table.c.n_labels,
                                     items_table.c.slots)).all()
        assert set(states) == {("open", 1, 1)}  # each wants its second label again
        assert conn.execute(select(func.sum(earnings.c.amount_minor)).where(
            earnings.c.contributor_id == leaver.id)).scalar_one() == paid
    # The freed slots go to someone else.
    newcomer = authenticate_contributor(foundry, make_worker("newcomer").token)
    assert len(work.lease_items(foundry, newcomer, project.id, 10)) == 4


def test_contributor_erase_cli(foundry, database_url, make_org, make_worker, monkeypatch):
    from datafab.cli import app

    org = make_org()
    project = _project(foundry, org, gold=0)
    worker = make_worker("Grace")
    _answer(foundry, worker, project)
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["contributor", "erase", str(worker.id), "--answers"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(worker.id)
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar_one() == 0
        assert conn.execute(select(contributors.c.name).where(
            contributors.c.id == worker.id)).scalar_one() != "Grace"
    missing = CliRunner().invoke(app, ["contributor", "erase", "999999"])
    assert missing.exit_code == 2


def test_usage_keeps_its_amounts_after_erasure(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    _answer(foundry, make_worker(), project)
    with foundry.db.read() as conn:
        metered = conn.execute(select(func.coalesce(func.sum(usage_events.c.quantity), 0))
                               ).scalar_one()
    erasure.erase_project(foundry, org.id, project.id)
    with foundry.db.read() as conn:
        assert conn.execute(select(func.coalesce(func.sum(usage_events.c.quantity), 0))
                            ).scalar_one() == metered


def test_erasing_answers_leaves_a_reviewed_record_standing(foundry, make_org, make_worker):
    """An audit review's correction is the reviewer's, not the erased contributor's: the
    recompute after the erasure leaves it, as a refit does."""
    from datafab.store import curation

    org = make_org()
    project = _project(foundry, org, gold=0)
    keeper, leaver = make_worker("keeper"), make_worker("leaver")
    _answer(foundry, keeper, project, label="yes")
    _answer(foundry, leaver, project, label="no")
    with foundry.db.write() as conn:
        reviewed = conn.execute(select(records.c.item_id).order_by(records.c.item_id)
                                ).scalars().first()
        curation.correct_record(conn, reviewed, {"label": "no"}, 0.97, {"reviewed_by": 1}, 5.0)
    erasure.erase_contributor(foundry, leaver.id, answers=True)
    with foundry.db.read() as conn:
        recs = {r.item_id: r for r in conn.execute(select(records)).all()}
    assert len(recs) == 4
    kept = recs.pop(reviewed)
    assert (kept.answer, kept.method, kept.confidence, kept.n_submissions) == (
        {"label": "no"}, "review", 0.97, 2)
    assert all(r.answer == {"label": "yes"} and r.n_submissions == 1 for r in recs.values())
