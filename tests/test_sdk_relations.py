"""The SDK's methods for talking with contributors, against a real server on 127.0.0.1: a
material guideline change acknowledged, a question answered into the inbox and the FAQ, the
common errors, and errors that name their field."""

from __future__ import annotations

import pytest

import datafab
from datafab.sdk import ApiError
from datafab.services.accounts import create_contributor, create_organization


def test_guidelines_questions_and_messages_through_the_sdk(live_server):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "SDK Lab")
    _, token = create_contributor(foundry, {"name": "Ada"})
    requester = datafab.Client(url, api_key=api_key)
    contributor = datafab.Client(url, api_key=token)
    project = requester.create_project("sdk", "classify", settings={"labels": ["a", "b"]},
                                       policy={"min_labels": 1, "max_labels": 1})
    requester.upload_items(project["id"], [{"external_id": f"t{i}", "data": {"text": f"{i}"}}
                                           for i in range(4)])
    (lease,) = contributor.lease(project["id"])
    contributor.submit(lease["id"], {"label": "a"})
    requester.update_project(project["id"], guidelines="new", changelog="b means bad now",
                             requires_acknowledgement=True)
    assert contributor.lease_batch(project["id"])["state"] == "guidelines_changed"
    owed = contributor.guidelines_pending(project["id"])
    assert owed["pending"] and owed["changelog"] == "b means bad now"
    with pytest.raises(ApiError) as err:
        contributor.acknowledge_guidelines(project["id"], version=9)
    assert err.value.status == 422 and err.value.field == "version"
    assert contributor.acknowledge_guidelines(project["id"], version=2)["acknowledged"]
    roster = requester.guideline_acknowledgements(project["id"])
    assert roster["contributors"][0]["acknowledged_at"] is not None

    (held,) = contributor.lease(project["id"])
    asked = contributor.ask(project["id"], held["item"]["id"], "is 2 an a?")
    (question,) = requester.questions(project["id"])
    assert question["id"] == asked["id"]
    requester.answer_question(question["id"], "yes, 2 is an a", faq=True)
    inbox = contributor.messages()
    assert inbox["unread"] == 1 and inbox["messages"][0]["body"] == "yes, 2 is an a"
    requester.announce(project["id"], "thanks", "well done")
    assert contributor.messages()["unread"] == 2
    assert contributor.common_errors(project["id"])["gold_answers"] == 0
    with pytest.raises(ApiError) as err:
        contributor.dispute(project["id"], 10**6, "wrong")
    assert err.value.status == 404 and err.value.field == "submission_id"
