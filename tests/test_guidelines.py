"""Guidelines that change: a material change stops the leases of everyone who worked under
an earlier version until they acknowledge it (after a quiz of gold items when asked), the
requester sees who has, and bad acknowledgements write nothing. Both databases, over HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from datafab.store.tables import guideline_acks, guideline_changes


def _setup(api, org, *, n=20, gold=4):
    r = api.post("/v1/projects", json={
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "guidelines": "say yes to cats", "policy": {"min_labels": 2, "max_labels": 2}},
        headers=org.headers)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}, "gold_explanation": "cats"} for i in range(gold)]
    assert api.post(f"/v1/projects/{pid}/items", json={"items": batch},
                    headers=org.headers).status_code in (200, 201)
    return pid


def _lease(api, pid, worker, n=1):
    r = api.post(f"/v1/projects/{pid}/leases", json={"n": n}, headers=worker.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _work_one(api, pid, worker):
    for lease in _lease(api, pid, worker)["leases"]:
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "yes"}},
                     headers=worker.headers)
        assert r.status_code == 200, r.text


def _change(api, org, pid, **extra):
    return api.patch(f"/v1/projects/{pid}", json={
        "guidelines": "say yes to cats and to dogs", "changelog": "dogs count as yes now",
        "requires_acknowledgement": True, **extra}, headers=org.headers)


def test_a_material_change_stops_leases_until_acknowledged(api, make_org, make_worker):
    org = make_org()
    pid = _setup(api, org)
    veteran, newcomer = make_worker("veteran"), make_worker("newcomer")
    _work_one(api, pid, veteran)
    r = _change(api, org, pid)
    assert r.status_code == 200 and r.json()["guideline_version"] == 2
    stopped = _lease(api, pid, veteran, 3)
    assert stopped["state"] == "guidelines_changed" and stopped["leases"] == []
    assert "dogs count as yes now" in stopped["reason"]
    fresh = _lease(api, pid, newcomer)  # never worked under version 1: nothing to acknowledge
    assert fresh["state"] == "open" and len(fresh["leases"]) == 1

    roster = api.get(f"/v1/projects/{pid}/guidelines/acknowledgements", headers=org.headers)
    assert roster.status_code == 200
    (row,) = roster.json()["contributors"]
    assert row["acknowledged_at"] is None and row["contributor"].startswith("c_")

    owed = api.get(f"/v1/projects/{pid}/guidelines/pending", headers=veteran.headers).json()
    assert owed["pending"] and owed["version"] == 2 and owed["changelog"] == "dogs count as yes now"
    r = api.post(f"/v1/projects/{pid}/guidelines/acknowledge", json={"version": 2},
                 headers=veteran.headers)
    assert r.status_code == 200 and r.json()["acknowledged"] is True
    again = _lease(api, pid, veteran)
    assert again["state"] == "open" and len(again["leases"]) == 1
    (row,) = api.get(f"/v1/projects/{pid}/guidelines/acknowledgements",
                     headers=org.headers).json()["contributors"]
    assert row["acknowledged_at"] is not None
    changes = api.get(f"/v1/projects/{pid}/guidelines/changes", headers=org.headers).json()
    assert [c["version"] for c in changes["changes"]] == [2]


def test_a_change_without_acknowledgement_does_not_stop_anyone(api, make_org, make_worker):
    org = make_org()
    pid = _setup(api, org)
    worker = make_worker()
    _work_one(api, pid, worker)
    r = api.patch(f"/v1/projects/{pid}", json={"guidelines": "typo fixed",
                                               "changelog": "a typo"}, headers=org.headers)
    assert r.status_code == 200
    assert _lease(api, pid, worker)["state"] == "open"


def test_the_quiz_must_be_passed_before_the_acknowledgement_counts(api, make_org, make_worker):
    org = make_org()
    pid = _setup(api, org, gold=4)
    worker = make_worker()
    _work_one(api, pid, worker)
    assert _change(api, org, pid, quiz_items=3).status_code == 200
    owed = api.get(f"/v1/projects/{pid}/guidelines/pending", headers=worker.headers).json()
    quiz = owed["quiz"]
    assert len(quiz) == 3 and all("gold_answer" not in q for q in quiz)
    wrong = [{"item_id": q["item_id"], "answer": {"label": "no"}} for q in quiz]
    r = api.post(f"/v1/projects/{pid}/guidelines/acknowledge", json={"answers": wrong},
                 headers=worker.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["acknowledged"] is False and body["quiz"]["correct"] == 0
    assert body["quiz"]["items"][0]["expected"] == {"label": "yes"}
    assert _lease(api, pid, worker)["state"] == "guidelines_changed"
    right = [{"item_id": q["item_id"], "answer": {"label": "yes"}} for q in quiz]
    r = api.post(f"/v1/projects/{pid}/guidelines/acknowledge", json={"answers": right},
                 headers=worker.headers)
    assert r.json()["acknowledged"] is True and r.json()["quiz"]["passed"] is True
    assert _lease(api, pid, worker)["state"] == "open"


def _count(foundry, table):
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_bad_acknowledgements_and_changes_name_the_field_and_write_nothing(
        api, foundry, make_org, make_worker):
    org = make_org()
    pid = _setup(api, org, gold=2)
    worker = make_worker()
    _work_one(api, pid, worker)
    for body, field in [({"changelog": "no text"}, "changelog"),
                        ({"guidelines": "x", "requires_acknowledgement": True}, "changelog"),
                        ({"guidelines": "x", "changelog": "c", "requires_acknowledgement": True,
                          "quiz_items": 5}, "quiz_items"),
                        ({"guidelines": "x", "changelog": "c", "quiz_items": 1}, "quiz_items")]:
        r = api.patch(f"/v1/projects/{pid}", json=body, headers=org.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (body, r.text)
    assert api.get(f"/v1/projects/{pid}", headers=org.headers).json()["guideline_version"] == 1
    assert _count(foundry, guideline_changes) == 0

    assert _change(api, org, pid, quiz_items=1).status_code == 200
    for body, field in [({"version": 7}, "version"), ({"version": 0}, "version"),
                        ({"answers": []}, "answers"),
                        ({"answers": [{"item_id": 1, "answer": {"label": "yes"}}]}, "answers")]:
        r = api.post(f"/v1/projects/{pid}/guidelines/acknowledge", json=body,
                     headers=worker.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (body, r.text)
    assert _count(foundry, guideline_acks) == 0
    assert _lease(api, pid, worker)["state"] == "guidelines_changed"


def test_another_organizations_project_is_not_found(api, make_org, make_worker):
    org, other = make_org("a"), make_org("b")
    pid = _setup(api, org)
    for path in ("changes", "acknowledgements"):
        r = api.get(f"/v1/projects/{pid}/guidelines/{path}", headers=other.headers)
        assert r.status_code == 404
    r = api.post(f"/v1/projects/{pid + 1000}/guidelines/acknowledge", json={},
                 headers=make_worker().headers)
    assert r.status_code == 404


def test_the_cli_shows_the_changelog_and_who_acknowledged(api, foundry, database_url,
                                                          monkeypatch, make_org, make_worker):
    import json

    from typer.testing import CliRunner

    from datafab.cli import app

    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    org = make_org()
    pid = _setup(api, org)
    worker = make_worker()
    _work_one(api, pid, worker)
    assert _change(api, org, pid).status_code == 200
    runner = CliRunner()
    shown = runner.invoke(app, ["guidelines", "changes", str(pid)],
                          env={"DATAFAB_API_KEY": org.key})
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[0]["changelog"] == "dogs count as yes now"
    roster = runner.invoke(app, ["guidelines", "acknowledgements", str(pid)],
                           env={"DATAFAB_API_KEY": org.key})
    assert roster.exit_code == 0 and "0 of 1 acknowledged" in roster.stderr
    other = make_org("b")
    refused = runner.invoke(app, ["guidelines", "changes", str(pid)],
                            env={"DATAFAB_API_KEY": other.key})
    assert refused.exit_code == 2 and "not found" in refused.stderr
