"""A model's keypoints and tracks proposed to people through the line: a person drags a
point, removes one and places one; moves a keyframe, adds one and removes a track — and the
records export and the effort report count the edits as they count boxes' (a real server
over SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from datafab.api.app import create_app
from datafab.sdk import Client
from datafab.services.accounts import create_contributor, create_organization
from live_servers import serving

from .conftest import Line


@pytest.fixture
def line(foundry):
    """The hybrid line on the test's database backend."""
    _, key = create_organization(foundry, "Hybrid Lab")
    _, model_token = create_contributor(foundry, {"name": "scripted-7b", "kind": "model"})
    with serving(create_app(foundry)) as url:
        requester = Client(url, key)
        yield Line(url, foundry, requester, key, model_token)
        requester.close()

COUNTS = ("proposed", "kept", "moved", "relabelled", "added", "deleted")
POLICY = {"min_labels": 1, "max_labels": 1, "models": {"first": True, "suggest": True}}


def _counts(edits):
    return {k: edits[k] for k in COUNTS}


def _propose(line, project_id, answer):
    with line.model_client() as model:
        [lease] = model.lease(project_id, 1)
        model.submit(lease["id"], answer, confidence=0.6)


def _correct(line, project_id, shown, answer):
    person = line.person("ann")
    [lease] = person.lease(project_id, 1)
    assert shown(lease["suggestion"]["answer"])
    person.submit(lease["id"], answer)
    person.close()


def test_keypoint_edits_in_the_export_and_the_effort_report(line):
    project = line.requester.create_project(
        "faces", "keypoints", settings={"keypoints": ["nose", "left_eye", "right_eye"]},
        policy=POLICY)
    line.requester.upload_items(project["id"], [
        {"external_id": "a", "data": {"image": "https://img.example/a.jpg", "width": 100,
                                      "height": 80}}])
    proposal = {"points": {"nose": {"x": 50, "y": 40, "visibility": "visible"},
                           "left_eye": {"x": 40, "y": 30, "visibility": "visible"},
                           "right_eye": {"visibility": "absent"}}}
    _propose(line, project["id"], proposal)
    _correct(line, project["id"], lambda seen: seen == proposal, {"points": {
        "nose": {"x": 52, "y": 41, "visibility": "visible"},       # dragged
        "left_eye": {"visibility": "absent"},                      # removed
        "right_eye": {"x": 60, "y": 30, "visibility": "occluded"}}})  # placed

    [row] = list(line.requester.export(project["id"], "records"))
    [edits] = row["edits"]
    assert edits["origins"] == ["model_moved", "person"]
    assert _counts(edits) == {"proposed": 2, "kept": 0, "moved": 1, "relabelled": 0,
                              "added": 1, "deleted": 1}
    report = line.requester.effort(project["id"])["suggestions"]
    assert report["objects"] == _counts(edits)


def test_keyframe_edits_in_the_export_and_the_effort_report(line):
    project = line.requester.create_project(
        "street", "tracks", settings={"labels": ["car", "bike"]}, policy=POLICY)
    line.requester.upload_items(project["id"], [
        {"external_id": "clip", "data": {"frames": [f"https://img.example/{k}.jpg"
                                                    for k in range(30)],
                                         "width": 160, "height": 90}}])
    car = {"id": "1", "label": "car", "keyframes": [
        {"frame": 0, "x": 10, "y": 10, "w": 40, "h": 30},
        {"frame": 10, "x": 30, "y": 10, "w": 40, "h": 30}]}
    bike = {"id": "2", "label": "bike", "keyframes": [
        {"frame": 5, "x": 100, "y": 50, "w": 20, "h": 20}]}
    _propose(line, project["id"], {"tracks": [car, bike]})
    def shown(seen):  # the stored proposal, its numbers as floats
        return [(t["id"], [k["frame"] for k in t["keyframes"]]) for t in seen["tracks"]] \
            == [("1", [0, 10]), ("2", [5])]

    _correct(line, project["id"], shown, {"tracks": [{**car, "keyframes": [
        car["keyframes"][0],
        {"frame": 5, "x": 20, "y": 10, "w": 40, "h": 30},            # added
        {"frame": 10, "x": 36, "y": 10, "w": 40, "h": 30}]}]})       # moved; the bike gone

    [row] = list(line.requester.export(project["id"], "records"))
    [edits] = row["edits"]
    assert edits["origins"] == ["model", "person", "model_moved"]
    assert _counts(edits) == {"proposed": 3, "kept": 1, "moved": 1, "relabelled": 0,
                              "added": 1, "deleted": 1}
    assert line.requester.effort(project["id"])["suggestions"]["objects"] == _counts(edits)
