"""Contributor value through the API and the CLI, on a real project with pay and time."""

from __future__ import annotations

import random
import re

import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services import items, projects, work, workforce
from datafab.services.accounts import authenticate_contributor

LABELS = ["yes", "no"]
N_ITEMS = 120


def _truth(external_id: str) -> str:
    return LABELS[int(external_id[1:]) % 2]


def _crowd(foundry, org, make_worker):
    """Three honest contributors, each wrong on a fifth of the items, and one who answers at
    random; everyone labels every item, 30 s (honest) or 5 s (random) a label."""
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": 4, "max_labels": 4, "target_confidence": 0.9999}})
    workforce.set_policy(foundry, org.id, project.id,
                         {"pay": {"per_task_minor": 20, "per_minute_minor": 0}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(N_ITEMS)])
    rng = random.Random(7)
    answer = {"honest0": lambda ext: _honest(ext, rng), "honest1": lambda ext: _honest(ext, rng),
              "honest2": lambda ext: _honest(ext, rng), "random": lambda ext: rng.choice(LABELS)}
    ids = {}
    for name, say in answer.items():
        who = authenticate_contributor(foundry, make_worker(name).token)
        ids[name] = who.id
        seconds = 5 if name == "random" else 30
        while leases := work.lease_items(foundry, who, project.id, 20):
            for lease in leases:
                work.submit(foundry, who, lease.id, {"answer": {"label": say(lease.external_id)},
                                                     "seconds_spent": seconds})
    return project, ids


def _honest(ext: str, rng: random.Random) -> str:
    right = _truth(ext)
    return [x for x in LABELS if x != right][0] if rng.random() < 0.2 else right


def test_value_ranks_honest_work_above_random_answers(api, foundry, make_org, make_worker):
    org = make_org()
    project, ids = _crowd(foundry, org, make_worker)
    response = api.get(f"/v1/projects/{project.id}/contributors/value", headers=org.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["available"] and body["labels"] == 4 * N_ITEMS
    rows = body["contributors"]
    assert len(rows) == 4
    assert all(r["contributor"].startswith("c_") for r in rows)
    assert not {str(i) for i in ids.values()} & {r["contributor"] for r in rows}
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True)
    random_row = min(rows, key=lambda r: r["hours"])  # the one who spent 5 s a label
    assert random_row is rows[-1]
    honest = rows[:-1]
    assert all(r["value"] > 0 for r in honest)
    assert random_row["value"] < 0.2 * min(r["value"] for r in honest)
    for r in rows:
        assert r["labels"] == N_ITEMS
        assert r["hours"] == pytest.approx(N_ITEMS * (5 if r is random_row else 30) / 3600)
        assert r["pay_minor"] == 20 * N_ITEMS and r["currency"]
        assert r["value_per_hour"] == pytest.approx(r["value"] / r["hours"])
        assert r["value_per_pay"] == pytest.approx(r["value"] * 100 / r["pay_minor"])


def test_value_is_the_requesters_own(api, foundry, make_org, make_worker):
    org, other = make_org(), make_org("Other")
    project, _ = _crowd(foundry, org, make_worker)
    url = f"/v1/projects/{project.id}/contributors/value"
    assert api.get(url, headers=other.headers).status_code == 404
    assert api.get(url).status_code == 401
    assert api.get("/v1/projects/999999/contributors/value",
                   headers=org.headers).status_code == 404


def test_a_project_without_labels_has_no_contributors(api, foundry, make_org):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": LABELS}})
    body = api.get(f"/v1/projects/{project.id}/contributors/value",
                   headers=org.headers).json()
    assert body == {"project_id": project.id, "available": True, "labels": 0,
                    "contributors": []}


def test_cli_prints_the_table(foundry, database_url, make_org, make_worker, monkeypatch):
    org = make_org()
    project, _ = _crowd(foundry, org, make_worker)
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(app, ["value", "--project", str(project.id)],
                           env={"DATAFAB_API_KEY": org.key, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Contributor value" in result.stdout
    assert result.stdout.count("c_") == 4
    bad = runner.invoke(app, ["value", "--project", "999999"],
                        env={"DATAFAB_API_KEY": org.key})
    assert bad.exit_code == 2
    assert "project 999999 not found" in bad.output


def test_dashboard_shows_each_contributors_value(api, foundry, make_org, make_worker):
    org = make_org()
    project, _ = _crowd(foundry, org, make_worker)
    rows = api.get(f"/v1/projects/{project.id}/contributors/value",
                   headers=org.headers).json()["contributors"]
    login = api.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
    api.post("/dashboard/login", data={"csrf": csrf, "api_key": org.key})
    page = api.get(f"/dashboard/projects/{project.id}")
    assert page.status_code == 200
    assert "Value (records)" in page.text and "Value per hour" in page.text
    for r in rows:
        row = re.search(rf"<code>{r['contributor']}</code>(.*?)</tr>", page.text, re.S).group(1)
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        assert cells[-2:] == [f"{r['value']:.1f}", f"{r['value_per_hour']:.1f}"]


def test_multi_label_answers_have_no_value(api, foundry, make_org, make_worker):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "tags", "primitive": "classify",
        "settings": {"labels": LABELS, "multi_label": True}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": "i0", "data": {"text": "item"}}])
    who = authenticate_contributor(foundry, make_worker("w").token)
    (lease,) = work.lease_items(foundry, who, project.id, 1)
    work.submit(foundry, who, lease.id, {"answer": {"labels": ["yes"]}, "seconds_spent": 9})
    body = api.get(f"/v1/projects/{project.id}/contributors/value",
                   headers=org.headers).json()
    assert body["available"] is False and body["contributors"] == []
