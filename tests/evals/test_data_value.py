"""Dataset value: a run names the data its model was trained on; the table credits each
run's gain per slice over the previous run of its family to the data new since then, per
human hour and per unit of pay — through the API, the SDK's CLI and the leaderboard page.
Bad input writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services import evals, items, projects, workforce
from datafab.store.tables import eval_run_data, eval_runs

MATH = 10
GEO = 6


def _eval_items() -> list[dict]:
    out = [{"external_id": f"sum-{a}", "prompt": f"What is {a} + 2?",
            "reference": {"kind": "numeric", "answer": a + 2},
            "slices": {"domain": "math"}} for a in range(MATH)]
    out += [{"external_id": f"geo-{k}", "prompt": f"Name city {k}.",
             "reference": {"kind": "exact", "answer": f"city{k}"},
             "slices": {"domain": "geography"}} for k in range(GEO)]
    return out


def _data_project(foundry, api, org, worker, name: str, labels: int, seconds: float,
                  per_task_minor: int) -> int:
    """A classify project a person labelled ``labels`` items of, ``seconds`` each, paid
    ``per_task_minor`` a label."""
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    workforce.set_policy(foundry, org.id, project.id, {"pay": {"per_task_minor": per_task_minor}})
    items.upload_items(foundry, org.id, project.id,
                       [{"external_id": f"i{i}", "data": {"text": f"t{i}"}}
                        for i in range(labels)])
    leases = api.post(f"/v1/projects/{project.id}/leases", headers=worker.headers,
                      json={"n": labels}).json()["leases"]
    assert len(leases) == labels
    for lease in leases:
        done = api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                        json={"answer": {"label": "yes"}, "seconds_spent": seconds})
        assert done.status_code == 200, done.text
    return project.id


def _run(api, org, set_id, model, name, right_math: int, right_geo: int, **extra) -> int:
    made = api.post(f"/v1/evals/sets/{set_id}/runs", headers=org.headers,
                    json={"model": model, "name": name, **extra})
    assert made.status_code == 201, made.text
    run = made.json()
    todo = api.get(f"/v1/evals/runs/{run['id']}/pending", headers=org.headers,
                   params={"limit": 100}).json()["items"]
    answers = []
    for item in todo:
        kind, k = item["external_id"].split("-")
        if kind == "sum":
            text = str(int(k) + 2) if int(k) < right_math else "no idea"
        else:
            text = f"city{k}" if int(k) < right_geo else "nowhere"
        answers.append({"item_id": item["item_id"], "text": text})
    stored = api.post(f"/v1/evals/runs/{run['id']}/responses", headers=org.headers,
                      json={"responses": answers})
    assert stored.json()["graded"] == MATH + GEO
    return run["id"]


def _login(client, key: str) -> None:
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/dashboard/login", data={"csrf": csrf, "api_key": key},
                       follow_redirects=False).status_code == 303


def test_each_dataset_is_credited_with_the_gain_since_the_family_s_previous_run(
        foundry, api, make_org, make_worker):
    org = make_org("Value Lab")
    worker = make_worker("labeller")
    # base data: 4 labels of 90 s; math data: 8 labels of 225 s (0.5 h) at 150 a label;
    # more data: 6 labels of 600 s (1 h) at 100 a label
    base = _data_project(foundry, api, org, worker, "base", 4, 90.0, 50)
    math = _data_project(foundry, api, org, worker, "math drills", 8, 225.0, 150)
    more = _data_project(foundry, api, org, worker, "more drills", 6, 600.0, 100)
    set_id = api.post("/v1/evals/sets", headers=org.headers,
                      json={"name": "core", "items": _eval_items()}).json()["id"]

    v1 = _run(api, org, set_id, "tiny-1", "v1", 0, 3, family="tiny", trained_on=[base])
    v2 = _run(api, org, set_id, "tiny-2", "v2", 8, 3, family="tiny", trained_on=[base, math])
    v3 = _run(api, org, set_id, "tiny-3", "v3", 9, 4, family="tiny",
              trained_on=[base, math, more])
    other = _run(api, org, set_id, "big-1", "big", 10, 6, trained_on=[base])  # own family
    assert api.get(f"/v1/evals/runs/{v2}", headers=org.headers).json()["trained_on"] == \
        sorted([base, math])

    table = api.get(f"/v1/evals/sets/{set_id}/data-value", headers=org.headers,
                    params={"rounds": 50}).json()
    rows = {(r["run_id"], r["slice"]): r for r in table["rows"]}
    assert {run for run, _ in rows} == {v2, v3}  # v1 and big have no earlier run of theirs
    assert not any(r["previous"]["run_id"] == other for r in table["rows"])

    v2_math = rows[(v2, "domain=math")]
    assert v2_math["previous"]["run_id"] == v1 and v2_math["data"] == [math]
    assert v2_math["gain"] == 0.8 and v2_math["improved"] is True
    assert v2_math["hours"] == 0.5 and v2_math["gain_per_hour"] == 1.6
    assert v2_math["pay_minor"] == {"USD": 1200}
    assert v2_math["gain_per_pay"] == round(0.8 / 12, 6)
    assert rows[(v2, "domain=geography")]["gain"] == 0.0
    overall = rows[(v2, "all")]
    assert overall["gain"] == round(8 / 16, 6) and overall["gain_per_hour"] == 1.0

    v3_math = rows[(v3, "domain=math")]
    assert v3_math["previous"]["run_id"] == v2 and v3_math["data"] == [more]
    assert v3_math["gain"] == 0.1 and v3_math["hours"] == 1.0
    assert v3_math["gain_per_hour"] == 0.1 and v3_math["improved"] is False
    # best gain per hour first: the math drills bought the most
    assert (table["rows"][0]["run_id"], table["rows"][0]["slice"]) == (v2, "domain=math")
    per_hour = [r["gain_per_hour"] for r in table["rows"]]
    assert per_hour == sorted(per_hour, reverse=True)
    costs = {d["project_id"]: d for d in table["data"]}
    assert costs[more]["labels"] == 6 and costs[more]["hours"] == 1.0
    assert costs[base]["pay_minor"] == {"USD": 200}

    # the leaderboard page shows the table, the math drills first
    _login(api, org.key)
    html = api.get(f"/dashboard/evals/{set_id}").text
    table_html = html[html.index('id="data-value-table"'):]
    first = re.search(r"<tbody>\s*<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>",
                      table_html)
    assert first.groups() == ("v2", "v1", "domain=math")
    assert "math drills" in table_html and "1.600" in table_html


def test_bad_training_data_is_refused_naming_the_field_and_nothing_is_written(
        foundry, api, make_org):
    org, stranger = make_org("Mine"), make_org("Theirs")
    theirs = projects.create_project(foundry, stranger.id, {
        "name": "secret", "primitive": "classify", "settings": {"labels": ["a", "b"]}}).id
    mine = projects.create_project(foundry, org.id, {
        "name": "mine", "primitive": "classify", "settings": {"labels": ["a", "b"]}}).id
    set_id = evals.create_set(foundry, org.id, {"name": "s", "items": _eval_items()})["id"]

    def start(**body):
        return api.post(f"/v1/evals/sets/{set_id}/runs", headers=org.headers,
                        json={"model": "m", **body})

    cases = [({"trained_on": [mine, theirs]}, 404, "trained_on.1"),
             ({"trained_on": [mine, 999_999]}, 404, "trained_on.1"),
             ({"trained_on": [mine, mine]}, 422, "trained_on.1"),
             ({"trained_on": ["x"]}, 422, "trained_on.0"),
             ({"family": ""}, 422, "family")]
    for body, status, field in cases:
        refused = start(**body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["error"]["field"] == field, body
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(eval_runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(eval_run_data)).scalar_one() == 0
    made = start(trained_on=[mine]).json()
    assert made["family"] == "m" and made["trained_on"] == [mine]
    # resuming with other training data or another family is a conflict; with none, fine
    assert start(trained_on=[]).json()["id"] == made["id"]
    other = projects.create_project(foundry, org.id, {
        "name": "other", "primitive": "classify", "settings": {"labels": ["a", "b"]}}).id
    clash = start(trained_on=[mine, other])
    assert clash.status_code == 409 and clash.json()["error"]["field"] == "trained_on"
    assert start(family="other").json()["error"]["field"] == "family"
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(eval_run_data)).scalar_one() == 1


def test_the_cli_refuses_a_bad_project_list_before_calling_anyone():
    result = CliRunner().invoke(app, ["eval", "run", "--set", "1", "--model", "m",
                                      "--trained-on", "3,x", "--server", "http://127.0.0.1:9"],
                                env={"DATAFAB_API_KEY": "k"})
    assert result.exit_code == 2
    assert "trained-on: 'x' is not a project id" in result.output


def test_the_cli_prints_the_table(foundry, served, make_org, make_worker):
    org = make_org("Cli Lab")
    set_id = evals.create_set(foundry, org.id, {"name": "s", "items": _eval_items()})["id"]
    result = CliRunner().invoke(app, ["eval", "value", "--set", str(set_id), "--server",
                                      served, "--rounds", "20"],
                                env={"DATAFAB_API_KEY": org.key})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "eval_set_id": set_id, "name": "s", "rows": [], "data": []}


def test_erasing_a_training_project_takes_it_out_of_the_runs_that_named_it(foundry, make_org):
    from datafab.services import erasure

    org = make_org("Erase Lab")
    kept, gone = (projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["a", "b"]}}).id
        for name in ("kept", "gone"))
    set_id = evals.create_set(foundry, org.id, {"name": "s", "items": _eval_items()})["id"]
    run = evals.start_run(foundry, org.id, set_id, {"model": "m", "trained_on": [kept, gone]})
    assert run["trained_on"] == sorted([kept, gone])
    erasure.erase_project(foundry, org.id, gone)
    assert evals.get_run(foundry, org.id, run["id"])["trained_on"] == [kept]
