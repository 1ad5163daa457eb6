"""A customer primitive's workbench form, server side: the page a contributor gets holds a
control per answer field (one set per entry of a list), and what the form posts becomes the
answer — places become a ranking, one line per entry a free list — or a 422 naming the
field, shown next to it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from datafab.services import accounts, items, projects
from datafab.services.primitive_catalog import catalog
from datafab.store.tables import submissions

from .test_pages import errors_in, sign_up

DEFINITION = {
    "name": "pick_best",
    "item": {"fields": [
        {"name": "prompt", "type": "text"},
        {"name": "drafts", "type": "list", "items": {"type": "text"}, "min_items": 3},
        {"name": "two", "type": "list", "items": {"type": "text"}, "min_items": 2,
         "max_items": 2},
    ]},
    "answer": {"fields": [
        {"name": "order", "type": "ranking", "over": "drafts"},
        {"name": "better", "type": "pair", "over": "two"},
        {"name": "per_draft", "type": "list", "over": "drafts", "fields": [
            {"name": "fluent", "type": "choice", "options": ["yes", "no"]},
            {"name": "score", "type": "number", "minimum": 0, "maximum": 1,
             "required": False}]},
        {"name": "issues", "type": "list", "aggregation": "keep_all", "required": False,
         "fields": [{"name": "issue", "type": "text"}]},
    ]},
    "layout": [{"widget": "show_text", "field": "prompt"},
               {"widget": "answer", "field": "order"},
               {"widget": "answer", "field": "better"},
               {"widget": "answer", "field": "per_draft"},
               {"widget": "answer", "field": "issues"}],
}


@pytest.fixture
def pages(foundry):
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app

    with TestClient(create_app(foundry)) as c:
        yield c


def test_the_form_posts_every_kind_of_answer(pages, foundry):
    org, _ = accounts.create_organization(foundry, "Acme")
    pinned = catalog.define(foundry, org, DEFINITION).pinned
    project = projects.create_project(foundry, org, {
        "name": "best", "primitive": pinned, "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org, project.id, [{"external_id": "x", "data": {
        "prompt": "Say hi <i>politely</i>", "drafts": ["Hi.", "Hello there.", "Yo."],
        "two": ["Hi.", "Hello there."]}}])
    sign_up(pages)
    page = pages.get(f"/work/{project.id}").text
    assert "Say hi &lt;i&gt;politely&lt;/i&gt;" in page
    for name in ("f.order.0", "f.order.2", "f.better", "f.per_draft.0.fluent",
                 "f.per_draft.2.score", "f.issues"):
        assert f'name="{name}"' in page, name
    lease = re.search(r'data-lease="(\d+)"', page).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": token, "f.order.0": "2", "f.order.1": "1", "f.order.2": "2",
            "f.better": "b", "f.per_draft.0.fluent": "yes", "f.per_draft.1.fluent": "yes",
            "f.per_draft.2.fluent": "no", "f.per_draft.1.score": "0.5",
            "f.issues": "too short\n\nrude"}
    turn = pages.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                      data=form)
    assert turn.status_code == 422
    assert any("different place" in e for e in errors_in(turn.text))
    del form["f.per_draft.2.fluent"]
    form["f.order.2"] = "3"
    turn = pages.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                      data=form)
    assert turn.status_code == 422
    assert any("field required" in e.lower() for e in errors_in(turn.text))
    form["f.per_draft.2.fluent"] = "no"
    turn = pages.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                      data=form)
    assert turn.status_code == 200, errors_in(turn.text)
    with foundry.db.read() as conn:
        answer = conn.execute(select(submissions.c.answer)).scalar_one()
    assert answer == {"order": [1, 0, 2], "better": "b",
                      "per_draft": [{"fluent": "yes"}, {"fluent": "yes", "score": 0.5},
                                    {"fluent": "no"}],
                      "issues": [{"issue": "too short"}, {"issue": "rude"}]}
