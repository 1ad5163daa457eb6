"""Disputes of gold verdicts on both databases: a corrected gold item re-scores everyone who
answered it (gold accuracy, qualification, probation, removal, bonuses) with the change in
the audit log and the contributors told; bad disputes name the field and write nothing."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from datafab.errors import NotFound
from datafab.services import items, pay, projects, work, workforce
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import audit_log, contributor_skills, gold_disputes, submissions
from datafab.store.tables import items as items_table

OPS = {"Authorization": "Bearer ops-token"}


class AlwaysGold(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture
def gold_first(monkeypatch):
    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(0))


@pytest.fixture
def ops(foundry):
    foundry.settings.operator_token = "ops-token"


def _project(foundry, org, *, gold=5, policy=None):
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1, "gold_rate": 0.5}})
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(20)]
    # g0's expected answer is wrong: the text says no
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}, "gold_explanation": "it says yes"}
              for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)
    if policy is not None:
        workforce.set_policy(foundry, org.id, project.id, policy)
    return project


def _answer_gold(foundry, who, project, n):
    """Answer ``n`` gold items (g0 'no', the rest 'yes') and the real items that come along;
    the submission id of the answer to g0."""
    disputed = None
    answered = 0
    while answered < n:
        batch = work.lease_batch(foundry, who, project.id, 1)
        assert batch.leases, batch
        for lease in batch.leases:
            label = "no" if lease.external_id == "g0" else "yes"
            receipt = work.submit(foundry, who, lease.id, {"answer": {"label": label}})
            if lease.external_id.startswith("g"):
                answered += 1
            if lease.external_id == "g0":
                disputed = receipt.submission_id
    return disputed


PERFORMANCE = {"performance": {"min_accuracy": 0.95, "min_gold": 5, "confidence": 0.55,
                               "probation_gold_rate": 1.0}}


def test_a_corrected_gold_item_lifts_a_wrongly_probationed_contributor(
        api, foundry, ops, gold_first, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, policy=PERFORMANCE)
    worker = make_worker()
    who = authenticate_contributor(foundry, worker.token)
    disputed = _answer_gold(foundry, who, project, 5)
    assert disputed is not None
    actions = workforce.review(foundry, org.id, project.id)
    assert [a["action"] for a in actions] == ["probation"]
    (standing,) = workforce.standings(foundry, org.id, project.id)
    assert standing.standing == "probation" and (standing.gold_seen, standing.gold_correct) \
        == (5, 4)

    r = api.post(f"/v1/projects/{project.id}/disputes", headers=worker.headers,
                 json={"submission_id": disputed, "reason": "the text plainly says no"})
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert dispute["status"] == "open"
    queue = api.get("/v1/disputes", headers=OPS).json()["disputes"]
    assert [d["id"] for d in queue] == [dispute["id"]]
    assert queue[0]["gold_answer"] == {"label": "yes"} and queue[0]["answer"] == {"label": "no"}

    r = api.post(f"/v1/disputes/{dispute['id']}/resolve", headers=OPS,
                 json={"decision": "upheld", "reason": "g0 says no; the gold was wrong"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["corrected_answer"] == {"label": "no"}
    (change,) = out["changes"]
    assert change["gold"] == {"before": [5, 4], "after": [5, 5]}
    assert change["standing"]["before"] == "probation" and change["standing"]["after"] == "active"
    assert set(change) == {"contributor_id", "gold", "standing"}  # only what changed

    (standing,) = workforce.standings(foundry, org.id, project.id)
    assert standing.standing == "active" and standing.gold_correct == 5
    with foundry.db.read() as conn:
        row = conn.execute(select(contributor_skills.c.gold_seen,
                                  contributor_skills.c.gold_correct)).one()
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert tuple(row) == (5, 5)
    assert {"dispute.filed", "dispute.upheld", "contributor.rescored"} <= actions
    assert work.lease_batch(foundry, who, project.id, 1).state == "open"  # no more probation
    inbox = api.get("/v1/me/messages", headers=worker.headers).json()
    subjects = [m["subject"] for m in inbox["messages"]]
    assert inbox["unread"] == 2
    assert any("was upheld" in s for s in subjects) and any("recomputed" in s for s in subjects)
    mine = api.get("/v1/me/disputes", headers=worker.headers).json()["disputes"]
    assert mine[0]["status"] == "upheld"
    first = inbox["messages"][0]["id"]
    assert api.post(f"/v1/me/messages/{first}/read", headers=worker.headers).status_code == 200
    assert api.get("/v1/me/messages", headers=worker.headers).json()["unread"] == 1


def test_a_correction_undoes_a_removal_and_a_failed_qualification(
        api, foundry, ops, gold_first, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold=5, policy={
        "qualification": {"items": 5, "pass_mark": 1.0}, "pay": {"per_task_minor": 10}})
    worker = make_worker()
    who = authenticate_contributor(foundry, worker.token)
    disputed = _answer_gold(foundry, who, project, 5)
    with pytest.raises(NotFound):  # failed on g0: the project is gone for them
        work.lease_batch(foundry, who, project.id, 1)
    r = api.post(f"/v1/projects/{project.id}/disputes", headers=worker.headers,
                 json={"submission_id": disputed, "reason": "says no"})
    assert r.status_code == 201
    r = api.post(f"/v1/disputes/{r.json()['id']}/resolve", headers=OPS,
                 json={"decision": "upheld", "reason": "fixed", "corrected_answer":
                       {"label": "no"}, "explanation": "the text says no"})
    assert r.status_code == 200, r.text
    (change,) = r.json()["changes"]
    assert change["qualification"] == {"before": "failed", "after": "passed"}
    assert "bonus_minor" not in change and "standing" not in change  # not null: unchanged
    assert work.lease_batch(foundry, who, project.id, 1).leases  # qualified: work comes

    # a removal the review decided on gold accuracy is undone too
    other = make_worker("other")
    them = authenticate_contributor(foundry, other.token)
    workforce.set_policy(foundry, org.id, project.id, PERFORMANCE | {
        "pay": {"per_task_minor": 10}})
    with foundry.db.write() as conn:  # g1's gold turns out wrong later: the text says no
        conn.execute(items_table.update().where(items_table.c.external_id == "g1")
                     .values(gold_answer={"label": "yes"}))
    for _ in range(6):
        batch = work.lease_batch(foundry, them, project.id, 1)
        for lease in batch.leases:
            label = "no" if lease.external_id in ("g0", "g1") else "yes"
            work.submit(foundry, them, lease.id, {"answer": {"label": label}})
    workforce.set_standing(foundry, org.id, project.id, other.id, "probation")
    with foundry.db.write() as conn:
        conn.execute(workforce_members_reason(), {"p": project.id, "c": other.id})
    removed = workforce.remove(foundry, org.id, project.id, other.id,
                               reason="gold accuracy 0.80 below 0.95 on probation")
    assert removed["uncounted"] > 0
    with foundry.db.read() as conn:
        g1 = conn.execute(select(submissions.c.id).join(
            items_table, items_table.c.id == submissions.c.item_id).where(
            items_table.c.external_id == "g1", submissions.c.contributor_id == other.id)
        ).scalar_one()
    r = api.post(f"/v1/projects/{project.id}/disputes", headers=other.headers,
                 json={"submission_id": g1, "reason": "g1 says no"})
    assert r.status_code == 201, r.text
    r = api.post(f"/v1/disputes/{r.json()['id']}/resolve", headers=OPS,
                 json={"decision": "upheld", "reason": "fixed g1"})
    changes = {c["contributor_id"]: c for c in r.json()["changes"]}
    lifted = changes[other.id]["standing"]
    assert lifted["before"] == "removed" and lifted["after"] == "active"
    assert lifted["counted_again"] == removed["uncounted"]
    assert lifted["pay_restored_minor"] == 10 * removed["uncounted"]
    with foundry.db.read() as conn:
        counted = conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.contributor_id == other.id, submissions.c.counted.is_(False))
        ).scalar_one()
    assert counted == 0
    # the first worker answered g1 'yes': the correction counts it wrong now, and says so
    assert changes[worker.id]["gold"]["after"][1] == changes[worker.id]["gold"]["before"][1] - 1
    assert pay.ledger(foundry, other.id)


def workforce_members_reason():
    from sqlalchemy import text

    return text("UPDATE project_members SET reason = 'gold accuracy 0.80 below 0.95' "
                "WHERE project_id = :p AND contributor_id = :c")


def test_bad_disputes_name_the_field_and_write_nothing(api, foundry, ops, gold_first,
                                                      make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    worker, other = make_worker("w"), make_worker("o")
    who = authenticate_contributor(foundry, worker.token)
    disputed = _answer_gold(foundry, who, project, 5)
    (lease,) = work.lease_items(foundry, who, project.id)  # gold is used up: a real item
    work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
    with foundry.db.read() as conn:
        rows = conn.execute(select(submissions.c.id, items_table.c.external_id).join(
            items_table, items_table.c.id == submissions.c.item_id)).all()
    ordinary = next(sid for sid, ext in rows if ext.startswith("i"))
    right = next(sid for sid, ext in rows if ext.startswith("g") and ext != "g0")
    url = f"/v1/projects/{project.id}/disputes"
    cases = [
        (worker, {"submission_id": ordinary, "reason": "x"}, 422, "submission_id"),
        (worker, {"submission_id": right, "reason": "x"}, 422, "submission_id"),
        (other, {"submission_id": disputed, "reason": "x"}, 404, "submission_id"),
        (worker, {"submission_id": disputed, "reason": ""}, 422, "reason"),
        (worker, {"submission_id": disputed, "reason": "   "}, 422, "reason"),
        (worker, {"submission_id": disputed}, 422, "reason"),
        (worker, {"submission_id": 10**6, "reason": "x"}, 404, "submission_id"),
    ]
    for who_, body, status, field in cases:
        r = api.post(url, json=body, headers=who_.headers)
        assert r.status_code == status and r.json()["error"]["field"] == field, (body, r.text)
    r = api.post(f"/v1/projects/{project.id + 99}/disputes", headers=worker.headers,
                 json={"submission_id": disputed, "reason": "x"})
    assert r.status_code == 404
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(gold_disputes)).scalar_one() == 0
    made = api.post(url, json={"submission_id": disputed, "reason": "x"}, headers=worker.headers)
    assert made.status_code == 201
    again = api.post(url, json={"submission_id": disputed, "reason": "x"},
                     headers=worker.headers)
    assert again.status_code == 409
    dispute_id = made.json()["id"]
    # operators only, and bad decisions name the field
    assert api.get("/v1/disputes", headers=worker.headers).status_code == 401
    assert api.get("/v1/disputes", headers=org.headers).status_code == 401
    for body, field in [({"decision": "maybe", "reason": "x"}, "decision"),
                        ({"decision": "open", "reason": "x"}, "decision"),
                        ({"decision": "upheld", "reason": ""}, "reason"),
                        ({"decision": "upheld", "reason": "x",
                          "corrected_answer": {"label": "maybe"}}, "corrected_answer.label"),
                        ({"decision": "rejected", "reason": "x",
                          "corrected_answer": {"label": "no"}}, "corrected_answer")]:
        r = api.post(f"/v1/disputes/{dispute_id}/resolve", json=body, headers=OPS)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["field"].startswith(field), (body, r.text)
    with foundry.db.read() as conn:
        assert conn.execute(select(gold_disputes.c.status)).scalar_one() == "open"
    r = api.post(f"/v1/disputes/{dispute_id}/resolve", headers=OPS,
                 json={"decision": "rejected", "reason": "the text is ambiguous; yes stands"})
    assert r.status_code == 200 and r.json()["changes"] == []
    assert api.post(f"/v1/disputes/{dispute_id}/resolve", headers=OPS,
                    json={"decision": "rejected", "reason": "x"}).status_code == 409
    with foundry.db.read() as conn:
        gold = conn.execute(select(items_table.c.gold_answer).where(
            items_table.c.external_id == "g0")).scalar_one()
    assert gold == {"label": "yes"}
    messages = api.get("/v1/me/messages", headers=worker.headers).json()["messages"]
    assert "rejected" in messages[0]["subject"] and "yes stands" in messages[0]["body"]


def test_operators_list_and_decide_disputes_from_the_cli(api, foundry, database_url,
                                                         monkeypatch, gold_first, make_org,
                                                         make_worker):
    import json

    from typer.testing import CliRunner

    from datafab.cli import app

    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    org = make_org()
    project = _project(foundry, org)
    worker = make_worker()
    who = authenticate_contributor(foundry, worker.token)
    disputed = _answer_gold(foundry, who, project, 5)
    made = api.post(f"/v1/projects/{project.id}/disputes", headers=worker.headers,
                    json={"submission_id": disputed, "reason": "says no"}).json()
    runner = CliRunner()
    listed = runner.invoke(app, ["disputes", "list"])
    assert listed.exit_code == 0, listed.output
    assert [d["id"] for d in json.loads(listed.stdout)] == [made["id"]]
    bad = runner.invoke(app, ["disputes", "resolve", str(made["id"]), "--decision", "upheld",
                              "--reason", "x", "--answer", '{"label": "maybe"}'])
    assert bad.exit_code == 2 and "corrected_answer" in bad.stderr
    bad = runner.invoke(app, ["disputes", "list", "--status", "lost"])
    assert bad.exit_code == 2 and "status" in bad.stderr
    done = runner.invoke(app, ["disputes", "resolve", str(made["id"]), "--decision", "upheld",
                               "--reason", "the gold was wrong", "--answer",
                               '{"label": "no"}'])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["changes"][0]["gold"] == {"before": [5, 4], "after": [5, 5]}
    assert json.loads(runner.invoke(app, ["disputes", "list"]).stdout) == []
