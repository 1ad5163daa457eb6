"""The README's five-minute tour, run through the SDK against a real server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

import datafab
from datafab.sdk import ApiError
from datafab.services.accounts import create_contributor, create_organization


def test_the_tour(live_server, tmp_path):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "Tour Lab")
    _, token = create_contributor(foundry, {"name": "Ada", "skills": ["en"]})

    requester = datafab.Client(url, api_key=api_key)
    project = requester.create_project(
        "sentiment", "classify", settings={"labels": ["positive", "negative"]},
        policy={"min_labels": 1, "max_labels": 1}, guidelines="How does the writer feel?",
    )
    items = [{"external_id": f"t{i}", "data": {"text": f"review {i}"}} for i in range(25)]
    assert requester.upload_items(project["id"], items, batch_size=10) == {
        "created": 25, "unchanged": 0}

    contributor = datafab.Client(url, api_key=token)
    assert contributor.instructions(project["id"])["guidelines"] == "How does the writer feel?"
    done = 0
    while leases := contributor.lease(project["id"], n=10):
        for lease in leases:
            label = "positive" if int(lease["item"]["external_id"][1:]) % 2 else "negative"
            contributor.submit(lease["id"], {"label": label}, seconds_spent=2.0)
            done += 1
    assert done == 25

    records = list(requester.records(project["id"]))
    assert len(records) == 25 and all(r["final"] for r in records)
    out = tmp_path / "records.jsonl"
    assert requester.export(project["id"], path=out) == 25
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["label"] for r in rows} == {"positive", "negative"}
    assert requester.progress(project["id"])["done"] == 25


def test_errors_carry_status_and_field(live_server):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "Lab")
    client = datafab.Client(url, api_key=api_key)
    with pytest.raises(ApiError) as err:
        client.create_project("x", "classify", settings={"labels": ["only-one"]})
    assert err.value.status == 422 and err.value.field == "settings.labels"
    with pytest.raises(ApiError) as err:
        client.get_project(424242)
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        list(client.export(1, format="nope"))
    assert err.value.status == 404


def test_get_or_create_project_reuses_the_project_of_that_name(live_server):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "Again Lab")
    with datafab.Client(url, api_key=api_key) as requester:
        assert requester.project_by_name("notes") is None
        made = requester.get_or_create_project("notes", "write", guidelines="Write well.")
        again = requester.get_or_create_project("notes", "write", guidelines="Other.")
        assert again["id"] == made["id"] and requester.project_by_name("notes") == again
        assert len(list(requester.projects())) == 1
        with pytest.raises(ApiError) as clash:
            requester.get_or_create_project("notes", "classify",
                                            settings={"labels": ["a", "b"]})
        assert clash.value.status == 409 and clash.value.field == "primitive"
