"""The common-errors digest on both databases, over HTTP: gold confusions with examples and
the explanation, the items that disagree most, each contributor's own mistakes; it follows
new answers; a contributor sees only items they answered; another organization gets 404."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient

from datafab.services import work


class AlwaysGold(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture
def gold_first(monkeypatch):
    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(0))


def _setup(api, org):
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "p", "primitive": "classify", "settings": {"labels": ["cat", "dog", "fox"]},
        "policy": {"min_labels": 3, "max_labels": 3, "gold_rate": 0.5}}).json()["id"]
    batch = [{"external_id": f"i{i}", "data": {"text": f"animal {i}"}} for i in range(2)]
    batch += [{"external_id": "g0", "data": {"text": "it barks"}, "gold_answer": {"label": "dog"},
               "gold_explanation": "Barking means dog."},
              {"external_id": "g1", "data": {"text": "it meows"}, "gold_answer": {"label": "cat"},
               "gold_explanation": "Meowing means cat."}]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": batch})
    return pid


def _work(api, pid, worker, answers):
    """Lease until nothing comes; answer each item by its external id."""
    while True:
        leases = api.post(f"/v1/projects/{pid}/leases", json={"n": 1},
                          headers=worker.headers).json()["leases"]
        if not leases:
            return
        for lease in leases:
            label = answers[lease["item"]["external_id"]]
            r = api.post(f"/v1/leases/{lease['id']}/submit", headers=worker.headers,
                         json={"answer": {"label": label}})
            assert r.status_code == 200, r.text


def test_the_digest_shows_confusions_disagreement_and_own_mistakes(api, foundry, gold_first,
                                                                  make_org, make_worker):
    org = make_org()
    pid = _setup(api, org)
    a, b, c = make_worker("a"), make_worker("b"), make_worker("c")
    _work(api, pid, a, {"g0": "fox", "g1": "cat", "i0": "cat", "i1": "dog"})
    _work(api, pid, b, {"g0": "fox", "g1": "dog", "i0": "dog", "i1": "dog"})
    digest = api.get(f"/v1/projects/{pid}/common-errors", headers=org.headers).json()
    assert digest["gold_answers"] == 4 and digest["gold_wrong"] == 3
    top = digest["confusions"][0]
    assert (top["expected"], top["given"], top["count"]) == ({"label": "dog"},
                                                             {"label": "fox"}, 2)
    assert top["explanation"] == "Barking means dog."
    assert top["examples"][0]["data"] == {"text": "it barks"}
    (disputed,) = digest["disagreements"]  # i1: everyone says dog
    assert disputed["item"]["external_id"] == "i0" and disputed["disagreement"] == 0.5
    assert digest["mine"] is None

    mine = api.get(f"/v1/me/projects/{pid}/common-errors", headers=a.headers).json()
    assert [(m["expected"], m["given"]) for m in mine["mine"]] == [({"label": "dog"},
                                                                    {"label": "fox"})]
    # c has answered nothing: items appear without their contents
    fresh = api.get(f"/v1/me/projects/{pid}/common-errors", headers=c.headers).json()
    assert fresh["mine"] == [] and fresh["disagreements"][0]["item"]["data"] is None
    assert fresh["confusions"][0]["examples"][0]["data"] is None

    _work(api, pid, c, {"g0": "dog", "g1": "dog", "i0": "fox", "i1": "dog"})  # refreshed
    after = api.get(f"/v1/projects/{pid}/common-errors", headers=org.headers).json()
    assert after["gold_answers"] == 6 and after["gold_wrong"] == 4
    assert after["confusions"][0]["count"] == 2
    assert ({"label": "cat"}, {"label": "dog"}, 2) in [
        (x["expected"], x["given"], x["count"]) for x in after["confusions"]]
    assert after["disagreements"][0]["item"]["external_id"] == "i0"
    assert round(after["disagreements"][0]["disagreement"], 4) == 0.6667

    other = make_org("b")
    assert api.get(f"/v1/projects/{pid}/common-errors", headers=other.headers).status_code == 404
    assert api.get(f"/v1/me/projects/{pid + 9}/common-errors",
                   headers=a.headers).status_code == 404


def test_the_workbench_page_shows_the_digest(foundry, gold_first, make_org, make_worker):
    from tests.web.test_pages import sign_up

    from datafab.api.app import create_app

    with TestClient(create_app(foundry)) as client:
        org = make_org()
        pid = _setup(client, org)
        _work(client, pid, make_worker("a"), {"g0": "fox", "g1": "cat", "i0": "cat",
                                              "i1": "dog"})
        sign_up(client)
        page = client.get(f"/work/{pid}/errors")
        assert page.status_code == 200
        assert "Barking means dog." in page.text and "None on check items so far." in page.text
        assert "Common errors on this project" in client.get(f"/work/{pid}/guidelines").text
