"""The budget planner through the API and the CLI, on a real project with paid labels."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services import items, projects, work, workforce
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import audit_log, project_plans

LABELS = ["yes", "no"]
N_ITEMS = 80
PRICE = 20  # minor units per label


def _crowd(foundry, org, make_worker, *, n_items=N_ITEMS, skills=(0.85, 0.8, 0.75, 0.7, 0.65)):
    """Contributors right ``skills`` of the time, each labelling every item."""
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": len(skills), "max_labels": len(skills),
                   "target_confidence": 0.9999}})
    workforce.set_policy(foundry, org.id, project.id,
                         {"pay": {"per_task_minor": PRICE, "per_minute_minor": 0}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n_items)])
    rng = random.Random(11)
    for n, skill in enumerate(skills):
        who = authenticate_contributor(foundry, make_worker(f"w{n}").token)
        while leases := work.lease_items(foundry, who, project.id, 20):
            for lease in leases:
                right = LABELS[int(lease.external_id[1:]) % 2]
                said = right if rng.random() < skill else [x for x in LABELS if x != right][0]
                work.submit(foundry, who, lease.id, {"answer": {"label": said},
                                                     "seconds_spent": 10})
    return project


def _plans(foundry, project_id) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(project_plans)
                            .where(project_plans.c.project_id == project_id)).scalar_one()


@pytest.fixture
def crowd(foundry, make_org, make_worker):
    org = make_org()
    return org, _crowd(foundry, org, make_worker)


def test_plan_recommends_within_the_budget_and_more_money_never_plans_worse(api, crowd):
    org, project = crowd
    url = f"/v1/projects/{project.id}/plan"
    answers = []
    for per_item in (1, 2, 3, 5):
        r = api.get(url, params={"budget": per_item * PRICE * N_ITEMS}, headers=org.headers)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    first = answers[0]
    assert first["status"] == "plan" and first["unit"] == "USD"
    assert first["items"] == N_ITEMS and first["labels"] == 5 * N_ITEMS
    for body in answers:
        rec = body["recommended"]
        assert rec["covers_all"] and rec["cost"] <= body["budget"] + 1e-6
        assert rec["point"]["low"] <= rec["point"]["accuracy"] <= rec["point"]["high"]
        costs = [p["cost_per_record"] for p in body["frontier"]]
        accs = [p["accuracy"] for p in body["frontier"]]
        assert costs == sorted(costs) and accs == sorted(accs) and len(accs) >= 2
    predicted = [b["recommended"]["point"]["accuracy"] for b in answers]
    assert all(b >= a - 0.005 for a, b in zip(predicted, predicted[1:], strict=False))
    assert predicted[-1] > predicted[0]
    assert answers[0]["recommended"]["point"]["labels_per_record"] == 1.0
    assert _plans(api.app.state.foundry, project.id) == 0  # planning writes nothing


@pytest.mark.parametrize("budget", ["0", "-5", "abc", "nan", "inf", "1e400"])
def test_bad_budgets_are_refused_by_name(api, crowd, budget):
    org, project = crowd
    r = api.get(f"/v1/projects/{project.id}/plan", params={"budget": budget},
                headers=org.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "budget"
    r = api.post(f"/v1/projects/{project.id}/plan/apply", json={"budget": budget},
                 headers=org.headers)
    assert r.status_code == 422 and "budget" in r.json()["error"]["field"]
    missing = api.get(f"/v1/projects/{project.id}/plan", headers=org.headers)
    assert missing.status_code == 422 and "budget" in missing.json()["error"]["field"]


def test_apply_sets_the_policy_and_remembers_the_prediction(api, crowd):
    org, project = crowd
    foundry = api.app.state.foundry
    budget = 3 * PRICE * N_ITEMS
    bad = api.post(f"/v1/projects/{project.id}/plan/apply", json={"budget": -1},
                   headers=org.headers)
    assert bad.status_code == 422
    assert _plans(foundry, project.id) == 0
    unchanged = projects.get_project(foundry, org.id, project.id).policy
    assert unchanged.min_labels == 5
    r = api.post(f"/v1/projects/{project.id}/plan/apply", json={"budget": budget},
                 headers=org.headers)
    assert r.status_code == 200, r.text
    rec = r.json()["recommended"]
    policy = projects.get_project(foundry, org.id, project.id).policy
    assert policy.model_dump(mode="json") == rec["policy"]
    assert (policy.min_labels, policy.max_labels) == (rec["policy"]["min_labels"],
                                                      rec["policy"]["max_labels"])
    assert policy.max_labels <= 5 and (policy.min_labels, policy.max_labels) != (5, 5)
    wf = workforce.get_policy(foundry, org.id, project.id)
    assert wf["hard_items"] == rec["hard_items"]
    assert wf["pay"]["per_task_minor"] == PRICE  # the rest of the workforce policy stays
    with foundry.db.read() as conn:
        row = conn.execute(select(project_plans)).one()
        logged = conn.execute(select(audit_log.c.action).where(
            audit_log.c.action == "plan.applied")).all()
    assert row.predicted == pytest.approx(rec["point"]["accuracy"])
    assert row.budget == budget and row.unit == "USD" and len(logged) == 1


def test_the_plan_is_the_requesters_own(api, crowd, make_org):
    org, project = crowd
    other = make_org("Other")
    url = f"/v1/projects/{project.id}/plan"
    assert api.get(url, params={"budget": 100}, headers=other.headers).status_code == 404
    assert api.post(url + "/apply", json={"budget": 100},
                    headers=other.headers).status_code == 404
    assert api.get(url, params={"budget": 100}).status_code == 401
    assert api.post(url + "/apply", json={"budget": 100}).status_code == 401
    assert api.get("/v1/projects/999999/plan", params={"budget": 100},
                   headers=org.headers).json()["error"]["field"] == "project_id"
    assert _plans(api.app.state.foundry, project.id) == 0


def test_a_new_project_is_asked_for_a_pilot(api, foundry, make_org, make_worker):
    org = make_org()
    project = _crowd(foundry, org, make_worker, n_items=10, skills=(0.8, 0.7, 0.7))
    r = api.get(f"/v1/projects/{project.id}/plan", params={"budget": 10_000},
                headers=org.headers)
    body = r.json()
    assert body["status"] == "pilot" and body["recommended"] is None
    assert body["pilot"]["items"] * body["pilot"]["labels_per_item"] * PRICE == \
        body["pilot"]["cost"]
    assert "target" not in body and "reached" not in body  # planned for a budget
    aimed = api.get(f"/v1/projects/{project.id}/plan", params={"target": 0.9},
                    headers=org.headers).json()
    assert aimed["status"] == "pilot" and aimed["target"] == 0.9 and "reached" not in aimed
    r = api.post(f"/v1/projects/{project.id}/plan/apply", json={"budget": 10_000},
                 headers=org.headers)
    assert r.status_code == 409
    assert _plans(foundry, project.id) == 0


def test_cli_plans_and_applies(foundry, database_url, crowd, monkeypatch):
    org, project = crowd
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    env = {"DATAFAB_API_KEY": org.key, "COLUMNS": "200"}
    args = ["plan", "--project", str(project.id), "--budget", str(3 * PRICE * N_ITEMS)]
    shown = runner.invoke(app, args, env=env)
    assert shown.exit_code == 0, shown.output
    assert "Cost against accuracy" in shown.stdout and "Recommended for" in shown.stdout
    last = json.loads(shown.stdout.strip().splitlines()[-1])
    assert last["policy"]["max_labels"] <= 5
    assert _plans(foundry, project.id) == 0
    applied = runner.invoke(app, [*args, "--apply"], env=env)
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout.strip().splitlines()[-1]) == last
    assert projects.get_project(foundry, org.id, project.id).policy.model_dump(
        mode="json") == last["policy"]
    assert _plans(foundry, project.id) == 1
    for budget, field in (("0", "budget"), ("lots", "budget")):
        bad = runner.invoke(app, ["plan", "--project", str(project.id), "--budget", budget,
                                  "--apply"], env=env)
        assert bad.exit_code == 2 and field in bad.output
    missing = runner.invoke(app, ["plan", "--project", "999999", "--budget", "10"], env=env)
    assert missing.exit_code == 2 and "project 999999 not found" in missing.output
    assert _plans(foundry, project.id) == 1


def test_a_model_that_answers_well_is_planned_first_when_money_is_short(api, foundry,
                                                                         make_org,
                                                                         make_worker):
    """A model answers every item first (confident and right, gold included); people then
    label everything. At a budget below one person's label per item only model-first covers
    every item, and applying it lets the model's answers stand alone."""
    from datafab.services.accounts import create_contributor

    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "hybrid", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": 3, "max_labels": 3, "target_confidence": 0.9999,
                   "gold_rate": 0.5,
                   "models": {"first": True, "min_gold": 1, "target_accuracy": 0.5,
                              "audit_rate": 0.0}}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(60)] + [
        {"external_id": f"g{i}", "data": {"text": f"gold {i}"},
         "gold_answer": {"label": LABELS[i % 2]}} for i in range(12)])
    model, _ = create_contributor(foundry, {"name": "m", "kind": "model"})
    while leases := work.lease_items(foundry, model, project.id, 20):
        for lease in leases:
            right = LABELS[int(lease.external_id[1:]) % 2]
            work.submit(foundry, model, lease.id, {"answer": {"label": right},
                                                   "confidence": 0.97})
    rng = random.Random(5)
    for n, skill in enumerate((0.8, 0.75, 0.7)):
        who = authenticate_contributor(foundry, make_worker(f"p{n}").token)
        while leases := work.lease_items(foundry, who, project.id, 20):
            for lease in leases:
                right = LABELS[int(lease.external_id[1:]) % 2]
                said = right if rng.random() < skill else [x for x in LABELS if x != right][0]
                work.submit(foundry, who, lease.id, {"answer": {"label": said}})
    r = api.get(f"/v1/projects/{project.id}/plan", params={"budget": 0.5 * 60},
                headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "labels" and body["items"] == 60
    rec = body["recommended"]
    assert rec["covers_all"] and rec["point"]["model_share"] > 0.5, rec
    assert "model first" in rec["point"]["description"]
    assert rec["policy"]["models"]["auto_accept"] and rec["policy"]["models"]["first"]
    applied = api.post(f"/v1/projects/{project.id}/plan/apply", json={"budget": 30},
                       headers=org.headers)
    assert applied.status_code == 200, applied.text
    policy = projects.get_project(foundry, org.id, project.id).policy
    assert policy.models.auto_accept and policy.models.accept_confidence == \
        rec["policy"]["models"]["accept_confidence"]


def test_a_target_gets_the_cheapest_policy_predicted_to_reach_it(api, crowd):
    org, project = crowd
    url = f"/v1/projects/{project.id}/plan"
    budgeted = api.get(url, params={"budget": 5 * PRICE * N_ITEMS}, headers=org.headers).json()
    assert budgeted["status"] == "plan" and not {"target", "reached"} & set(budgeted)
    frontier = budgeted["frontier"]
    reachable = frontier[-1]["accuracy"]
    goal = round((frontier[0]["accuracy"] + reachable) / 2, 4)
    r = api.get(url, params={"target": goal}, headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    rec = body["recommended"]
    assert body["target"] == goal and body["reached"] is True
    assert rec["point"]["accuracy"] >= goal
    cheaper = [p for p in frontier if p["cost_per_record"] < rec["point"]["cost_per_record"]]
    assert cheaper and all(p["accuracy"] < goal for p in cheaper)  # none cheaper reaches it
    assert body["budget"] == pytest.approx(rec["point"]["cost_per_record"] * N_ITEMS)
    # the budget it names buys at least that accuracy
    again = api.get(url, params={"budget": body["budget"]}, headers=org.headers).json()
    assert again["recommended"]["point"]["accuracy"] >= goal - 0.005
    out_of_reach = api.get(url, params={"target": 1.0}, headers=org.headers).json()
    if reachable < 1.0:
        assert out_of_reach["reached"] is False
        assert out_of_reach["recommended"]["point"]["accuracy"] == pytest.approx(reachable)
    assert _plans(api.app.state.foundry, project.id) == 0  # planning writes nothing


@pytest.mark.parametrize("target", ["0", "-0.5", "1.5", "abc", "nan"])
def test_bad_targets_are_refused_by_name(api, crowd, target):
    org, project = crowd
    r = api.get(f"/v1/projects/{project.id}/plan", params={"target": target},
                headers=org.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "target"
    both = api.get(f"/v1/projects/{project.id}/plan", params={"target": 0.9, "budget": 100},
                   headers=org.headers)
    assert both.status_code == 422 and both.json()["error"]["field"] == "budget"


def test_cli_plans_for_a_target(foundry, database_url, crowd, monkeypatch):
    org, project = crowd
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    env = {"DATAFAB_API_KEY": org.key, "COLUMNS": "200"}
    shown = runner.invoke(app, ["plan", "--project", str(project.id), "--target", "0.5"],
                          env=env)
    assert shown.exit_code == 0, shown.output
    assert "Target 50.0%: the cheapest policy predicted to reach it" in shown.stdout
    last = json.loads(shown.stdout.strip().splitlines()[-1])
    assert last["reached"] is True and last["policy"]["max_labels"] == 1
    bad = runner.invoke(app, ["plan", "--project", str(project.id), "--target", "2"], env=env)
    assert bad.exit_code == 2 and "target" in bad.output
    assert _plans(foundry, project.id) == 0
    unreachable = runner.invoke(app, ["plan", "--project", str(project.id), "--target", "1",
                                      "--apply"], env=env)
    assert unreachable.exit_code == 0, unreachable.output
    if not json.loads(unreachable.stdout.strip().splitlines()[-1])["reached"]:
        assert "(not applied)" in unreachable.stdout and _plans(foundry, project.id) == 0
    applied = runner.invoke(app, ["plan", "--project", str(project.id), "--target", "0.5",
                                  "--apply"], env=env)
    assert applied.exit_code == 0 and "applied." in applied.stdout
    set_ = json.loads(applied.stdout.strip().splitlines()[-1])
    assert set_["reached"] is True and _plans(foundry, project.id) == 1
    assert projects.get_project(foundry, org.id, project.id).policy.model_dump(
        mode="json") == set_["policy"]
