"""Hostile input the generated requests do not reach: lone surrogates, NUL characters, deep
nesting, NaN, numbers past 64 bits, loose types, oversized free-form fields. Each is a 422
naming the field (Scale's compatible routes: its 400), on SQLite and PostgreSQL alike, and
nothing is written."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select
from tests.reliability.helpers import create_project, upload

from datafab.errors import InvalidInput
from datafab.json_limits import MAX_DEPTH, MAX_FREE_FORM_BYTES, too_deep
from datafab.services import imports
from datafab.store.tables import (
    invoices,
    items,
    projects,
    scale_tasks,
    submissions,
    webhook_endpoints,
)

JSON = {"content-type": "application/json"}
TABLES = (projects, items, submissions, webhook_endpoints, invoices, scale_tasks)
SCALE = "/compat/scale/v1"


def _rows(foundry) -> tuple[int, ...]:
    with foundry.db.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in TABLES)


def _refused(response, field: str, status: int = 422) -> str:
    assert response.status_code == status, (response.status_code, response.text[:400])
    error = response.json()["error"]
    assert error["field"] == field, error
    assert error["message"].startswith(f"{field}: "), error
    return error["message"]


@pytest.fixture
def setup(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    project = create_project(api, org)
    upload(api, org, project, 2)
    lease = api.post(f"/v1/projects/{project['id']}/leases",
                     headers=worker.headers).json()["leases"][0]
    return org, worker, project, lease


def _item_body(meta_json: str) -> bytes:
    return ('{"items": [{"external_id": "s1", "data": {"text": "t", "meta": '
            + meta_json + "}}]}").encode()


def test_a_lone_surrogate_is_refused_naming_the_field(api, foundry, setup):
    org, _, project, _ = setup
    before = _rows(foundry)
    path = f"/v1/projects/{project['id']}/items"
    r = api.post(path, content=_item_body('{"k": "bad \\ud800 value"}'),
                 headers={**org.headers, **JSON})
    assert "lone surrogate" in _refused(r, "items.0.data.meta.k")
    r = api.post(path, content=_item_body('{"\\udfff key": 1}'), headers={**org.headers, **JSON})
    assert "key" in _refused(r, "items.0.data.meta")
    r = api.post("/v1/webhooks/endpoints", content=b'{"url": "https://example.org/\\ud83d"}',
                 headers={**org.headers, **JSON})
    _refused(r, "url")
    # A pair that makes one character is fine.
    r = api.post(path, content=_item_body('{"k": "ok \\ud83d\\ude00"}'),
                 headers={**org.headers, **JSON})
    assert r.status_code == 200, r.text
    assert _rows(foundry)[1] == before[1] + 1


def test_nul_characters_are_refused_the_same_on_both_databases(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    path = f"/v1/projects/{project['id']}/items"
    r = api.post(path, json={"items": [{"external_id": "a\x00b", "data": {"text": "t"}}]},
                 headers=org.headers)
    assert "NUL" in _refused(r, "items.0.external_id")
    r = api.post(path, json={"items": [{"external_id": "n", "data": {"text": "t\x00"}}]},
                 headers=org.headers)
    _refused(r, "items.0.data.text")
    r = api.post(path, content=_item_body('{"a\\u0000": 1}'), headers={**org.headers, **JSON})
    _refused(r, "items.0.data.meta")
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "cat\x00"}},
                 headers=worker.headers)
    _refused(r, "answer.label")
    r = api.post("/v1/webhooks/endpoints", json={"url": "https://example.org/\x00"},
                 headers=org.headers)
    _refused(r, "url")
    assert _rows(foundry) == before


def test_nesting_is_limited_before_parsing_on_every_route(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    meta = '{"a": ' * 900 + "1" + "}" * 900
    r = api.post(f"/v1/projects/{project['id']}/items", content=_item_body(meta),
                 headers={**org.headers, **JSON})
    assert f"more than {MAX_DEPTH} deep" in _refused(r, "body")
    r = api.post(f"/v1/projects/{project['id']}/import?format=label-studio",
                 content=b"[" * 5000, headers=org.headers)
    _refused(r, "body")
    r = api.post(f"/v1/projects/{project['id']}/import?format=label-studio",
                 content=b"[" * 5000, headers={**org.headers, "content-type": "text/plain"})
    _refused(r, "body")
    r = api.post(f"/v1/leases/{lease['id']}/submit", content=b"[" * 100_000,
                 headers={**worker.headers, **JSON})
    _refused(r, "body")
    # Brackets inside strings are text, not nesting.
    text = "[" * 5000 + '"{' * 100
    r = api.post(f"/v1/projects/{project['id']}/items",
                 json={"items": [{"external_id": "brackets", "data": {"text": text}}]},
                 headers=org.headers)
    assert r.status_code == 200, r.text
    assert _rows(foundry)[1] == before[1] + 1


def test_the_depth_scan_counts_only_brackets_outside_strings():
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert too_deep(b'{"a": ' * (MAX_DEPTH + 1))
    assert not too_deep(json.dumps({"t": "[" * 10_000 + '\\"{' * 100}).encode())
    assert not too_deep(b"\n".join([b"[" * 40 + b"]" * 40] * 100))  # JSON lines: per line


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_scale_compat_authenticates_before_it_parses(api, foundry, make_org):
    org = make_org()
    before = _rows(foundry)
    deep = b"[" * 100_000
    for headers in ({}, _basic(org.key)):
        r = api.post(f"{SCALE}/task/categorization", content=deep,
                     headers={**headers, **JSON})
        assert r.status_code == 400, r.text[:300]
        assert "deep" in r.json()["error"]
    # Parsed only after the credentials: without them a bad body is a 401, not a parse error.
    for body in (b"{not json", b'{"instruction": "\\ud800"}'):
        r = api.post(f"{SCALE}/task/categorization", content=body, headers=JSON)
        assert r.status_code == 401, r.text
        r = api.post(f"{SCALE}/task/categorization", content=body,
                     headers={**_basic(org.key), **JSON})
        assert r.status_code == 400, r.text
    r = api.post(f"{SCALE}/projects", content=b'{"name": "p\\u0000"}',
                 headers={**_basic(org.key), **JSON})
    assert r.status_code == 400 and "name" in r.json()["error"], r.text
    assert _rows(foundry) == before


def test_scale_compat_refuses_a_task_type_that_is_not_a_string(api, make_org):
    """Found by the generated requests: an object as the type was a 500 (unhashable)."""
    org = make_org()
    for kind in ({"a": 1}, ["categorization"], 5, None):
        r = api.post(f"{SCALE}/projects", json={"type": kind, "name": "p"},
                     headers=_basic(org.key))
        assert r.status_code == 402, r.text  # Scale's "not enabled" for an unknown type
        assert "type" in r.json()["error"]


def test_ids_past_64_bits_are_refused_by_name(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    huge = 2**63
    _refused(api.get(f"/v1/projects/{huge}", headers=org.headers), "project_id")
    _refused(api.get(f"/v1/projects/{-huge - 1}/items", headers=org.headers), "project_id")
    _refused(api.post(f"/v1/leases/{huge}/submit", json={"answer": {"label": "cat"}},
                      headers=worker.headers), "lease_id")
    _refused(api.get("/v1/evals/runs/1/pending", params={"after": str(huge)},
                     headers=org.headers), "after")
    r = api.post("/v1/submissions", headers=worker.headers,
                 json={"submissions": [{"lease_id": huge, "answer": {"label": "cat"}}]})
    _refused(r, "submissions.0.lease_id")
    r = api.post(f"/v1/projects/{project['id']}/redaction-review/sample",
                 json={"from_project": 10**30}, headers=org.headers)
    _refused(r, "from_project")
    assert _rows(foundry) == before


def test_a_body_that_is_not_utf8_is_refused_by_name(api, foundry, setup):
    org, worker, _, lease = setup
    before = _rows(foundry)
    for path, who, body in (("/v1/projects", org, b'{"name": "\xff\xfe"}'),
                            (f"/v1/leases/{lease['id']}/submit", worker,
                             b'{"answer": {"label": "\xc3\x28"}}')):
        message = _refused(api.post(path, content=body, headers={**who.headers, **JSON}),
                           "body")
        assert "UTF-8" in message
    assert _rows(foundry) == before


def test_types_are_strict_and_unknown_fields_refused(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    _refused(api.put("/v1/organization/originals", json={"keep": "yes"}, headers=org.headers),
             "keep")
    _refused(api.put("/v1/organization/originals", json={"keep": 1}, headers=org.headers),
             "keep")
    _refused(api.post(f"/v1/projects/{project['id']}/leases", json={"n": "5"},
                      headers=worker.headers), "n")
    _refused(api.post(f"/v1/projects/{project['id']}/leases", json={"n": 1, "m": 2},
                      headers=worker.headers), "m")
    _refused(api.put("/v1/organization/originals", json={"keep": True, "also": 1},
                     headers=org.headers), "also")
    _refused(api.post("/v1/invoices", json={"start": 0, "end": 10, "x": 1}, headers=org.headers),
             "x")
    _refused(api.post(f"/v1/projects/{project['id']}/items", headers=org.headers,
                      json={"items": [{"external_id": "p", "data": {"text": "t"},
                                       "priority": "5"}]}), "items.0.priority")
    _refused(api.post("/v1/keys", json={"name": 5}, headers=org.headers), "name")
    assert _rows(foundry) == before
    eval_set = api.post("/v1/evals/sets", headers=org.headers, json={
        "name": "s", "items": [{"external_id": "e1", "prompt": "What is 2+2?"}]})
    assert eval_set.status_code == 201, eval_set.text
    _refused(api.post(f"/v1/evals/sets/{eval_set.json()['id']}/runs", json={"model": 5},
                      headers=org.headers), "model")
    _refused(api.post(f"/v1/evals/sets/{eval_set.json()['id']}/grading", headers=org.headers,
                      json={"kind": "grade", "runs": ["1"]}), "runs.0")


def test_nan_infinity_and_absurd_periods_are_refused(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    path = f"/v1/projects/{project['id']}/items"
    for token in ("NaN", "Infinity", "-Infinity"):
        body = _item_body('{"score": ' + token + "}")
        message = _refused(api.post(path, content=body, headers={**org.headers, **JSON}),
                           "items.0.data.meta.score")
        assert "NaN" in message
    for period, field in (({"start": 0, "end": 1e308}, "end"),
                          ({"start": -1e308, "end": 10}, "start"),
                          ({"start": 0, "end": 10**19}, "end"),
                          ({"start": "0", "end": 10}, "start")):
        _refused(api.post("/v1/invoices", json=period, headers=org.headers), field)
    r = api.post("/v1/invoices", content=b'{"start": 0, "end": Infinity}',
                 headers={**org.headers, **JSON})
    _refused(r, "end")
    r = api.get("/v1/usage", params={"start": 0, "end": "inf"}, headers=org.headers)
    _refused(r, "end")
    r = api.post(f"/v1/leases/{lease['id']}/submit", headers={**worker.headers, **JSON},
                 content=b'{"answer": {"label": "cat"}, "seconds_spent": NaN}')
    _refused(r, "seconds_spent")
    assert _rows(foundry) == before


def test_meta_and_draft_have_a_documented_size_limit(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    big = {"blob": "x" * MAX_FREE_FORM_BYTES}
    path = f"/v1/projects/{project['id']}/items"
    r = api.post(path, json={"items": [{"external_id": "m", "data": {"text": "t", "meta": big}}]},
                 headers=org.headers)
    assert "limit" in _refused(r, "items.0.data.meta")
    r = api.post(path, json={"items": [{"external_id": "m", "data": {"text": "t"},
                                        "meta": big}]}, headers=org.headers)
    _refused(r, "items.0.meta")
    r = api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                 json={"answer": {"label": "cat"}, "draft": big})
    _refused(r, "draft")
    assert _rows(foundry) == before
    small = {"blob": "x" * 1000}
    r = api.post(path, json={"items": [{"external_id": "m", "data": {"text": "t", "meta": small},
                                        "meta": small}]}, headers=org.headers)
    assert r.status_code == 200, r.text


def test_an_imported_line_is_held_to_the_same_limits(api, foundry, make_org):
    org = make_org()
    project = api.post("/v1/projects", headers=org.headers, json={
        "name": "pairs", "primitive": "compare", "guidelines": "Pick the better answer."})
    assert project.status_code == 201, project.text
    before = _rows(foundry)
    path = f"/v1/projects/{project.json()['id']}/import?format=hh-rlhf"
    good = json.dumps({"chosen": "\n\nHuman: Hi\n\nAssistant: Hello",
                       "rejected": "\n\nHuman: Hi\n\nAssistant: Go away"})
    for bad, field in (('{"chosen": "\\ud800", "rejected": "x"}', "line 2.chosen"),
                       ('{"chosen": "a\\u0000", "rejected": "x"}', "line 2.chosen"),
                       ('{"chosen": ' + "[" * 80 + "]" * 80 + "}", "body")):
        r = api.post(path + "&strict=true", content=(good + "\n" + bad + "\n").encode(),
                     headers={**org.headers, "content-type": "text/plain"})
        _refused(r, field)
    assert _rows(foundry) == before
    # Without --strict the odd line is skipped and named, like any other line that cannot be
    # imported; the good line goes in.
    r = api.post(path, content=(good + "\n" + '{"chosen": "a\\u0000", "rejected": "x"}\n').encode(),
                 headers={**org.headers, "content-type": "text/plain"})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    assert [s["line"] for s in r.json()["skipped"]] == [2]
    assert "chosen" in r.json()["skipped"][0]["reason"]
    # A file read from disk (the CLI, --strict): the deep line is named.
    deep = '{"chosen": ' + "[" * 80 + "]" * 80 + "}"
    before = _rows(foundry)
    with pytest.raises(InvalidInput) as refused:
        imports.import_file(foundry, org.id, project.json()["id"], "hh-rlhf",
                            lambda: [good, deep], strict=True)
    assert refused.value.field == "line 2"
    assert _rows(foundry) == before


def test_ingested_files_are_held_to_the_same_limits(api, foundry, make_org):
    """A file of the ingest upload with a deep line, a lone surrogate or a NUL character is
    named in the report with its line and left out (it was a 500); the other files go in."""
    org = make_org()
    project = create_project(api, org)
    before = _rows(foundry)
    hostile = [("deep.jsonl", b'{"text": ' + b"[" * 5000 + b"}\n"),
               ("surrogate.jsonl", b'{"text": "fine"}\n{"text": "\\ud800"}\n'),
               ("nul.jsonl", b'{"text": "a\\u0000b"}\n'),
               ("nul.txt", b"first paragraph\n\nsecond \x00 one\n")]
    for name, content in hostile:
        r = api.post(f"/v1/projects/{project['id']}/ingest", headers=org.headers,
                     files={"files": (name, content)})
        assert r.status_code == 200, (name, r.text[:300])
        [error] = r.json()["errors"]
        assert error["file"] == name and error["line"] >= 1, error
    assert _rows(foundry) == before
    r = api.post(f"/v1/projects/{project['id']}/ingest", headers=org.headers,
                 files=[("files", ("ok.txt", b"a clean paragraph\n")),
                        ("files", ("nul.txt", b"x\x00\n"))])
    assert r.status_code == 200, r.text
    assert [e["file"] for e in r.json()["errors"]] == ["nul.txt"]
    assert _rows(foundry)[1] == before[1] + 1


def test_the_api_checks_credentials_before_it_parses_a_body(api, foundry, setup):
    org, worker, project, lease = setup
    before = _rows(foundry)
    items_path = f"/v1/projects/{project['id']}/items"
    for body in (b"{not json", b'{"items": [{"external_id": "\\ud800"}]}', b"\xff\xfe"):
        for headers in ({}, {"Authorization": "Bearer dfk_not_a_key"}, worker.headers):
            r = api.post(items_path, content=body, headers={**headers, **JSON})
            assert r.status_code == 401, (body, headers, r.text)
        r = api.post(f"/v1/leases/{lease['id']}/submit", content=body,
                     headers={**org.headers, **JSON})  # an API key is not a contributor
        assert r.status_code == 401, r.text
        r = api.post(items_path, content=body, headers={**org.headers, **JSON})
        _refused(r, "body" if not body.startswith(b'{"items"') else "items.0.external_id")
    assert _rows(foundry) == before
