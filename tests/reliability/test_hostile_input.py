"""Hostile input: schemathesis against /openapi.json (no 5xx, responses match the spec),
oversized bodies, deep nesting, invalid UTF-8 and huge strings — a clean 4xx, nothing
written."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
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


@pytest.fixture
def hostile_app(foundry, make_org, make_worker):
    foundry.settings.rate_limit_api_key = 0
    foundry.settings.rate_limit_contributor = 0
    app = create_app(foundry)
    org, worker = make_org(), make_worker()
    with TestClient(app) as client:  # something real to find: a project, items, a lease
        project = create_project(client, org)
        upload(client, org, project, 3)
        client.post(f"/v1/projects/{project['id']}/leases", headers=worker.headers)
    app.state.test_headers = (org.headers, worker.headers)
    return app


def test_the_api_never_fails_and_says_what_it_answers(hostile_app):
    """Every operation, a bounded number of generated requests each (the suite stays fast):
    no 5xx; status codes, content types and bodies as the spec says."""
    requester, contributor = hostile_app.state.test_headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", hostile_app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    def headers_for(path: str) -> dict[str, str]:
        mine = path.startswith(CONTRIBUTOR_PATHS) or path.endswith(CONTRIBUTOR_SUFFIXES)
        return dict(contributor if mine else requester)

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers_for(case.operation.path), checks=checks)

        run()


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
