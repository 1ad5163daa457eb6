"""Rate limits per API key and per contributor, with Retry-After."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from datafab.api.app import create_app


@pytest.fixture
def limited(foundry):
    foundry.settings.rate_limit_api_key = 2.0
    foundry.settings.rate_limit_contributor = 1.0
    with TestClient(create_app(foundry)) as client:
        yield client


def test_an_api_key_over_its_rate_waits(limited, clock, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    for _ in range(4):  # a burst of two seconds' worth
        assert limited.get("/v1/projects", headers=acme.headers).status_code == 200
    refused = limited.get("/v1/projects", headers=acme.headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limited"
    assert refused.headers["retry-after"] == "1"
    assert limited.get("/v1/projects", headers=globex.headers).status_code == 200  # per key
    clock.advance(1)
    assert limited.get("/v1/projects", headers=acme.headers).status_code == 200


def test_a_contributor_over_their_rate_waits(limited, clock, make_worker):
    worker = make_worker()
    assert [limited.get("/v1/me", headers=worker.headers).status_code
            for _ in range(3)] == [200, 200, 429]
    refused = limited.get("/v1/me", headers=worker.headers)
    assert int(refused.headers["retry-after"]) >= 1
    clock.advance(int(refused.headers["retry-after"]))
    assert limited.get("/v1/me", headers=worker.headers).status_code == 200
