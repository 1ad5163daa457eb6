"""The workbench's side of a material guideline change, over HTTP on both databases: the
workbench sends a contributor who owes an acknowledgement to the guidelines, which show the
changelog; the quiz is taken one item at a time; a failed quiz shows what was expected and
changes nothing; a passed one brings the work back. The requester's dashboard lists who
acknowledged."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.web.test_pages import PASSWORD, classify_project, sign_up

from datafab.api.app import create_app
from datafab.services import accounts, items, logins, project_changes, work


@pytest.fixture
def client(foundry):
    with TestClient(create_app(foundry)) as c:
        yield c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _changed(foundry, client, quiz: int = 0):
    org, key = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=6)
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"g{i}", "data": {"text": f"meow {i}"}, "gold_answer": {"label": "cat"},
         "gold_explanation": "Cats meow."} for i in range(3)])
    sign_up(client)
    who = logins.log_in(foundry, "ada@example.org", PASSWORD)
    (lease,) = work.lease_items(foundry, who, project.id)
    work.submit(foundry, who, lease.id, {"answer": {"label": "dog"}})
    project_changes.update_project(foundry, org, project.id, {
        "guidelines": "Pick the animal; a fox is a dog.", "changelog": "foxes are dogs",
        "requires_acknowledgement": True, "quiz_items": quiz})
    return org, key, project, who


def test_the_workbench_asks_for_the_acknowledgement_first(client, foundry):
    org, key, project, who = _changed(foundry, client)
    bench = client.get(f"/work/{project.id}", follow_redirects=False)
    assert bench.status_code == 303
    assert bench.headers["location"] == f"/work/{project.id}/guidelines"
    page = client.get(f"/work/{project.id}/guidelines")
    assert "foxes are dogs" in page.text and "I have read the changes" in page.text
    done = client.post(f"/work/{project.id}/guidelines/acknowledge",
                       data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/work/{project.id}"
    assert "foxes are dogs" not in client.get(f"/work/{project.id}/guidelines").text
    assert client.get(f"/work/{project.id}").status_code == 200
    assert work.lease_batch(foundry, who, project.id).state == "open"


def test_the_quiz_goes_item_by_item_and_a_failure_changes_nothing(client, foundry):
    org, key, project, who = _changed(foundry, client, quiz=2)
    page = client.get(f"/work/{project.id}/guidelines")
    assert "Take the quiz" in page.text
    step = client.post(f"/work/{project.id}/guidelines/acknowledge",
                       data={"csrf": _csrf(page.text)})
    assert "Item 1 of 2" in step.text
    refused = client.post(f"/work/{project.id}/guidelines/acknowledge", data={
        "csrf": _csrf(step.text), "given": "[]",
        "item_id": re.search(r'name="item_id" value="(\d+)"', step.text).group(1)})
    assert refused.status_code == 422 and "Pick a label" in refused.text

    def answer_all(label: str):
        html = step.text
        for _ in range(2):
            given = re.search(r'name="given" value="([^"]*)"', html).group(1)
            item_id = re.search(r'name="item_id" value="(\d+)"', html).group(1)
            reply = client.post(f"/work/{project.id}/guidelines/acknowledge", data={
                "csrf": _csrf(html), "given": given.replace("&#34;", '"'), "item_id": item_id,
                "label": label}, follow_redirects=False)
            html = reply.text
        return reply

    failed = answer_all("dog")
    assert failed.status_code == 200 and "0 of 2 right" in failed.text
    assert "Cats meow." in failed.text
    assert work.lease_batch(foundry, who, project.id).state == "guidelines_changed"
    passed = answer_all("cat")
    assert passed.status_code == 303
    assert work.lease_batch(foundry, who, project.id).state == "open"
    client.get("/logout")
    dash = TestClient(client.app)
    token = _csrf(dash.get("/dashboard/login").text)
    dash.post("/dashboard/login", data={"csrf": token, "api_key": key})
    roster = dash.get(f"/dashboard/projects/{project.id}/guidelines")
    assert roster.status_code == 200
    assert "foxes are dogs" in roster.text and "acknowledged" in roster.text
    assert "2 of 2" in roster.text
