"""Every primitive through the whole line over HTTP (upload, lease, submit, records, export in
each of its formats), on SQLite and PostgreSQL; every export loads with ``datasets``; bad
answers get a 4xx naming the field and write nothing."""

from __future__ import annotations

import json

import pytest

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"], "additionalProperties": False}}}

# primitive: (settings, item data, a good answer, a bad answer, the field it names)
CASES = {
    "classify": ({"labels": ["cat", "dog"]}, {"text": "meow"}, {"label": "cat"},
                 {"label": "cow"}, "answer.label"),
    "compare": ({}, {"prompt": "Capital of France?",
                     "a": {"content": "Paris", "model": "m1"},
                     "b": {"content": "Lyon", "model": "m2"}},
                {"choice": "a", "strength": "clear", "rationale": "correct"},
                {"choice": "c"}, "answer.choice"),
    "rank": ({}, {"prompt": "Name a prime.", "responses": [
                  {"id": "x", "content": "2"}, {"id": "y", "content": "4"},
                  {"id": "z", "content": "9"}]},
             {"order": ["x", "z", "y"]}, {"order": ["x", "x", "y"]}, "answer.order.1"),
    "steps": ({}, {"problem": "1 + 1 * 2?", "steps": ["1 * 2 = 2", "1 + 2 = 3"]},
              {"ratings": [1, 1]}, {"ratings": [1, 1, 1]}, "answer.ratings.2"),
    "write": ({}, {"prompt": "Say hello politely.", "draft": "hi"},
              {"final": "Hello, and welcome!", "draft": "hi", "critique": "too curt"},
              {"draft": "hi"}, "answer.final"),
    "trajectory": ({}, {"task": "Weather in Paris?", "tools": [WEATHER]},
                   {"steps": [{"type": "tool_call", "name": "get_weather",
                               "arguments": {"city": "Paris"}},
                              {"type": "tool_result", "content": "18C"},
                              {"type": "final", "text": "18C in Paris."}]},
                   {"steps": [{"type": "tool_call", "name": "get_time", "arguments": {}}]},
                   "answer.steps.0.name"),
    "grade": ({"rubric": [{"id": "accuracy", "description": "Right?", "weight": 2, "min": 1,
                           "max": 5}]},
              {"prompt": "2+2?", "response": "4"}, {"scores": {"accuracy": 5}},
              {"scores": {"accuracy": 9}}, "answer.scores.accuracy"),
    "spans": ({"labels": ["PER", "LOC"]}, {"text": "Ada lives in London"},
              {"spans": [{"start": 0, "end": 3, "label": "PER"},
                         {"start": 13, "end": 19, "label": "LOC"}]},
              {"spans": [{"start": 13, "end": 40, "label": "LOC"}]}, "answer.spans.0.end"),
}


def _run_line(api, org, workers, primitive, n_items=3):
    settings, data, good, _, _ = CASES[primitive]
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": primitive, "primitive": primitive, "settings": settings,
        "policy": {"min_labels": 2, "max_labels": 2}})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    batch = [{"external_id": f"{primitive}-{i}", "data": data} for i in range(n_items)]
    assert api.post(f"/v1/projects/{pid}/items", json={"items": batch},
                    headers=org.headers).json()["created"] == n_items
    for worker in workers:
        leases = api.post(f"/v1/projects/{pid}/leases", json={"n": n_items},
                          headers=worker.headers).json()["leases"]
        assert len(leases) == n_items
        for lease in leases:
            r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": good},
                         headers=worker.headers)
            assert r.status_code == 200, r.text
    return pid


@pytest.mark.parametrize("primitive", sorted(CASES))
def test_every_primitive_runs_the_whole_line(api, make_org, make_worker, primitive, tmp_path,
                                             monkeypatch):
    org = make_org()
    pid = _run_line(api, org, [make_worker("a"), make_worker("b")], primitive)
    records = api.get(f"/v1/projects/{pid}/records", headers=org.headers).json()["data"]
    assert len(records) == 3 and all(r["final"] and r["n_submissions"] == 2 for r in records)
    formats = api.get(f"/v1/projects/{pid}", headers=org.headers).json()
    from datafab.primitives import get_primitive

    for fmt in get_primitive(primitive).export_formats:
        jsonl = api.get(f"/v1/projects/{pid}/export", params={"format": fmt},
                        headers=org.headers)
        assert jsonl.status_code == 200, jsonl.text
        rows = [json.loads(line) for line in jsonl.text.splitlines()]
        assert rows, f"{primitive}/{fmt} exported nothing"
        # lineage on every row (PRM800K's own line format keeps it under "datafab")
        assert all({"record_id", "confidence"} <= set(r.get("datafab", r)) for r in rows)
        parquet = api.get(f"/v1/projects/{pid}/export",
                          params={"format": fmt, "file": "parquet"}, headers=org.headers)
        assert parquet.status_code == 200, parquet.text
        _load_both(tmp_path, monkeypatch, f"{primitive}-{fmt}", jsonl.content, parquet.content,
                   len(rows))
    assert formats["primitive"] == primitive


def _load_both(tmp_path, monkeypatch, name, jsonl: bytes, parquet: bytes, n: int) -> None:
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets.disable_progress_bars()
    (tmp_path / f"{name}.jsonl").write_bytes(jsonl)
    (tmp_path / f"{name}.parquet").write_bytes(parquet)
    cache = str(tmp_path / "hf-cache")
    for kind in ("json", "parquet"):
        suffix = "jsonl" if kind == "json" else "parquet"
        loaded = datasets.load_dataset(kind, data_files=str(tmp_path / f"{name}.{suffix}"),
                                       split="train", cache_dir=cache)
        assert len(loaded) == n


@pytest.mark.parametrize("primitive", sorted(CASES))
def test_bad_answers_write_nothing(api, make_org, make_worker, primitive):
    settings, data, _, bad, field = CASES[primitive]
    org, worker = make_org(), make_worker()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": primitive, "primitive": primitive, "settings": settings}).json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers,
             json={"items": [{"external_id": "x", "data": data}]})
    (lease,) = api.post(f"/v1/projects/{pid}/leases", headers=worker.headers).json()["leases"]
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": bad},
                 headers=worker.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert api.get(f"/v1/projects/{pid}/records", headers=org.headers).json()["data"] == []
    progress = api.get(f"/v1/projects/{pid}/progress", headers=org.headers).json()
    assert progress["labels"] == 0 and progress["live_leases"] == 1


def test_bad_settings_are_refused_at_creation(api, make_org):
    org = make_org()
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": "g", "primitive": "grade",
        "settings": {"rubric": [{"id": "a", "description": "x", "weight": -1, "min": 1,
                                 "max": 5}]}})
    assert r.status_code == 422 and r.json()["error"]["field"].startswith("settings.rubric")
