"""The lease path's hot routes answered in one layer (api/lease_path.py): taken only when
nothing calls for the full stack, with the same answers, refusals and limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from datafab.api import lease_path
from datafab.api.app import create_app
from datafab.api.schemas import work as out
from datafab.services import items, projects


@pytest.fixture
def taken(monkeypatch) -> list[str]:
    """The routes the one-layer path answered (by the service call it hands to a thread)."""
    calls: list[str] = []
    real = lease_path.run_in_threadpool

    async def counted(route_call, scope, *args):
        calls.append(scope["path"])
        return await real(route_call, scope, *args)

    monkeypatch.setattr(lease_path, "run_in_threadpool", counted)
    return calls


def _project(foundry, org, n_items=6):
    project = projects.create_project(
        foundry,
        org.id,
        {
            "name": "p",
            "primitive": "classify",
            "settings": {"labels": ["a", "b"]},
            "policy": {"min_labels": 1, "max_labels": 1},
        },
    )
    items.upload_items(
        foundry,
        org.id,
        project.id,
        [{"external_id": f"i{i}", "data": {"text": f"t {i}"}} for i in range(n_items)],
    )
    return project.id


def _same_as_model(model, body: dict) -> bool:
    """The body is what the route's response model would have sent: nothing to drop or
    convert."""
    return model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body


def test_a_known_contributor_leases_and_submits_in_one_layer(
    api, foundry, make_org, make_worker, taken
):
    project, worker = _project(foundry, make_org()), make_worker()
    first = api.post(f"/v1/projects/{project}/leases", json={"n": 1}, headers=worker.headers)
    assert first.status_code == 200 and taken == []  # the first call looks the token up
    assert _same_as_model(out.LeaseBatchOut, first.json())

    one = api.post(
        f"/v1/leases/{first.json()['leases'][0]['id']}/submit",
        json={"answer": {"label": "a"}, "seconds_spent": 3.5},
        headers=worker.headers,
    )
    assert one.status_code == 200 and _same_as_model(out.ReceiptOut, one.json())
    assert one.json()["item_done"] is True

    batch = api.post(f"/v1/projects/{project}/leases", json={"n": 3}, headers=worker.headers)
    assert batch.status_code == 200 and len(batch.json()["leases"]) == 3
    assert _same_as_model(out.LeaseBatchOut, batch.json())
    many = api.post(
        "/v1/submissions",
        headers=worker.headers,
        json={
            "submissions": [
                {"lease_id": x["id"], "answer": {"label": "b"}} for x in batch.json()["leases"]
            ]
        },
    )
    assert many.status_code == 200 and _same_as_model(out.ReceiptList, many.json())
    assert [r["lease_id"] for r in many.json()["submissions"]] == [
        x["id"] for x in batch.json()["leases"]
    ]
    empty = api.post(f"/v1/projects/{project}/leases", headers=worker.headers)  # no body: n=1
    assert empty.status_code == 200 and len(empty.json()["leases"]) == 1
    assert taken == [
        f"/v1/leases/{first.json()['leases'][0]['id']}/submit",
        f"/v1/projects/{project}/leases",
        "/v1/submissions",
        f"/v1/projects/{project}/leases",
    ]


def test_what_the_route_refuses_is_refused_in_its_words(api, foundry, make_org, make_worker, taken):
    project, worker = _project(foundry, make_org()), make_worker()
    api.post(f"/v1/projects/{project}/leases", json={"n": 1}, headers=worker.headers)
    lease = api.post(f"/v1/projects/{project}/leases", headers=worker.headers).json()
    lease_id = lease["leases"][0]["id"]

    unknown = api.post("/v1/projects/999999/leases", json={"n": 1}, headers=worker.headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "not_found"
    too_many = api.post(
        f"/v1/projects/{project}/leases", json={"n": 10_000}, headers=worker.headers
    )
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "n"
    extra = api.post(
        f"/v1/leases/{lease_id}/submit",
        headers=worker.headers,
        json={"answer": {"label": "a"}, "colour": "red"},
    )
    assert extra.status_code == 422 and extra.json()["error"]["field"] == "colour"
    nan = api.post(
        f"/v1/leases/{lease_id}/submit",
        headers={**worker.headers, "Content-Type": "application/json"},
        content=b'{"answer": {"label": "a"}, "seconds_spent": NaN}',
    )
    assert nan.status_code == 422 and nan.json()["error"]["type"] == "invalid_input"
    deep = api.post(
        f"/v1/leases/{lease_id}/submit",
        headers={**worker.headers, "Content-Type": "application/json"},
        content=b'{"answer": ' + b"[" * 100 + b"]" * 100 + b"}",
    )
    assert deep.status_code == 422
    not_theirs = api.post(
        f"/v1/leases/{lease_id}/submit",
        json={"answer": {"label": "a"}},
        headers=make_worker("other").headers,
    )
    assert not_theirs.status_code == 404
    wrong_id = api.post(
        "/v1/leases/12x/submit", json={"answer": {"label": "a"}}, headers=worker.headers
    )
    assert wrong_id.status_code == 422
    no_token = api.post(f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "a"}})
    assert no_token.status_code == 401
    answered = api.post(
        f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "a"}}, headers=worker.headers
    )
    retried = api.post(
        f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "a"}}, headers=worker.headers
    )  # a retry: the same receipt
    assert answered.status_code == retried.status_code == 200
    assert retried.json() == answered.json()
    changed = api.post(
        f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "b"}}, headers=worker.headers
    )
    assert changed.status_code >= 400 and set(changed.json()) == {"error"}
    # the service refusals went through the one layer; the malformed bodies did not
    assert f"/v1/projects/{project}/leases" in taken and "/v1/projects/999999/leases" in taken
    assert taken.count(f"/v1/leases/{lease_id}/submit") == 3  # not the other's first call


def test_an_idempotent_submit_is_replayed_by_the_full_stack(
    api, foundry, make_org, make_worker, taken
):
    project, worker = _project(foundry, make_org()), make_worker()
    api.post(f"/v1/projects/{project}/leases", headers=worker.headers)
    lease_id = api.post(f"/v1/projects/{project}/leases", headers=worker.headers).json()["leases"][
        0
    ]["id"]
    headers = {**worker.headers, "Idempotency-Key": "k-1"}
    first = api.post(
        f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "a"}}, headers=headers
    )
    second = api.post(
        f"/v1/leases/{lease_id}/submit", json={"answer": {"label": "a"}}, headers=headers
    )
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true" and second.content == first.content
    assert f"/v1/leases/{lease_id}/submit" not in taken


def test_the_body_limit_holds_before_anything_is_read(foundry, make_org, make_worker, taken):
    foundry.settings.max_body_bytes = 200
    project, worker = _project(foundry, make_org()), make_worker()
    with TestClient(create_app(foundry)) as client:
        client.post(f"/v1/projects/{project}/leases", headers=worker.headers)
        lease_id = client.post(f"/v1/projects/{project}/leases", headers=worker.headers).json()[
            "leases"
        ][0]["id"]
        big = client.post(
            f"/v1/leases/{lease_id}/submit",
            headers=worker.headers,
            json={"answer": {"label": "a", "note": "x" * 500}},
        )
    assert big.status_code == 413 and big.json()["error"]["type"] == "payload_too_large"
    assert f"/v1/leases/{lease_id}/submit" not in taken


def test_a_known_contributor_over_their_rate_waits(foundry, make_org, make_worker, taken):
    foundry.settings.rate_limit_contributor = 1.0
    project, worker = _project(foundry, make_org()), make_worker()
    with TestClient(create_app(foundry)) as client:
        codes = [
            client.post(f"/v1/projects/{project}/leases", headers=worker.headers).status_code
            for _ in range(3)
        ]
        refused = client.post(f"/v1/projects/{project}/leases", headers=worker.headers)
    assert codes == [200, 200, 429]  # two seconds' worth, then refused: charged once each
    assert refused.json()["error"]["type"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert len(taken) == 1  # the second call; the third and fourth were refused before it


def test_answers_encode_to_the_same_values_as_the_standard_encoder():
    import json

    out = {
        "leases": [
            {
                "id": 1,
                "expires_at": 1.8e9 + 0.25,
                "item": {
                    "data": {
                        "text": "naïve — 漢字 \u2028",
                        "n": 1e16,
                        "small": 5e-324,
                        "big": 2**62,
                        "none": None,
                        "nested": [[1, 2.5], {"k": True}],
                    }
                },
            }
        ],
        "state": "open",
        "reason": "",
    }
    assert json.loads(lease_path._encoded(out)) == out
    past_64_bits = {"n": 2**70}  # orjson refuses it; the standard encoder writes it
    assert json.loads(lease_path._encoded(past_64_bits)) == past_64_bits
