"""Choosing what to label next: uncertain items and items of weak slices get the highest
priority, so the next leases hand them out first; the learning curve compares orders."""

from __future__ import annotations

import random

from typer.testing import CliRunner

from datafab.cli import app

from .conftest import TOPICS, label_all, make_project, topic_text


def _pool(api, org, project):
    rng = random.Random(5)
    items = []
    for i in range(30):
        if i < 5:  # clear texts of a weak slice
            data, meta = {"text": topic_text(rng, "sport")}, {"slices": {"domain": "rare"}}
        elif i < 10:  # half fruit, half cars: the model cannot tell
            words = rng.choices(TOPICS["fruit"], k=3) + rng.choices(TOPICS["cars"], k=3)
            data, meta = {"text": " ".join(words)}, None
        else:
            data, meta = {"text": topic_text(rng, "fruit")}, None
        items.append({"external_id": f"u-{i}", "data": data,
                      **({"meta": meta} if meta else {})})
    r = api.post(f"/v1/projects/{project['id']}/items", json={"items": items},
                 headers=org.headers)
    assert r.status_code in (200, 201), r.text


def _next_leases(api, project, worker, n):
    leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": n},
                      headers=worker.headers).json()["leases"]
    return [lease["item"]["external_id"] for lease in leases]


def test_uncertain_items_are_chosen_and_leased_first(api, make_org, make_worker):
    org = make_org()
    project, truth = make_project(api, org)
    assert label_all(api, project, make_worker("a"), lambda ext: truth[ext]) == 60
    _pool(api, org, project)
    r = api.post(f"/v1/projects/{project['id']}/select", json={"n": 5}, headers=org.headers)
    assert r.status_code == 200, r.text
    chosen = [s["external_id"] for s in r.json()["selected"]]
    mixed = {f"u-{i}" for i in range(5, 10)}
    assert chosen[0] in mixed and len(set(chosen) & mixed) >= 3, chosen
    priorities = [s["priority"] for s in r.json()["selected"]]
    assert priorities == sorted(priorities, reverse=True) and priorities[-1] > 0
    assert _next_leases(api, project, make_worker("b"), 5) == chosen


def test_weak_slices_come_first_through_the_cli(api, foundry, make_org, make_worker,
                                                database_url, monkeypatch):
    org = make_org()
    project, truth = make_project(api, org)
    label_all(api, project, make_worker("a"), lambda ext: truth[ext])
    _pool(api, org, project)
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["select", "--project", str(project["id"]), "--n", "5",
                                      "--weak-slice", "domain=rare", "--api-key", org.key])
    assert result.exit_code == 0, result.output
    assert sorted(_next_leases(api, project, make_worker("b"), 5)) == [
        f"u-{i}" for i in range(5)]


def test_selection_needs_unlabelled_items_and_a_positive_n(api, make_org, labelled):
    org, project, _ = labelled
    r = api.post(f"/v1/projects/{project['id']}/select", json={"n": 3}, headers=org.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "n"
    r = api.post(f"/v1/projects/{project['id']}/select", json={"n": 0}, headers=org.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "n"


def test_the_learning_curve_compares_selected_and_random_order(api, make_org, make_worker):
    org = make_org()
    project, truth = make_project(api, org, n=90)
    label_all(api, project, make_worker(), lambda ext: truth[ext])
    r = api.get(f"/v1/projects/{project['id']}/learning-curve", headers=org.headers)
    assert r.status_code == 200, r.text
    curve = r.json()
    assert curve["available"] and curve["labelled"] == 90
    assert len(curve["spent"]) == len(curve["random"]) == len(curve["selected"]) >= 3
    assert curve["spent"] == sorted(curve["spent"])
    assert curve["random"][-1] > 0.9  # three topics with words of their own are learnt
    assert "label_share" in curve  # a share, or null: selected order never gets there


def test_too_few_labels_give_empty_curves_and_no_label_share(api, make_org, make_worker):
    org = make_org()
    project, truth = make_project(api, org, n=20)
    label_all(api, project, make_worker(), lambda ext: truth[ext])
    r = api.get(f"/v1/projects/{project['id']}/learning-curve", headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"available": False, "labelled": 20, "spent": [], "random": [],
                        "selected": []}


def test_the_dashboard_draws_the_learning_curve(api, make_org, make_worker):
    import re

    org = make_org()
    project, truth = make_project(api, org, n=90)
    label_all(api, project, make_worker(), lambda ext: truth[ext])
    login = api.get("/dashboard/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    api.post("/dashboard/login", data={"csrf": token, "api_key": org.key})
    overview = api.get(f"/dashboard/projects/{project['id']}")
    assert f'href="/dashboard/projects/{project["id"]}/curation"' in overview.text
    page = api.get(f"/dashboard/projects/{project['id']}/curation")
    assert page.status_code == 200, page.text
    assert page.text.count("<polyline") == 2
    assert "selected order" in page.text and "random order" in page.text
    other = make_org("Rival")
    api.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', api.get("/dashboard/login").text).group(1)
    api.post("/dashboard/login", data={"csrf": token, "api_key": other.key})
    assert api.get(f"/dashboard/projects/{project['id']}/curation").status_code == 404


def _priorities(foundry, project):
    from sqlalchemy import text

    with foundry.db.read() as conn:
        return dict(conn.execute(text("SELECT external_id, priority FROM items "
                                      "WHERE project_id = :p"), {"p": project["id"]}).all())


def test_the_committee_chooses_the_same_uncertain_items_again(api, foundry, make_org,
                                                              make_worker):
    org = make_org()
    project, truth = make_project(api, org)
    label_all(api, project, make_worker("a"), lambda ext: truth[ext])
    _pool(api, org, project)
    url = f"/v1/projects/{project['id']}/select"
    r = api.post(url, json={"n": 5, "method": "committee"}, headers=org.headers)
    assert r.status_code == 200, r.text
    chosen = [s["external_id"] for s in r.json()["selected"]]
    mixed = {f"u-{i}" for i in range(5, 10)}
    assert chosen[0] in mixed and len(set(chosen) & mixed) >= 3, chosen
    again = api.post(url, json={"n": 5, "method": "committee"}, headers=org.headers).json()
    assert [s["external_id"] for s in again["selected"]] == chosen
    assert _next_leases(api, project, make_worker("b"), 5) == chosen


def test_an_unknown_method_is_refused_and_nothing_is_written(api, foundry, make_org,
                                                             make_worker, database_url,
                                                             monkeypatch):
    org = make_org()
    project, truth = make_project(api, org)
    label_all(api, project, make_worker("a"), lambda ext: truth[ext])
    _pool(api, org, project)
    before = _priorities(foundry, project)
    r = api.post(f"/v1/projects/{project['id']}/select", json={"n": 5, "method": "entropy"},
                 headers=org.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "method", r.text
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["select", "--project", str(project["id"]), "--n", "5",
                                      "--method", "entropy", "--api-key", org.key])
    assert result.exit_code == 2 and "--method" in result.output, result.output
    assert _priorities(foundry, project) == before
