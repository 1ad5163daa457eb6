"""Messages in the pages, over HTTP on both databases: a contributor asks about the item on
screen, the requester answers from the dashboard into the FAQ and announces to the project;
the contributor reads both in the inbox and the answer with the guidelines."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.web.test_pages import classify_project, csrf_of, sign_up

from datafab.api.app import create_app
from datafab.services import accounts


@pytest.fixture
def client(foundry):
    with TestClient(create_app(foundry)) as c:
        yield c


def test_a_question_from_the_bench_is_answered_into_the_faq(client, foundry):
    org, key = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=3)
    sign_up(client)
    bench = client.get(f"/work/{project.id}")
    assert "Ask about this item" in bench.text
    item = re.search(r'name="item_id" value="(\d+)"', bench.text).group(1)
    token = csrf_of(client, "/work/inbox")
    refused = client.post("/work/questions", data={
        "csrf": token, "project_id": str(project.id), "item_id": item, "body": ""})
    assert refused.status_code == 422 and 'id="body-error"' in refused.text
    sent = client.post("/work/questions", data={
        "csrf": token, "project_id": str(project.id), "item_id": item,
        "body": "Is a parrot a bird here?"})
    assert sent.status_code == 200 and "Question sent" in sent.text

    dash = TestClient(client.app)
    dash.post("/dashboard/login", data={"csrf": csrf_of(dash, "/dashboard/login"),
                                        "api_key": key})
    page = dash.get(f"/dashboard/projects/{project.id}/messages")
    assert "Is a parrot a bird here?" in page.text
    question = re.search(r'action="/dashboard/questions/(\d+)/answer"', page.text).group(1)
    token = csrf_of(dash, f"/dashboard/projects/{project.id}/messages")
    empty = dash.post(f"/dashboard/questions/{question}/answer", data={
        "csrf": token, "project_id": str(project.id), "body": " "})
    assert empty.status_code == 422 and 'id="body-error"' in empty.text
    dash.post(f"/dashboard/questions/{question}/answer", data={
        "csrf": token, "project_id": str(project.id), "body": "Yes, a parrot is a bird.",
        "faq": "on"})
    assert "in the FAQ" in dash.get(f"/dashboard/projects/{project.id}/messages").text
    bad = dash.post(f"/dashboard/projects/{project.id}/announcements",
                    data={"csrf": token, "subject": "", "body": "x"})
    assert bad.status_code == 422 and 'id="subject-error"' in bad.text
    done = dash.post(f"/dashboard/projects/{project.id}/announcements",
                     data={"csrf": token, "subject": "Thanks!", "body": "Great work."})
    assert "Sent to 1 contributors" in done.text

    inbox = client.get("/work/inbox").text
    assert "Yes, a parrot is a bird." in inbox and "Thanks!" in inbox
    guidelines = client.get(f"/work/{project.id}/guidelines").text
    assert "Questions asked before" in guidelines and "Is a parrot a bird here?" in guidelines
