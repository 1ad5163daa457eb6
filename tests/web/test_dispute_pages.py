"""Disputes in the pages, over HTTP on both databases: a contributor disputes a check
verdict from the feedback after the item, follows it in the inbox; an operator decides in the
ops console (a bad corrected answer is refused next to its field), and the decision reaches
the contributor's inbox."""

from __future__ import annotations

import random
import re

import pytest
from fastapi.testclient import TestClient
from tests.web.test_pages import classify_project, csrf_of, sign_up

from datafab.api.app import create_app
from datafab.services import accounts, items, work


class AlwaysGold(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture
def client(foundry, monkeypatch):
    foundry.settings.operator_token = "ops-token"
    monkeypatch.setattr(work, "_RANDOM", AlwaysGold(0))
    with TestClient(create_app(foundry)) as c:
        yield c


def test_a_dispute_goes_from_the_feedback_to_the_ops_queue_and_back(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=2, policy={"gold_rate": 0.5})
    items.upload_items(foundry, org, project.id, [
        {"external_id": "g", "data": {"text": "woof"}, "gold_answer": {"label": "cat"},
         "gold_explanation": "Cats meow."}])
    sign_up(client)
    page = client.get(f"/work/{project.id}")
    lease = re.search(r'data-lease="(\d+)"', page.text).group(1)
    turn = client.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                       data={"csrf": csrf_of(client, "/work/inbox"), "label": "dog"})
    assert 'data-gold="wrong"' in turn.text and "Dispute it" in turn.text
    submission = re.search(r'name="submission_id" value="(\d+)"', turn.text).group(1)
    token = csrf_of(client, "/work/inbox")
    empty = client.post("/work/disputes", data={"csrf": token, "project_id": str(project.id),
                                                "submission_id": submission, "reason": " "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    sent = client.post("/work/disputes", data={
        "csrf": token, "project_id": str(project.id), "submission_id": submission,
        "reason": "it says woof: a dog"}, follow_redirects=False)
    assert sent.status_code == 303
    inbox = client.get(sent.headers["location"]).text
    assert "it says woof: a dog" in inbox and "open" in inbox

    ops = TestClient(client.app)
    ops.post("/ops/login", data={"csrf": csrf_of(ops, "/ops/login"), "token": "ops-token"})
    queue = ops.get("/ops/disputes")
    assert "it says woof: a dog" in queue.text and "Cats meow." in queue.text
    dispute = re.search(r'action="/ops/disputes/(\d+)/resolve"', queue.text).group(1)
    token = csrf_of(ops, "/ops/disputes")
    bad = ops.post(f"/ops/disputes/{dispute}/resolve", data={
        "csrf": token, "decision": "upheld", "reason": "right", "corrected_answer": "{oops"})
    assert bad.status_code == 422 and 'id="corrected_answer-error"' in bad.text
    bad = ops.post(f"/ops/disputes/{dispute}/resolve", data={
        "csrf": token, "decision": "upheld", "reason": "right",
        "corrected_answer": '{"label": "fish"}'})
    assert bad.status_code == 422 and "corrected_answer" in bad.text
    done = ops.post(f"/ops/disputes/{dispute}/resolve", data={
        "csrf": token, "decision": "upheld", "reason": "It barks: a dog.",
        "corrected_answer": ""}, follow_redirects=False)
    assert done.status_code == 303
    assert "No disputes here." in ops.get("/ops/disputes").text
    assert "It barks: a dog." in ops.get("/ops/disputes?status=upheld").text
    inbox = client.get("/work/inbox").text
    assert "was upheld" in inbox and "It barks: a dog." in inbox and "upheld" in inbox
    message = re.search(r'action="/work/inbox/(\d+)/read"', inbox).group(1)
    client.post(f"/work/inbox/{message}/read", data={"csrf": csrf_of(client, "/work/inbox")})
    assert f'action="/work/inbox/{message}/read"' not in client.get("/work/inbox").text
