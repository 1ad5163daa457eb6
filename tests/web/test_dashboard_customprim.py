"""The requester's dashboard shows a project on a customer primitive like any other: listed
with its pinned primitive, its page with the quality summary, its records and its export."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datafab.services import accounts, items, projects, work
from datafab.services.primitive_catalog import catalog

from .test_pages import csrf_of


@pytest.fixture
def pages(foundry):
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app

    with TestClient(create_app(foundry)) as c:
        yield c

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "primitives" / "claim_factuality.yaml"


def test_the_dashboard_shows_a_customer_primitive_project(pages, foundry, make_worker):
    client = pages
    org, key = accounts.create_organization(foundry, "Acme")
    pinned = catalog.define(foundry, org, yaml.safe_load(EXAMPLE.read_text())).pinned
    project = projects.create_project(foundry, org, {
        "name": "claims", "primitive": pinned, "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"c{i}", "data": {"question": "Q?", "answer": "A. B.",
                                          "claims": ["A.", "B."]}} for i in range(3)])
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    for lease in work.lease_items(foundry, worker, project.id, 3):
        work.submit(foundry, worker, lease.id, {"answer": {
            "verdicts": [{"rating": "supported", "justification": "ok"},
                         {"rating": "unsupported", "justification": "no source"}],
            "overall": 4}})
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": key})
    assert "claim_factuality@1" in client.get("/dashboard").text
    page = client.get(f"/dashboard/projects/{project.id}")
    assert page.status_code == 200 and "claim_factuality@1" in page.text
    export = client.get(f"/dashboard/projects/{project.id}/export?format=records")
    assert export.status_code == 200 and len(export.text.splitlines()) == 3
    assert '"overall": 4' in export.text or '"overall":4' in export.text
