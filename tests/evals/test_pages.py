"""The leaderboard page: a requester's eval sets, and a set's leaderboard with its chart."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from datafab.api.app import create_app
from datafab.services import evals
from datafab.services.accounts import create_organization


def _login(client: TestClient, key: str) -> None:
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/dashboard/login", data={"csrf": csrf, "api_key": key},
                       follow_redirects=False).status_code == 303


def test_the_leaderboard_page(foundry):
    org, key = create_organization(foundry, "Board Lab")
    items = [{"external_id": f"q{i}", "prompt": f"What is {i} + 1?",
              "reference": {"kind": "numeric", "answer": i + 1},
              "slices": {"domain": "math" if i % 2 else "counting"}} for i in range(20)]
    made = evals.create_set(foundry, org, {"name": "arith", "items": items})
    ids = {r["external_id"]: r["item_id"]
           for r in evals.pending(foundry, org, evals.start_run(
               foundry, org, made["id"], {"model": "probe"})["id"], limit=100)["items"]}
    for model, wrong in (("good-1", 1), ("bad-1", 12)):
        run = evals.start_run(foundry, org, made["id"], {"model": model})
        evals.record_responses(foundry, org, run["id"], {"responses": [
            {"item_id": ids[f"q{i}"], "text": str(i + 1 if i % 20 >= wrong else i)}
            for i in range(20)]})
    other = create_organization(foundry, "Other")[1]
    with TestClient(create_app(foundry)) as client:
        assert client.get("/dashboard/evals", follow_redirects=False).status_code == 303
        _login(client, key)
        listing = client.get("/dashboard/evals").text
        assert "arith" in listing and f'/dashboard/evals/{made["id"]}' in listing
        html = client.get(f"/dashboard/evals/{made['id']}").text
        assert '<svg class="chart"' in html and "1. good-1" in html
        rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([\w-]+)</td><td>', html)
        assert rows[:2] == [("1", "good-1"), ("2", "bad-1")]
        assert "domain=math" in html and "auto 20" in html
        empty = client.get(f"/dashboard/evals/{made['id']}?method=bradley_terry").text
        assert "no pairwise judgments by people yet" in empty
    with TestClient(create_app(foundry)) as client:
        _login(client, other)
        assert client.get(f"/dashboard/evals/{made['id']}").status_code == 404
