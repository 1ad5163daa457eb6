"""Recruitment in the pages, over HTTP on both databases: an applicant follows the
campaign's link, answers the questionnaire, takes the screening test item by item and uploads
a credential (a non-document is refused next to the field); the operator reviews it in the
credential queue and reads the funnel."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.web.test_pages import classify_project, csrf_of, sign_up

from datafab.api.app import create_app
from datafab.services import accounts, items
from datafab.services.recruiting import campaigns

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def client(foundry):
    foundry.settings.operator_token = "ops-token"
    with TestClient(create_app(foundry)) as c:
        yield c


def test_an_applicant_applies_is_screened_and_verified(client, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=2)
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"g{i}", "data": {"text": f"meow {i}"}, "gold_answer": {"label": "cat"}}
        for i in range(2)])
    campaigns.create(foundry, {
        "name": "Zoologists", "referral_code": "zoo", "questionnaire": ["Your field?"],
        "skills": [{"kind": "domain", "name": "biology"}], "expert_skills": ["biology"],
        "screening": [{"skill": "biology", "project_id": project.id, "items": 2}]})
    sign_up(client)
    page = client.get("/work/apply/zoo?source=newsletter")
    assert "Your field?" in page.text and 'value="newsletter"' in page.text
    token = csrf_of(client, "/work/apply/zoo")
    refused = client.post("/work/apply/zoo", data={"csrf": token, "answer-0": " ",
                                                   "source": "newsletter"})
    assert refused.status_code == 422 and 'id="answers-0-error"' in refused.text
    done = client.post("/work/apply/zoo", data={"csrf": token, "answer-0": "Ornithology",
                                                "source": "newsletter"},
                       follow_redirects=False)
    assert done.status_code == 303
    step = client.post("/work/apply/zoo/screening", data={"csrf": token})
    for _ in range(2):
        assert "Screening test" in step.text
        given = re.search(r'name="given" value="([^"]*)"', step.text).group(1)
        item = re.search(r'name="item_id" value="(\d+)"', step.text).group(1)
        step = client.post("/work/apply/zoo/screening", data={
            "csrf": token, "given": given.replace("&#34;", '"'), "item_id": item,
            "label": "cat"})
    assert "2 of 2 right — passed" in step.text
    bad = client.post("/work/apply/zoo/credentials", data={"csrf": token, "skill": "biology"},
                      files={"file": ("cv.txt", b"just text", "text/plain")})
    assert bad.status_code == 422 and 'id="file-error"' in bad.text
    good = client.post("/work/apply/zoo/credentials", data={"csrf": token, "skill": "biology"},
                       files={"file": ("degree.pdf", PDF, "application/pdf")},
                       follow_redirects=False)
    assert good.status_code == 303
    assert "degree.pdf — pending" in client.get("/work/apply/zoo").text

    ops = TestClient(client.app)
    ops.post("/ops/login", data={"csrf": csrf_of(ops, "/ops/login"), "token": "ops-token"})
    queue = ops.get("/ops/credentials")
    assert "degree.pdf" in queue.text
    credential = re.search(r'action="/ops/credentials/(\d+)/review"', queue.text).group(1)
    assert ops.get(f"/ops/credentials/{credential}/document").content == PDF
    token = csrf_of(ops, "/ops/credentials")
    refused = ops.post(f"/ops/credentials/{credential}/review",
                       data={"csrf": token, "decision": "rejected", "reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    ops.post(f"/ops/credentials/{credential}/review",
             data={"csrf": token, "decision": "approved", "reason": ""})
    assert "Nothing here." in ops.get("/ops/credentials").text
    funnel = ops.get("/ops/recruiting").text
    assert "Zoologists" in funnel and "Source: newsletter" in funnel and "<svg" in funnel
    assert re.search(r"credential checked</td><td>1</td>", funnel)
    assert "was approved" in client.get("/work/inbox").text
