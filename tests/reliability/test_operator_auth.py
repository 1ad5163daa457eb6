"""Operator routes check the operator token before they read a body, as every other caller's
credentials are checked: a wrong token with a hostile body is a 401, never a parse error."""

from __future__ import annotations

import pytest

JSON = {"Content-Type": "application/json"}
ROUTES = ["/v1/ops/campaigns", "/v1/ops/questions/1/answer", "/v1/payouts",
          "/v1/ops/projects/1/announcements"]


@pytest.fixture
def ops(foundry):
    foundry.settings.operator_token = "ops-token"
    return {"Authorization": "Bearer ops-token"}


@pytest.mark.parametrize("path", ROUTES)
def test_a_wrong_operator_token_is_refused_before_the_body_is_parsed(api, ops, path):
    body = b'{"name": "\\ud800", "n": NaN}'
    got = api.post(path, content=body, headers=JSON)
    assert got.status_code == 401 and "Authorization" in got.json()["error"]["message"]
    got = api.post(path, content=body, headers={"Authorization": "Bearer not-it", **JSON})
    assert got.status_code == 401, (path, got.text)
    assert "operator token" in got.json()["error"]["message"]


@pytest.mark.parametrize("path", ROUTES)
def test_the_operator_token_lets_the_body_be_checked(api, ops, path):
    got = api.post(path, content=b'{"name": "\\ud800", "n": NaN}', headers={**ops, **JSON})
    assert got.status_code == 422, (path, got.text)
