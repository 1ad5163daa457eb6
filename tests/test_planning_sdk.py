"""The budget planner through the SDK against a real server on 127.0.0.1."""

from __future__ import annotations

import random

import pytest

import datafab
from datafab.sdk import ApiError
from datafab.services.accounts import create_contributor, create_organization

LABELS = ["yes", "no"]


def test_plan_and_apply_through_the_sdk(live_server):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "Planning Lab")
    requester = datafab.Client(url, api_key=api_key)
    project = requester.create_project("p", "classify", settings={"labels": LABELS},
                                       policy={"min_labels": 4, "max_labels": 4})
    requester.upload_items(project["id"], [{"external_id": f"i{i}",
                                            "data": {"text": f"item {i}"}}
                                           for i in range(60)])
    rng = random.Random(2)
    for n, skill in enumerate((0.85, 0.8, 0.7, 0.65)):
        _, token = create_contributor(foundry, {"name": f"w{n}"})
        person = datafab.Client(url, api_key=token)
        while leases := person.lease(project["id"], n=20):
            for lease in leases:
                right = LABELS[int(lease["item"]["external_id"][1:]) % 2]
                said = right if rng.random() < skill else [x for x in LABELS if x != right][0]
                person.submit(lease["id"], {"label": said})
    planned = requester.plan(project["id"], 180)
    assert planned["status"] == "plan" and planned["unit"] == "labels"
    rec = planned["recommended"]
    assert rec["cost"] <= 180 and len(planned["frontier"]) >= 2
    applied = requester.apply_plan(project["id"], 180)
    assert applied["recommended"]["policy"] == rec["policy"]
    assert requester.get_project(project["id"])["policy"] == rec["policy"]
    with pytest.raises(ApiError) as err:
        requester.plan(project["id"], -3)
    assert err.value.status == 422 and err.value.field == "budget"
    goal = planned["frontier"][0]["accuracy"]
    aimed = requester.plan(project["id"], target=goal)
    assert aimed["reached"] is True and aimed["target"] == goal
    assert aimed["recommended"]["point"]["cost_per_record"] == \
        planned["frontier"][0]["cost_per_record"]  # the cheapest reaches the cheapest's figure
    with pytest.raises(ApiError) as err:
        requester.plan(project["id"], target=1.5)
    assert err.value.status == 422 and err.value.field == "target"
