"""The keypoints and tracks canvases' hidden inputs read into answers the primitives take; a
drawing that cannot be read, or an answer the primitive refuses, names its field."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import FormData

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.web.answers import answer_from

CASES = {
    "keypoints": ({"keypoints": ["nose", "tail"], "skeleton": [["nose", "tail"]]},
                  {"image": "a.png", "width": 100, "height": 50}),
    "tracks": ({"labels": ["car"]},
               {"frames": ["f/0.png", "f/1.png", "f/2.png"], "fps": 10, "width": 100,
                "height": 50}),
}


def _answer(primitive: str, value: str) -> dict:
    raw_settings, raw_item = CASES[primitive]
    p = get_primitive(primitive)
    settings = p.parse_settings(raw_settings)
    item = p.parse_item(settings, raw_item)
    answer = answer_from(primitive, FormData([(primitive, value)]), item,
                         settings.model_dump(mode="json"))
    return p.parse_answer(settings, item, answer, "answer")


def test_the_canvases_answers_are_taken():
    points = {"nose": {"x": 10, "y": 5, "visibility": "visible"},
              "tail": {"visibility": "absent"}}
    assert _answer("keypoints", json.dumps(points))["points"]["nose"]["x"] == 10
    tracks = [{"id": "1", "label": "car", "keyframes": [
        {"frame": 0, "x": 1, "y": 2, "w": 10, "h": 10}, {"frame": 2, "outside": True}]}]
    assert _answer("tracks", json.dumps(tracks))["tracks"][0]["keyframes"][1]["outside"]


@pytest.mark.parametrize(("primitive", "value", "field"), [
    ("keypoints", "[1", "answer.points"),
    ("keypoints", "[]", "answer.points"),
    ("keypoints", json.dumps({"nose": {"visibility": "absent"}}), "answer.points.tail"),
    ("tracks", "{", "answer.tracks"),
    ("tracks", json.dumps([{"id": "1", "label": "car", "keyframes": [
        {"frame": 3, "x": 1, "y": 2, "w": 10, "h": 10}]}]), "answer.tracks.0.keyframes.0.frame"),
])
def test_what_cannot_be_taken_names_its_field(primitive, value, field):
    with pytest.raises(InvalidInput) as refused:
        _answer(primitive, value)
    assert refused.value.field == field, refused.value.message
