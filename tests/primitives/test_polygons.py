from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.quality.geometry import polygon_iou

POLYGONS = get_primitive("polygons")
SETTINGS = POLYGONS.parse_settings({"labels": ["road", "building"]})
ITEM = POLYGONS.parse_item(SETTINGS, {"image": "a.png", "width": 100, "height": 100})
SQUARE = [[10, 10], [50, 10], [50, 50], [10, 50]]
ROAD = {"label": "road", "points": SQUARE}


def _shift(points, d):
    return [[x + d, y + d] for x, y in points]


@pytest.mark.parametrize(("polygon", "field"), [
    ({"label": "road", "points": [[0, 0], [5, 5]]}, "answer.polygons.1.points"),
    ({"label": "road", "points": [[0, 0], [10, 10], [10, 0], [0, 10]]},
     "answer.polygons.1.points"),
    ({"label": "road", "points": [[0, 0], [5, 0], [10, 0]]}, "answer.polygons.1.points"),
    ({"label": "road", "points": [[0, 0], [101, 0], [0, 10]]}, "answer.polygons.1.points.1.0"),
    ({"label": "road", "points": [[0, 0], [10, 0], [0, -1]]}, "answer.polygons.1.points.2.1"),
    ({"label": "lake", "points": SQUARE}, "answer.polygons.1.label"),
    ({**ROAD, "holes": [[[20, 20], [30, 20]]]}, "answer.polygons.1.holes.0"),
])
def test_bad_polygon_is_named(polygon, field):
    with pytest.raises(InvalidInput) as err:
        POLYGONS.parse_answer(SETTINGS, ITEM, {"polygons": [ROAD, polygon]})
    assert err.value.field == field


def test_good_answer_with_a_hole():
    hole = [[20, 20], [30, 20], [30, 30], [20, 30]]
    answer = POLYGONS.parse_answer(SETTINGS, ITEM, {"polygons": [{**ROAD, "holes": [hole]}]})
    assert answer["polygons"][0]["holes"] == [hole]


def test_aggregation_votes_the_masks():
    votes = [Vote(1, {"polygons": [ROAD]}), Vote(2, {"polygons": [
        {"label": "road", "points": _shift(SQUARE, 2)}]}),
        Vote(3, {"polygons": [{"label": "building", "points": _shift(SQUARE, 4)}]})]
    outcome = POLYGONS.aggregate(SETTINGS, ITEM, votes)
    [fused] = outcome.answer["polygons"]
    assert fused["label"] == "road"
    import numpy as np
    assert polygon_iou([np.array(fused["points"])], [np.array(_shift(SQUARE, 2))]) > 0.93
    counts = {a["contributor"]: a for a in outcome.details["annotators"]}
    assert counts[3]["wrong_class"] == 1


def test_gold_with_iou_tolerance():
    gold = {"polygons": [ROAD]}
    assert POLYGONS.matches_gold(SETTINGS, {"polygons": [
        {"label": "road", "points": _shift(SQUARE, 3)}]}, gold)
    assert not POLYGONS.matches_gold(SETTINGS, {"polygons": [
        {"label": "road", "points": _shift(SQUARE, 25)}]}, gold)
