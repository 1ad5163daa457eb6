"""Every evaluation route declares what it answers (a named schema in ``/openapi.json``),
and declaring it changed nothing: each route's JSON is, character for character, what its
service returns — keys a service leaves out stay out, integers stay integers. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json

from datafab.api.evals import router
from datafab.services import evals

RUBRIC = [{"id": "quality", "description": "vivid", "min": 1, "max": 5}]


def _text(value) -> str:
    return json.dumps(value, sort_keys=True)


def _items() -> list[dict]:
    out = [{"external_id": f"sum-{a}", "prompt": f"What is {a} + 1?",
            "reference": {"kind": "numeric", "answer": a + 1},
            "slices": {"domain": "math", "difficulty": "easy"}} for a in range(8)]
    out += [{"external_id": f"cap-{k}", "prompt": f"Capital number {k}?",
             "reference": {"kind": "exact", "answer": "Paris"},
             "slices": {"domain": "geography"}} for k in range(4)]
    out += [{"external_id": "poem", "prompt": "Write a haiku.",
             "reference": {"kind": "rubric", "rubric": RUBRIC}, "slices": {"domain": "art"}}]
    return out


def _answers(pending: dict, *, right_math: bool) -> dict:
    out = []
    for item in pending["items"]:
        ext = item["external_id"]
        if ext.startswith("sum-"):
            a = int(ext[4:])
            out.append({"item_id": item["item_id"], "text": str(a + 1 if right_math else a)})
        elif ext.startswith("cap-"):
            out.append({"item_id": item["item_id"], "text": "Paris"})
        else:
            out.append({"item_id": item["item_id"], "text": "snow on a quiet pond"})
    return {"responses": out}


def test_every_eval_route_has_a_named_response_schema(api):
    spec = api.get("/openapi.json").json()
    for route in router.routes:
        operation = spec["paths"][route.path][next(iter(route.methods)).lower()]
        code = str(route.status_code or 200)
        schema = operation["responses"][code]["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[1]
        assert spec["components"]["schemas"][name]["properties"], route.path


def test_each_route_answers_exactly_what_its_service_returns(foundry, api, make_org):
    org = make_org("Shapes Lab")
    h = org.headers
    made = api.post("/v1/evals/sets", headers=h, json={"name": "core", "items": _items()[:-1]})
    assert made.status_code == 201
    set_id = made.json()["id"]
    assert _text(made.json()) == _text(evals.get_set(foundry, org.id, set_id))
    added = api.post(f"/v1/evals/sets/{set_id}/items", headers=h, json={"items": _items()})
    assert added.json() == {"created": 1, "unchanged": 12}

    runs = []
    for name, right in (("first", False), ("second", True)):
        run = api.post(f"/v1/evals/sets/{set_id}/runs", headers=h,
                       json={"model": "m-1", "name": name, "params": {"temperature": 0}})
        assert run.status_code == 201
        run_id = run.json()["id"]
        assert _text(run.json()) == _text(evals.get_run(foundry, org.id, run_id))
        pending = api.get(f"/v1/evals/runs/{run_id}/pending", headers=h,
                          params={"limit": 5}).json()
        assert _text(pending) == _text(evals.pending(foundry, org.id, run_id, limit=5))
        full = evals.pending(foundry, org.id, run_id, limit=100)
        stored = api.post(f"/v1/evals/runs/{run_id}/responses", headers=h,
                          json=_answers(full, right_math=right)).json()
        assert _text(stored) == _text({"stored": 13, "unchanged": 0, "graded": 12})
        runs.append(run_id)
    first, second = runs

    tasks = api.get(f"/v1/evals/sets/{set_id}/judge-tasks", headers=h,
                    params={"judge": "j-1"}).json()
    assert _text(tasks) == _text(evals.judge_tasks(foundry, org.id, set_id, "j-1"))
    assert len(tasks["tasks"]) == 2
    judged = api.post(f"/v1/evals/sets/{set_id}/judgments", headers=h, json={
        "judge": "j-1", "judgments": [{"response_id": t["response_id"], "score": 1}
                                      for t in tasks["tasks"]]})
    assert _text(judged.json()) == _text({"stored": 2, "unchanged": 0})

    for path, service in (
            (f"/v1/evals/sets/{set_id}", lambda: evals.get_set(foundry, org.id, set_id)),
            ("/v1/evals/sets", lambda: {"data": evals.list_sets(foundry, org.id)}),
            (f"/v1/evals/sets/{set_id}/leaderboard?rounds=50",
             lambda: evals.leaderboard(foundry, org.id, set_id, rounds=50)),
            (f"/v1/evals/runs/{first}/gaps",
             lambda: evals.gap_report(foundry, org.id, first)),
            (f"/v1/evals/runs/{second}/gaps",
             lambda: evals.gap_report(foundry, org.id, second))):
        answer = api.get(path, headers=h)
        assert answer.status_code == 200, answer.text
        assert _text(answer.json()) == _text(service()), path

    board = api.get(f"/v1/evals/sets/{set_id}/leaderboard?rounds=50", headers=h).json()
    assert "graded" in board["models"][0]  # overall rows carry their coverage ...
    assert "graded" not in board["slices"]["domain=math"][0]  # ... slice rows do not
    again = api.get(f"/v1/evals/runs/{second}/gaps", headers=h).json()
    math = next(s for s in again["slices"] if s["slice"] == "domain=math")
    assert math["improved"] is True and math["earlier"]["run_id"] == first
    before = api.get(f"/v1/evals/runs/{first}/gaps", headers=h).json()
    assert "earlier" not in before["slices"][0]  # no earlier run: no key, not a null

    grading = api.post(f"/v1/evals/sets/{set_id}/grading", headers=h,
                       json={"kind": "grade", "runs": [first, second]})
    assert grading.status_code == 201
    assert set(grading.json()) == {"project_id", "name", "primitive", "items", "skills"}
    assert grading.json()["items"] == 2
    order = api.post(f"/v1/evals/runs/{first}/gaps/project", headers=h,
                     json={"slice": "domain=math", "items": 5})
    assert order.status_code == 201, order.text
    assert set(order.json()) == {"project_id", "name", "primitive", "required_skills",
                                 "items", "slice", "guidelines"}
    assert order.json()["items"] == 5 and order.json()["required_skills"] == ["math"]
