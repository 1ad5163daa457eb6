"""Edit counts of keypoints (placed points) and tracks (keyframes) against a model's
proposal: the fields and meaning of the boxes' and polygons' counts."""

from __future__ import annotations

import pytest

from datafab.primitives.keyframe_edits import keyframe_edits
from datafab.primitives.object_edits import COUNTS, answer_edits, submission_edits
from datafab.primitives.point_edits import point_edits

POINTS = {"nose": {"x": 40, "y": 12, "visibility": "visible"},
          "left_eye": {"x": 30, "y": 8, "visibility": "visible"},
          "right_eye": {"visibility": "absent"}}


def _counts(edits):
    return {k: edits[k] for k in COUNTS}


def test_points_left_as_proposed_are_kept():
    edits = point_edits(POINTS, dict(POINTS))
    assert edits["origins"] == ["model", "model"]
    assert _counts(edits) == {"proposed": 2, "kept": 2, "moved": 0, "relabelled": 0,
                              "added": 0, "deleted": 0}


def test_points_moved_made_occluded_added_and_removed():
    final = {"nose": {"x": 44, "y": 12, "visibility": "visible"},       # dragged
             "left_eye": {"visibility": "absent"},                      # removed
             "right_eye": {"x": 50, "y": 8, "visibility": "visible"}}   # added
    edits = point_edits(POINTS, final)
    assert edits["origins"] == ["model_moved", "person"]
    assert _counts(edits) == {"proposed": 2, "kept": 0, "moved": 1, "relabelled": 0,
                              "added": 1, "deleted": 1}
    occluded = {**POINTS, "left_eye": {"x": 30.2, "y": 8, "visibility": "occluded"}}
    edits = point_edits(POINTS, occluded)
    assert edits["origins"] == ["model", "model_relabelled"]  # within half a pixel: not moved
    assert edits["relabelled"] == 1 and edits["deleted"] == 0


CAR = {"id": "1", "label": "car", "keyframes": [
    {"frame": 0, "x": 10, "y": 10, "w": 40, "h": 30},
    {"frame": 10, "x": 30, "y": 10, "w": 40, "h": 30},
    {"frame": 20, "outside": True}]}
BIKE = {"id": "2", "label": "bike", "keyframes": [
    {"frame": 5, "x": 100, "y": 50, "w": 20, "h": 20},
    {"frame": 15, "x": 110, "y": 50, "w": 20, "h": 20}]}


def test_keyframes_left_as_proposed_are_kept():
    edits = keyframe_edits([CAR, BIKE], [CAR, BIKE])
    assert edits["origins"] == ["model"] * 5
    assert _counts(edits) == {"proposed": 5, "kept": 5, "moved": 0, "relabelled": 0,
                              "added": 0, "deleted": 0}


def test_keyframes_changed_added_and_removed():
    car = {"id": "7", "label": "car", "keyframes": [   # renumbered: paired by IoU, not id
        {"frame": 0, "x": 10, "y": 10, "w": 40, "h": 30},
        {"frame": 6, "x": 22, "y": 10, "w": 40, "h": 30},    # a keyframe added between
        {"frame": 10, "x": 34, "y": 12, "w": 40, "h": 30},   # moved
        {"frame": 20, "x": 50, "y": 10, "w": 40, "h": 30}]}  # brought back into view
    person = {"id": "8", "label": "car", "keyframes": [
        {"frame": 3, "x": 150, "y": 70, "w": 10, "h": 10}]}  # a track of the person's
    edits = keyframe_edits([CAR, BIKE], [car, person])       # the bike removed
    assert edits["origins"] == ["model", "person", "model_moved", "model_moved", "person"]
    assert _counts(edits) == {"proposed": 5, "kept": 1, "moved": 2, "relabelled": 0,
                              "added": 2, "deleted": 2}


def test_a_track_relabelled_relabels_its_keyframes_of_the_models():
    edits = keyframe_edits([CAR], [{**CAR, "label": "truck"}])
    assert edits["origins"] == ["model_relabelled"] * 3
    assert edits["relabelled"] == 3 and edits["deleted"] == 0


@pytest.mark.parametrize(("kind", "field", "proposal", "final"), [
    ("keypoints", "points", POINTS, {**POINTS, "nose": {"visibility": "absent"}}),
    ("tracks", "tracks", [CAR, BIKE], [CAR]),
])
def test_submission_edits_read_each_kinds_field(kind, field, proposal, final):
    submissions = [
        {"contributor": "c1", "draft": {"answer": {field: proposal}, "source": "model"},
         "answer": {field: final}},
        {"contributor": "c2", "draft": None, "answer": {field: final}},  # shown nothing
    ]
    [edits] = submission_edits(kind, submissions)
    assert edits["contributor"] == "c1" and edits["deleted"] in (1, 2)
    assert edits == {"contributor": "c1", **answer_edits(kind, proposal, final)}
