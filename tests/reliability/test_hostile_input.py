"""Hostile input: schemathesis against /openapi.json (no 5xx, responses match the spec),
oversized bodies, deep nesting, invalid UTF-8 and huge strings — a clean 4xx, nothing
written."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select
from tests.reliability.helpers import create_project, upload

from datafab.api.app import create_app
from datafab.store.tables import items, projects, submissions

CONTRIBUTOR_PATHS = ("/v1/leases", "/v1/submissions", "/v1/me")
CONTRIBUTOR_SUFFIXES = ("/leases", "/instructions")
EXAMPLES = 10  # per operation and database: bounded, so the suite stays fast
NEGATIVE_EXAMPLES = 5  # invalid requests per operation and database


OPERATOR_TOKEN = "operator-token-for-the-generated-requests"
OPERATOR_PATHS = ("/v1/payouts",)


@pytest.fixture
def hostile_app(foundry, make_org, make_worker):
    foundry.settings.rate_limit_api_key = 0
    foundry.settings.rate_limit_contributor = 0
    foundry.settings.operator_token = OPERATOR_TOKEN
    app = create_app(foundry)
    org, worker = make_org(), make_worker()
    with TestClient(app) as client:  # something real to find: a project, items, a lease
        project = create_project(client, org)
        upload(client, org, project, 3)
        client.post(f"/v1/projects/{project['id']}/leases", headers=worker.headers)
    app.state.test_headers = (org.headers, worker.headers)
    app.state.test_org = org
    return app


@pytest.mark.slow
def test_the_api_never_fails_and_says_what_it_answers(hostile_app):
    """Every operation, past authentication (a real API key, contributor token or operator
    token), a bounded number of generated requests each, valid and invalid: no 5xx; status
    codes, content types and bodies as the spec says; invalid requests refused. Every
    failure is collected, then reported together."""
    requester, contributor = hostile_app.state.test_headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", hostile_app)
    # The test sends real credentials on every request, so a request "made invalid" by
    # dropping them is not one; unknown query parameters are ignored, as HTTP APIs do.
    schema.config.generation.update(with_security_parameters=False,
                                    allow_extra_parameters=False)
    conformance = [content_type_conformance, response_schema_conformance]
    checks = {
        GenerationMode.POSITIVE: [not_a_server_error, status_code_conformance, *conformance],
        GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection, *conformance],
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    def headers_for(path: str) -> dict[str, str]:
        if path.startswith(OPERATOR_PATHS):
            return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        mine = path.startswith(CONTRIBUTOR_PATHS) or path.endswith(CONTRIBUTOR_SUFFIXES)
        return dict(contributor if mine else requester)

    failures: list[str] = []
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES),
                               (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):
            if mode is GenerationMode.NEGATIVE and not _has_input(operation):
                continue  # nothing to make invalid
            _generated(operation, mode, examples, headers_for(operation.path), checks[mode],
                       failures)()
    assert not failures, "\n\n".join(failures[:20])


def _generated(operation, mode, examples, headers, checks, failures):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except AssertionError as exc:  # schemathesis's failures, however grouped
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                            f"{str(exc)[:600]}")

    return run


def _scale_requests(client, auth, method, route, failures):
    @given(name=HOSTILE_TEXT | st.text(min_size=1, max_size=12), body=SCALE_BODIES,
           query=st.dictionaries(st.sampled_from(SCALE_KEYS), HOSTILE_TEXT, max_size=3))
    @settings(max_examples=EXAMPLES * 3, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(name, body, query):
        raw = {k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}
        path = (SCALE + route.replace("{name}", quote(name.encode("utf-8", "surrogatepass"),
                                                      safe=""))
                + (f"?{urlencode(raw)}" if raw else ""))
        content = json.dumps(body).encode()  # NaN and Infinity as JSON's extensions
        r = client.request(method, path, headers={**auth, "content-type": "application/json"},
                           content=content if method == "post" else None)
        if r.status_code >= 500:
            failures.append(f"{method.upper()} {path} {content[:200]!r}: {r.text[:200]}")

    return run


def _has_input(operation) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


SCALE = "/compat/scale/v1"
HOSTILE_TEXT = st.sampled_from(["\ud800", "a\x00b", "\udfff\ud800", "9" * 30, "", " ",
                                "x" * 300, "categorization", "pets", "b1", "../../etc"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | HOSTILE_TEXT | st.integers(min_value=2**63, max_value=2**70),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
SCALE_KEYS = ["type", "name", "params", "project", "batch", "instruction", "callback_url",
              "attachment", "attachment_type", "attachments", "categories", "labels",
              "allow_multiple", "unique_id", "metadata", "fields", "text", "prompt",
              "callback", "limit", "offset", "status", "clear_unique_id", "accepted"]
ANY_TEXT = HOSTILE_TEXT | st.text(max_size=20)
SCALE_TASKS = st.fixed_dictionaries(  # close enough to a real task to reach the mapping
    {"project": st.just("pets")},
    optional={"batch": st.just("b1") | ANY_TEXT, "instruction": ANY_TEXT | JSON_VALUES,
              "attachment": ANY_TEXT | JSON_VALUES, "attachment_type": ANY_TEXT,
              "categories": st.lists(ANY_TEXT, max_size=4) | JSON_VALUES,
              "unique_id": ANY_TEXT | JSON_VALUES, "metadata": JSON_VALUES,
              "callback_url": ANY_TEXT | JSON_VALUES, "attachments": JSON_VALUES,
              "fields": JSON_VALUES, "params": JSON_VALUES, "type": ANY_TEXT,
              "name": ANY_TEXT | JSON_VALUES})
SCALE_BODIES = (SCALE_TASKS | st.dictionaries(st.sampled_from(SCALE_KEYS), JSON_VALUES, max_size=8)
                | JSON_VALUES)
SCALE_ROUTES = [("post", "/projects"), ("post", "/projects/{name}/setParams"),
                ("post", "/batches"), ("post", "/batches/{name}/finalize"),
                ("post", "/task/{name}"), ("post", "/task/{name}/cancel"),
                ("post", "/task/{name}/audit"), ("get", "/projects/{name}"),
                ("get", "/batches"), ("get", "/batches/{name}"), ("get", "/batches/{name}/status"),
                ("get", "/task/{name}"), ("get", "/tasks")]


@pytest.mark.slow
def test_the_scale_compatible_routes_never_fail(hostile_app):
    """The vendor-compatible surface is not in /openapi.json: generated bodies, names and
    query strings (lone surrogates, NUL, numbers past 64 bits, NaN) on every route, with a
    real key; no 5xx."""
    org = hostile_app.state.test_org
    auth = {"Authorization": "Basic " + base64.b64encode(f"{org.key}:".encode()).decode()}
    with TestClient(hostile_app) as client:
        r = client.post(f"{SCALE}/projects", headers=auth, json={
            "type": "categorization", "name": "pets", "params": {"instruction": "Pick one."}})
        assert r.status_code == 200, r.text
        r = client.post(f"{SCALE}/batches", headers=auth, json={"name": "b1",
                                                                "project": "pets"})
        assert r.status_code == 200, r.text
        failures: list[str] = []
        for method, route in SCALE_ROUTES:
            _scale_requests(client, auth, method, route, failures)()
    assert not failures, "\n".join(failures[:20])


def _rows(foundry) -> tuple[int, int, int]:
    with foundry.db.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (projects, items, submissions))


@pytest.fixture
def small_body_api(foundry):
    foundry.settings.max_body_bytes = 64 * 1024
    with TestClient(create_app(foundry)) as client:
        yield client


def test_an_oversized_body_is_refused_before_it_is_read(small_body_api, foundry, make_org):
    org = make_org()
    project = create_project(small_body_api, org)
    before = _rows(foundry)
    big = {"items": [{"external_id": f"x{i}", "data": {"text": "y" * 1000}} for i in range(100)]}
    r = small_body_api.post(f"/v1/projects/{project['id']}/items", json=big,
                            headers={**org.headers, "Idempotency-Key": "big"})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "payload_too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(100):
            yield b"x" * 1024

    r = small_body_api.post(f"/v1/projects/{project['id']}/import?format=hh-rlhf",
                            content=chunks(), headers=org.headers)
    assert r.status_code == 413
    assert _rows(foundry) == before


def test_deep_nesting_invalid_utf8_and_huge_strings_get_a_clean_4xx(api, foundry, make_org,
                                                                    make_worker):
    org, worker = make_org(), make_worker()
    project = create_project(api, org)
    upload(api, org, project, 1)
    lease = api.post(f"/v1/projects/{project['id']}/leases",
                     headers=worker.headers).json()["leases"][0]
    before = _rows(foundry)
    json_headers = {"content-type": "application/json"}
    deep = b'{"answer": ' + b'{"a": ' * 5000 + b'"x"' + b"}" * 5000 + b"}"
    hostile = [
        ("/v1/projects", org, b'{"name": "' + b"\xff\xfe" * 10 + b'"}'),
        (f"/v1/leases/{lease['id']}/submit", worker, b'{"answer": {"label": "\xc3\x28"}}'),
        (f"/v1/leases/{lease['id']}/submit", worker, deep),
        (f"/v1/leases/{lease['id']}/submit", worker, b"[" * 100_000),
        (f"/v1/projects/{project['id']}/items", org,
         b'{"items": [{"external_id": "' + b"e" * 1_000_000 + b'", "data": {}}]}'),
        ("/v1/projects", org, b'{"name": "' + b"n" * 1_000_000 + b'", "primitive": "classify",'
                              b' "guidelines": "g", "settings": {"labels": ["a", "b"]}}'),
        (f"/v1/leases/{lease['id']}/submit", worker,
         b'{"answer": {"label": "' + b"c" * 5_000_000 + b'"}}'),
        (f"/v1/projects/{project['id']}/import?format=hh-rlhf", org, b"\xff\xfe\xfd\n"),
        (f"/v1/projects/{project['id']}/import?format=hh-rlhf", org,
         b'{"chosen": ' + b"[" * 50_000 + b"}\n"),
    ]
    for path, who, body in hostile:
        r = api.post(path, content=body, headers={**who.headers, **json_headers})
        assert 400 <= r.status_code < 500, (path, body[:40], r.status_code, r.text[:300])
        assert r.json()["error"]["message"], r.text
    assert _rows(foundry) == before
    # A huge string in every field of a project: refused, named.
    spec = {"name": "p", "primitive": "classify", "guidelines": "g",
            "settings": {"labels": ["a", "b"]}, "policy": {"min_labels": 1}}
    for field in ("name", "primitive"):
        r = api.post("/v1/projects", json={**spec, field: "z" * 100_000}, headers=org.headers)
        assert r.status_code == 422, (field, r.text[:200])
        assert r.json()["error"]["field"] == field
    assert _rows(foundry) == before
