"""Recruitment on both databases, over HTTP: each stage of the funnel (applied, screened,
credential checked, qualified, active, still active after 30 days) per campaign and per
source, the screening scored automatically, credentials reviewed by operators (approve
verifies the skill; reject needs a reason), and bad input refused by name with nothing
written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datafab.store.tables import contributors, credentials, recruit_applications

OPS = {"Authorization": "Bearer ops-token"}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def ops(foundry):
    foundry.settings.operator_token = "ops-token"


def _project(api, org):
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "triage", "primitive": "classify", "settings": {"labels": ["urgent", "routine"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).json()["id"]
    batch = [{"external_id": f"i{i}", "data": {"text": f"case {i}"}} for i in range(12)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"chest pain {i}"},
               "gold_answer": {"label": "urgent"}} for i in range(3)]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": batch})
    return pid


def _campaign(api, pid, **extra):
    body = {"name": "Cardiology nurses", "referral_code": "cardio-2026",
            "skills": [{"kind": "domain", "name": "medicine", "level": "professional"},
                       {"kind": "language", "name": "en"}],
            "questionnaire": ["Where do you practise?"],
            "screening": [{"skill": "medicine", "project_id": pid, "items": 2}],
            "pass_mark": 1.0, "expert_skills": ["medicine"], **extra}
    return api.post("/v1/ops/campaigns", headers=OPS, json=body)


def _screen(api, cid, worker, label):
    test = api.get(f"/v1/campaigns/{cid}/screening", headers=worker.headers).json()
    return api.post(f"/v1/campaigns/{cid}/screening", headers=worker.headers, json={
        "answers": [{"item_id": t["item_id"], "answer": {"label": label}} for t in test]})


def _work(api, pid, worker, n):
    for _ in range(n):
        (lease,) = api.post(f"/v1/projects/{pid}/leases", json={"n": 1},
                            headers=worker.headers).json()["leases"]
        assert api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                        json={"answer": {"label": "routine"}}).status_code == 200


def test_every_stage_of_the_funnel_per_campaign_and_source(api, foundry, clock, ops,
                                                           make_org, make_worker):
    org = make_org()
    pid = _project(api, org)
    r = _campaign(api, pid)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    ada, bob = make_worker("ada"), make_worker("bob")
    found = api.get("/v1/campaigns/by-code/cardio-2026", headers=ada.headers).json()
    assert found["id"] == cid and found["questionnaire"] == ["Where do you practise?"]
    applied = api.post(f"/v1/campaigns/{cid}/applications", headers=ada.headers, json={
        "answers": ["Leeds General"], "source": "referral"})
    assert applied.status_code == 201, applied.text
    assert len(applied.json()["screening"]) == 2
    assert "gold_answer" not in str(applied.json()["screening"])
    assert api.post(f"/v1/campaigns/{cid}/applications", headers=bob.headers,
                    json={"answers": ["Home"]}).status_code == 201
    clock.advance(3600)
    passed = _screen(api, cid, ada, "urgent").json()
    assert passed["passed"] and passed["score"] == 1.0
    failed = _screen(api, cid, bob, "routine").json()
    assert not failed["passed"] and failed["correct"] == 0
    assert _screen(api, cid, ada, "urgent").status_code == 409  # taken once

    clock.advance(7200)
    up = api.post("/v1/me/credentials", headers=ada.headers, data={"skill": "medicine"},
                  files={"file": ("licence.pdf", PDF, "application/pdf")})
    assert up.status_code == 201, up.text
    queue = api.get("/v1/ops/credentials", headers=OPS).json()["credentials"]
    assert [c["id"] for c in queue] == [up.json()["id"]]
    doc = api.get(f"/v1/ops/credentials/{up.json()['id']}/document", headers=OPS)
    assert doc.content == PDF and doc.headers["content-type"] == "application/pdf"
    clock.advance(3600)
    r = api.post(f"/v1/ops/credentials/{up.json()['id']}/review", headers=OPS,
                 json={"decision": "approved"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    with foundry.db.read() as conn:
        levels = conn.execute(select(contributors.c.skill_levels)
                              .where(contributors.c.id == ada.id)).scalar()
    assert levels["medicine"]["verified"] is True
    inbox = api.get("/v1/me/messages", headers=ada.headers).json()["messages"]
    assert "was approved" in inbox[0]["subject"]

    clock.advance(3600)
    _work(api, pid, ada, 10)
    clock.advance(31 * 86_400)
    _work(api, pid, ada, 1)
    _work(api, pid, bob, 1)  # works without passing screening: the funnel stops at screened

    shown = api.get(f"/v1/ops/campaigns/{cid}/funnel", headers=OPS).json()
    counts = {s["stage"]: s["count"] for s in shown["stages"]}
    assert counts == {"applied": 2, "screened": 1, "credential_checked": 1, "qualified": 1,
                      "active": 1, "retained": 1}
    stages = {s["stage"]: s for s in shown["stages"]}
    assert stages["screened"]["conversion"] == 0.5
    assert stages["screened"]["median_hours"] == pytest.approx(1.0)
    assert stages["credential_checked"]["median_hours"] == pytest.approx(3.0)
    assert stages["retained"]["median_hours"] == pytest.approx(31 * 24)
    referral = {s["stage"]: s["count"] for s in shown["by_source"]["referral"]}
    direct = {s["stage"]: s["count"] for s in shown["by_source"]["direct"]}
    assert referral["retained"] == 1 and direct == {
        "applied": 1, "screened": 0, "credential_checked": 0, "qualified": 0, "active": 0,
        "retained": 0}


def test_bad_recruiting_input_is_refused_by_name_and_writes_nothing(api, foundry, ops,
                                                                   make_org, make_worker):
    org = make_org()
    pid = _project(api, org)
    for extra, field in [({"expert_skills": ["law"]}, "expert_skills"),
                         ({"screening": [{"skill": "medicine", "project_id": pid,
                                          "items": 9}]}, "screening.0.items"),
                         ({"skills": [{"kind": "language", "name": "klingon"}]}, "skills.0"),
                         ({"referral_code": "NO SPACES"}, "referral_code")]:
        r = _campaign(api, pid, **extra)
        assert r.status_code == 422 and r.json()["error"]["field"].startswith(field), r.text
    worker = make_worker()
    assert api.post("/v1/ops/campaigns", headers=worker.headers,
                    json={"name": "x"}).status_code == 401
    cid = _campaign(api, pid).json()["id"]
    for body, field in [({"answers": []}, "answers"), ({"answers": [" "]}, "answers.0"),
                        ({"answers": ["x"], "source": "Bad Source!"}, "source")]:
        r = api.post(f"/v1/campaigns/{cid}/applications", headers=worker.headers, json=body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert api.post(f"/v1/campaigns/{cid + 9}/applications", headers=worker.headers,
                    json={"answers": ["x"]}).status_code == 404
    assert api.post(f"/v1/campaigns/{cid}/screening", headers=worker.headers,
                    json={"answers": []}).status_code == 404  # not applied yet
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(recruit_applications)
                            ).scalar_one() == 0
    api.post(f"/v1/campaigns/{cid}/applications", headers=worker.headers,
             json={"answers": ["x"]})
    assert api.post(f"/v1/campaigns/{cid}/applications", headers=worker.headers,
                    json={"answers": ["x"]}).status_code == 409
    r = api.post(f"/v1/campaigns/{cid}/screening", headers=worker.headers,
                 json={"answers": [{"item_id": 1, "answer": {"label": "urgent"}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "answers"

    uploads = [({"skill": "medicine"}, ("cv.exe", b"MZ\x90\x00binary", "application/pdf"),
                "file"),
               ({"skill": "medicine"}, ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024),
                                        "application/pdf"), "file"),
               ({"skill": "medicine"}, ("empty.pdf", b"", "application/pdf"), "file"),
               ({"skill": "wizardry!"}, ("ok.pdf", PDF, "application/pdf"), "skill")]
    for data, file, field in uploads:
        r = api.post("/v1/me/credentials", headers=worker.headers, data=data,
                     files={"file": file})
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (file[0], r.text)
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(credentials)).scalar_one() == 0
    made = api.post("/v1/me/credentials", headers=worker.headers, data={"skill": "medicine"},
                    files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n....", "image/png")})
    assert made.status_code == 201
    credential = made.json()["id"]
    r = api.post(f"/v1/ops/credentials/{credential}/review", headers=OPS,
                 json={"decision": "rejected", "reason": ""})
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    r = api.post(f"/v1/ops/credentials/{credential}/review", headers=OPS,
                 json={"decision": "rejected", "reason": "The scan is unreadable."})
    assert r.status_code == 200
    assert api.post(f"/v1/ops/credentials/{credential}/review", headers=OPS,
                    json={"decision": "approved"}).status_code == 409
    mine = api.get("/v1/me/credentials", headers=worker.headers).json()["credentials"]
    assert mine[0]["status"] == "rejected" and mine[0]["reason"] == "The scan is unreadable."
    with foundry.db.read() as conn:
        levels = conn.execute(select(contributors.c.skill_levels)
                              .where(contributors.c.id == worker.id)).scalar()
    assert not (levels or {}).get("medicine", {}).get("verified")


def test_the_recruit_cli_opens_campaigns_shows_funnels_and_reviews(
        api, foundry, database_url, monkeypatch, tmp_path, make_org, make_worker):
    import json

    from typer.testing import CliRunner

    from datafab.cli import app

    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    org = make_org()
    pid = _project(api, org)
    spec = tmp_path / "campaign.json"
    spec.write_text(json.dumps({"name": "Linguists", "skills": [{"kind": "language",
                                                                  "name": "fr"}],
                                "screening": [{"skill": "fr", "project_id": pid,
                                               "items": 1}]}))
    runner = CliRunner()
    made = runner.invoke(app, ["recruit", "create", "--file", str(spec)])
    assert made.exit_code == 0, made.output
    cid = json.loads(made.stdout)["id"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "pass_mark": 2}))
    refused = runner.invoke(app, ["recruit", "create", "--file", str(bad)])
    assert refused.exit_code == 2 and "pass_mark" in refused.stderr
    worker = make_worker()
    api.post(f"/v1/campaigns/{cid}/applications", headers=worker.headers, json={})
    shown = runner.invoke(app, ["recruit", "funnel", str(cid)])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["stages"][0] == {"stage": "applied", "count": 1,
                                                     "conversion": 1.0, "median_hours": None}
    api.post("/v1/me/credentials", headers=worker.headers, data={"skill": "fr"},
             files={"file": ("d.pdf", PDF, "application/pdf")})
    queue = json.loads(runner.invoke(app, ["recruit", "credentials"]).stdout)
    assert len(queue) == 1
    done = runner.invoke(app, ["recruit", "review", str(queue[0]["id"]), "--decision",
                               "approved"])
    assert done.exit_code == 0 and json.loads(done.stdout)["status"] == "approved"
    assert json.loads(runner.invoke(app, ["recruit", "list"]).stdout)[0]["name"] == "Linguists"
