"""A detector's proposals in the line: a vision model behind an OpenAI-compatible endpoint
(a real HTTP server on 127.0.0.1) is shown each image — a web address as it is, an uploaded
file as a data: URL fetched with the model's own lease — and proposes boxes; a person sees
them, moves one, deletes one and adds one; the record's export says which is which."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from datafab.models import get_backend
from datafab.models.worker import ModelWorker
from image_files import png

PROPOSED = [{"label": "car", "x": 10, "y": 10, "w": 40, "h": 30},
            {"label": "person", "x": 100, "y": 20, "w": 20, "h": 50}]


def test_detector_proposals_corrected_by_a_person(line, chat, scripted):
    body = png(160, 90)
    project = line.requester.create_project(
        "street", "boxes", settings={"labels": ["car", "person"]},
        policy={"min_labels": 1, "max_labels": 1, "models": {"first": True, "suggest": True}})
    r = httpx.post(f"{line.url}/v1/projects/{project['id']}/media",
                   headers={"Authorization": f"Bearer {line.requester_key}"},
                   files={"file": ("a.png", body, "image/png")})
    assert r.status_code == 201, r.text
    line.requester.upload_items(project["id"], [
        {"external_id": "uploaded", "data": {"media": r.json()["media_id"]}},
        {"external_id": "web", "data": {"image": "https://img.example/street.jpg",
                                        "width": 160, "height": 90}}])

    shown: list[str] = []

    def detector(messages):
        parts = messages[-1]["content"]
        assert isinstance(parts, list) and parts[0]["type"] == "text"
        assert "Draw a box around every object" in parts[0]["text"]
        shown.append(parts[1]["image_url"]["url"])
        return json.dumps({"answer": {"boxes": PROPOSED}, "confidence": 0.7})

    scripted.reply = detector
    backend = get_backend("openai")(model="detector", base_url=chat.url, timeout=5.0,
                                    max_retries=0)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], batch=2, concurrency=1).run()
    backend.close()
    assert stats.answered == 2, stats.errors
    assert sorted(shown) == sorted([
        "https://img.example/street.jpg",
        "data:image/png;base64," + base64.b64encode(body).decode()])

    person = line.person("ann")
    leases = person.lease(project["id"], 2)
    assert len(leases) == 2
    for lease in leases:
        assert lease["suggestion"]["answer"]["boxes"] == PROPOSED
        moved = {**PROPOSED[0], "x": 20}                       # the car moved
        added = {"label": "person", "x": 60, "y": 40, "w": 10, "h": 20}  # a person added
        person.submit(lease["id"], {"boxes": [moved, added]})  # the proposed person deleted
    person.close()

    rows = list(line.requester.export(project["id"], "records"))
    assert len(rows) == 2
    for row in rows:
        [edits] = row["edits"]
        assert {k: edits[k] for k in ("proposed", "kept", "moved", "relabelled", "added",
                                      "deleted")} == {
            "proposed": 2, "kept": 0, "moved": 1, "relabelled": 0, "added": 1, "deleted": 1}
        assert sorted(edits["origins"]) == ["model_moved", "person"]
    report = line.requester.effort(project["id"])["suggestions"]
    assert report["shown"] == 2
    assert report["objects"] == {"proposed": 4, "kept": 0, "moved": 2, "relabelled": 0,
                                 "added": 2, "deleted": 2}


@pytest.mark.parametrize(("final", "expected"), [
    (PROPOSED, {"kept": 2, "added": 0, "deleted": 0}),
    ([{**PROPOSED[0], "label": "person"}], {"relabelled": 1, "deleted": 1}),
    ([], {"deleted": 2}),
])
def test_object_edits(final, expected):
    from datafab.primitives.object_edits import object_edits

    edits = object_edits("boxes", PROPOSED, final)
    assert {k: edits[k] for k in expected} == expected
