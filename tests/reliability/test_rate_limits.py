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


def _basic(key: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_the_scale_compatible_surface_is_limited_like_any_api_key(limited, clock, make_org):
    acme = make_org()
    statuses = [limited.get("/compat/scale/v1/projects", headers=_basic(acme.key)).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = limited.get("/compat/scale/v1/projects", headers=_basic(acme.key))
    assert refused.json() == {"error": refused.json()["error"], "status_code": 429}
    assert "too many requests" in refused.json()["error"]
    assert refused.headers["retry-after"] == "1"
    # One key, one budget: the native API shares it.
    assert limited.get("/v1/projects", headers=acme.headers).status_code == 429
    clock.advance(1)
    assert limited.get("/compat/scale/v1/projects", headers=_basic(acme.key)).status_code == 200


@pytest.fixture
def guarded(foundry):
    foundry.settings.rate_limit_failed_auth = 2.0
    app = create_app(foundry)
    with TestClient(app, client=("203.0.113.7", 4000)) as attacker, \
            TestClient(app, client=("198.51.100.9", 4000)) as neighbour:
        yield attacker, neighbour


def test_failed_authentication_is_limited_per_client_address(guarded, clock, make_org):
    attacker, neighbour = guarded
    acme = make_org()
    guesses = [{"Authorization": f"Bearer dfk_guess{i}"} for i in range(6)]
    statuses = [attacker.get("/v1/projects", headers=guesses[i]).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 401]  # a burst of two seconds' worth
    # Past it, the address's unknown credentials are refused before they are looked up, on
    # every surface: the native API, a contributor route, the Scale-compatible one, and a
    # POST with an Idempotency-Key.
    for response in (
        attacker.get("/v1/projects", headers=guesses[4]),
        attacker.get("/v1/me", headers={"Authorization": "Bearer dfc_guess"}),
        attacker.get("/compat/scale/v1/projects", headers=_basic("dfk_guess5")),
        attacker.post("/v1/projects", json={}, headers={**guesses[5], "Idempotency-Key": "k"}),
    ):
        assert response.status_code == 429, response.text
        assert int(response.headers["retry-after"]) >= 1
    # Another address is unaffected; a missing credential counts too.
    assert neighbour.get("/v1/projects", headers=guesses[0]).status_code == 401
    assert neighbour.get("/v1/projects", headers=acme.headers).status_code == 200
    clock.advance(1)
    assert attacker.get("/v1/projects", headers=acme.headers).status_code == 200


def test_missing_credentials_are_failed_authentications_too(guarded):
    attacker, _ = guarded
    statuses = [attacker.get("/v1/projects").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert attacker.get("/v1/projects",
                        headers={"Authorization": "Bearer dfk_guess"}).status_code == 429
