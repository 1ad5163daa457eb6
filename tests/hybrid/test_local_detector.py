"""The local detector (OpenCV, in-process, no network) as a model contributor: shown an
uploaded photo through its own lease, it proposes a box on the face with the project's label
(``face`` → ``person``); a person sees the proposal, moves it and adds one; the record's
export says which is which."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from datafab.errors import InvalidInput
from datafab.models import get_backend
from datafab.models.worker import ModelWorker
from datafab.quality.geometry import box_iou

cv2 = pytest.importorskip("cv2")
skimage_data = pytest.importorskip("skimage.data")

FACE = [177, 66, 95, 95]


def _astronaut_png() -> bytes:
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR))
    assert ok
    return buffer.tobytes()


def test_local_detector_proposals_corrected_by_a_person(line):
    project = line.requester.create_project(
        "crew", "boxes", settings={"labels": ["person", "flag"]},
        policy={"min_labels": 1, "max_labels": 1, "models": {"first": True, "suggest": True}})
    r = httpx.post(f"{line.url}/v1/projects/{project['id']}/media",
                   headers={"Authorization": f"Bearer {line.requester_key}"},
                   files={"file": ("astronaut.png", _astronaut_png(), "image/png")})
    assert r.status_code == 201, r.text
    line.requester.upload_items(project["id"], [
        {"external_id": "astronaut", "data": {"media": r.json()["media_id"]}}])

    backend = get_backend("local")(model="haar", labels={"face": "person"})
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], batch=1, concurrency=1).run()
    backend.close()
    assert stats.answered == 1, stats.errors

    person = line.person("ann")
    [lease] = person.lease(project["id"], 1)
    proposed = lease["suggestion"]["answer"]["boxes"]
    assert proposed and {b["label"] for b in proposed} == {"person"}
    ious = box_iou(np.array([[b["x"], b["y"], b["w"], b["h"]] for b in proposed], float),
                      np.array([FACE], float))
    best = int(np.argmax(ious[:, 0]))
    assert ious[best, 0] >= 0.5, proposed
    moved = {**proposed[best], "x": proposed[best]["x"] + 10}
    added = {"label": "flag", "x": 20, "y": 300, "w": 60, "h": 40}
    person.submit(lease["id"], {"boxes": [moved, added]})
    person.close()

    [row] = list(line.requester.export(project["id"], "records"))
    [edits] = row["edits"]
    assert edits["proposed"] == len(proposed) and edits["moved"] == 1 and edits["added"] == 1
    assert sorted(edits["origins"]) == ["model_moved", "person"]


def test_local_detector_names_what_it_cannot_do():
    from datafab.models.base import Job, MalformedAnswer

    with pytest.raises(InvalidInput) as caught:
        get_backend("local")(labels={"cat": "animal"})
    assert caught.value.field == "labels"
    detector = get_backend("local")(model="face=person")
    assert detector.labels == {"face": "person"}
    with pytest.raises(MalformedAnswer):  # no network: a web address is not fetched
        detector.answer(Job("boxes", {"labels": ["person"]}, "", {},
                            image="https://img.example/a.jpg"))
