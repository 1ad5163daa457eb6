"""Auditing a project's labels through the API job, the CLI and the review loop."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services.curation import runs
from datafab.store.tables import curation_runs, projects

from .conftest import LABELS, PLANTED, label_all, make_project


def _finished_audit(api, foundry, org, project):
    r = api.post(f"/v1/projects/{project['id']}/audit", headers=org.headers)
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "running" and run["total"] > 0
    runs.jobs(foundry).wait(run["id"], timeout=120)
    r = api.get(f"/v1/projects/{project['id']}/audit/{run['id']}", headers=org.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _count(foundry, table):
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_planted_wrong_label_is_found_near_the_top(api, foundry, labelled):
    org, project, truth = labelled
    run = _finished_audit(api, foundry, org, project)
    assert run["status"] == "done", run["error"]
    assert run["done"] == run["total"]
    lines = run["result"]["lines"]
    assert len(lines) == 60
    assert [line["p_wrong"] for line in lines] == sorted(
        (line["p_wrong"] for line in lines), reverse=True)
    top = {line["external_id"]: line for line in lines[:3]}
    assert PLANTED in top
    assert top[PLANTED]["label"] == "cars" and top[PLANTED]["suggested"] == "fruit"
    assert top[PLANTED]["p_wrong"] > 0.5
    # the honest labels are mostly judged right
    assert sum(line["p_wrong"] > 0.5 for line in lines) <= 3


def test_the_cli_writes_the_ranking_as_json_lines(api, foundry, labelled, database_url,
                                                  monkeypatch, tmp_path):
    org, project, _ = labelled
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    out = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(app, ["audit", "--project", str(project["id"]), "--output",
                                      str(out), "--api-key", org.key])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert set(lines[0]) == {"external_id", "label", "suggested", "p_wrong"}
    assert PLANTED in [line["external_id"] for line in lines[:3]]


def test_a_relabelled_suspect_corrects_its_record_and_says_so(api, foundry, labelled,
                                                              make_worker):
    org, project, truth = labelled
    run = _finished_audit(api, foundry, org, project)
    r = api.post(f"/v1/projects/{project['id']}/audit/{run['id']}/review",
                 json={"n": 3, "sample": 6}, headers=org.headers)
    assert r.status_code == 201, r.text
    review = r.json()
    assert (review["suspects"], review["sample"]) == (3, 6)
    items = api.get(f"/v1/projects/{review['project_id']}/items",
                    headers=org.headers).json()["data"]
    assert len(items) == review["items"] and 6 <= len(items) <= 9
    n = len(items)
    for name in ("r1", "r2", "r3", "r4", "r5"):  # adaptive overlap: people until it is sure
        worker = make_worker(name)
        label_all(api, {"id": review["project_id"]}, worker, lambda ext: truth[ext])
    progress = api.get(f"/v1/projects/{review['project_id']}/progress",
                       headers=org.headers).json()
    assert progress.get("done") == n, progress
    r = api.post(f"/v1/projects/{review['project_id']}/audit/corrections",
                 headers=org.headers)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["reviewed"] == n, (result, api.get(
        f"/v1/projects/{review['project_id']}/records", headers=org.headers).json())
    assert [c["external_id"] for c in result["corrected"]] == [PLANTED]
    assert result["error_rate"]["sample"] == 6
    sampled = [i["external_id"] for i in items if i["meta"]["audit"]["sample"]]
    wrong = int(PLANTED in sampled)
    assert result["error_rate"]["wrong"] == wrong
    assert result["error_rate"]["rate"] == wrong / 6
    low, high = result["error_rate"]["interval"]
    assert low <= wrong / 6 <= high < 1

    def planted_record():
        data = api.get(f"/v1/projects/{project['id']}/records?limit=1000",
                       headers=org.headers).json()["data"]
        return next(rec for rec in data if rec["external_id"] == PLANTED)

    record = planted_record()
    assert record["answer"] == {"label": "fruit"} and record["method"] == "review"
    [change] = record["details"]["corrections"]
    assert change["from"] == {"label": "cars"} and change["to"] == {"label": "fruit"}
    assert change["review_project_id"] == review["project_id"]
    # the export's lineage says so too, and a refit of the project leaves the correction
    assert api.post(f"/v1/projects/{project['id']}/refit", headers=org.headers
                    ).status_code == 200
    assert planted_record()["answer"] == {"label": "fruit"}
    exported = api.get(f"/v1/projects/{project['id']}/export?format=records",
                       headers=org.headers)
    assert exported.status_code == 200, exported.text
    row = next(json.loads(line) for line in exported.text.splitlines()
               if json.loads(line)["external_id"] == PLANTED)
    assert row["corrections"][0]["to"] == {"label": "fruit"}


def test_an_audit_of_a_project_without_labels_or_with_one_class_is_refused(
        api, foundry, make_org, make_worker):
    org = make_org()
    empty, _ = make_project(api, org, name="empty")
    r = api.post(f"/v1/projects/{empty['id']}/audit", headers=org.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "project"
    assert "no labelled items" in r.json()["error"]["message"]
    one, _ = make_project(api, org, name="one class", n=12)
    assert label_all(api, one, make_worker(), lambda ext: LABELS[0]) == 12
    r = api.post(f"/v1/projects/{one['id']}/audit", headers=org.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "project"
    assert "two classes" in r.json()["error"]["message"]
    assert _count(foundry, curation_runs) == 0


def test_a_review_larger_than_the_project_is_refused_naming_the_option(
        foundry, labelled, database_url, monkeypatch, tmp_path):
    org, project, _ = labelled
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    before = _count(foundry, projects)
    out = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(app, ["audit", "--project", str(project["id"]), "--output",
                                      str(out), "--review", "61", "--api-key", org.key])
    assert result.exit_code == 2, result.output
    assert "--review" in result.output and "60" in result.output
    assert not out.exists()
    assert _count(foundry, projects) == before


def test_another_organization_sees_none_of_it(api, foundry, labelled, make_org):
    org, project, _ = labelled
    run = _finished_audit(api, foundry, org, project)
    other = make_org("Other")
    pid = project["id"]
    calls = [("post", f"/v1/projects/{pid}/audit", None),
             ("get", f"/v1/projects/{pid}/audit/{run['id']}", None),
             ("post", f"/v1/projects/{pid}/audit/{run['id']}/review", {"n": 1}),
             ("post", f"/v1/projects/{pid}/audit/corrections", None),
             ("post", f"/v1/projects/{pid}/select", {"n": 1}),
             ("get", f"/v1/projects/{pid}/learning-curve", None)]
    for method, url, body in calls:
        r = getattr(api, method)(url, headers=other.headers,
                                 **({"json": body} if body is not None else {}))
        assert r.status_code == 404, (url, r.status_code, r.text)
    # its own project cannot reach this run either
    mine, _ = make_project(api, other, name="mine")
    r = api.get(f"/v1/projects/{mine['id']}/audit/{run['id']}", headers=other.headers)
    assert r.status_code == 404
    assert api.post(f"/v1/projects/{pid}/audit").status_code == 401


def test_several_labels_enter_through_the_projects_estimator(api, foundry, make_org,
                                                            make_worker):
    from datafab.services.curation import audit

    org = make_org()
    project, truth = make_project(api, org, name="crowd",
                                  policy={"min_labels": 3, "max_labels": 3})
    for name in ("c1", "c2", "c3"):
        wrong = name != "c1"  # two of three agree on the planted mistake
        label_all(api, project, make_worker(name),
                  lambda ext, wrong=wrong: "cars" if wrong and ext == PLANTED else truth[ext])
    report = audit.run_audit(audit.prepare(foundry, org.id, project["id"]))
    assert report.crowd_items == 60
    assert report.lines[0]["external_id"] == PLANTED
    # two near-perfect people agreeing outweigh the model, but it is the one doubt left
    assert report.lines[0]["label"] == "cars"
    assert report.lines[0]["p_wrong"] > 10 * report.lines[1]["p_wrong"]


def test_a_job_that_fails_says_why(api, foundry, labelled, monkeypatch):
    from datafab.errors import InvalidInput
    from datafab.services.curation import audit

    def broken(prepared, **kwargs):
        raise InvalidInput("features: the classifier needs scikit-learn", field="features")

    monkeypatch.setattr(audit, "run_audit", broken)
    org, project, _ = labelled
    run = _finished_audit(api, foundry, org, project)
    assert run["status"] == "failed" and run["result"] is None
    assert "scikit-learn" in run["error"]
    r = api.post(f"/v1/projects/{project['id']}/audit/{run['id']}/review", json={"n": 1},
                 headers=org.headers)
    assert r.status_code == 409 and r.json()["error"]["field"] == "run_id"


def test_a_run_whose_process_stopped_is_settled_as_failed(api, foundry, clock, labelled):
    from datafab.services.curation import runs
    from datafab.store import curation as store

    org, project, _ = labelled
    with foundry.db.write() as conn:  # a run whose server stopped mid-way: running, silent
        run_id = store.insert_run(conn, project["id"], "audit", "running", 7, clock())
    path = f"/v1/projects/{project['id']}/audit/{run_id}"
    assert api.get(path, headers=org.headers).json()["status"] == "running"
    clock.advance(runs.STALE_AFTER_SECONDS + 1)
    run = api.get(path, headers=org.headers).json()
    assert run["status"] == "failed" and "start the audit again" in run["error"]
    assert api.get(path, headers=org.headers).json()["updated_at"] == run["updated_at"]
