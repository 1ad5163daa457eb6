from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote

from .conftest import settle

KEYPOINTS = get_primitive("keypoints")
SETTINGS = KEYPOINTS.parse_settings({"keypoints": ["nose", "left_eye", "right_eye"],
                                     "skeleton": [["nose", "left_eye"], ["nose", "right_eye"]]})
ITEM = KEYPOINTS.parse_item(SETTINGS, {"image": "p.png", "width": 300, "height": 400})


def _answer(nose=(100, 100), left=(90, 80), right=None, occluded=False):
    def point(p, occ=False):
        if p is None:
            return {"visibility": "absent"}
        return {"x": p[0], "y": p[1], "visibility": "occluded" if occ else "visible"}
    return {"points": {"nose": point(nose, occluded), "left_eye": point(left),
                       "right_eye": point(right)}}


def test_settings_refuse_a_skeleton_of_unknown_points():
    with pytest.raises(InvalidInput) as err:
        KEYPOINTS.parse_settings({"keypoints": ["a", "b"], "skeleton": [["a", "c"]]})
    assert err.value.field.startswith("settings")


@pytest.mark.parametrize(("answer", "field"), [
    ({"points": {**_answer()["points"], "tail": {"visibility": "absent"}}}, "answer.points.tail"),
    ({"points": {"nose": {"x": 1, "y": 1}}}, "answer.points.left_eye"),
    ({"points": {**_answer()["points"], "nose": {"visibility": "visible"}}},
     "answer.points.nose.x"),
    ({"points": {**_answer()["points"], "nose": {"visibility": "absent", "x": 1}}},
     "answer.points.nose.x"),
    (_answer(nose=(301, 10)), "answer.points.nose.x"),
])
def test_bad_answer_is_named(answer, field):
    with pytest.raises(InvalidInput) as err:
        KEYPOINTS.parse_answer(SETTINGS, ITEM, answer)
    assert err.value.field == field


def test_aggregation_ignores_a_stray_click_and_votes_presence():
    votes = [Vote(1, _answer(nose=(100, 100))), Vote(2, _answer(nose=(104, 100))),
             Vote(3, _answer(nose=(250, 350), right=(120, 80), occluded=True))]
    outcome = KEYPOINTS.aggregate(SETTINGS, ITEM, votes)
    points = outcome.answer["points"]
    assert points["nose"] == {"x": 102.0, "y": 100.0, "visibility": "visible"}
    assert points["right_eye"] == {"visibility": "absent"}
    assert outcome.confidence == pytest.approx(2 / 3, abs=1e-6)
    # a heavy contributor's placement wins the presence vote
    heavy = KEYPOINTS.aggregate(SETTINGS, ITEM, [Vote(1, _answer()), Vote(3, _answer(
        right=(120, 80)), weight=3.0)])
    assert heavy.answer["points"]["right_eye"]["x"] == 120


def test_gold_within_pixels():
    gold = _answer()
    assert KEYPOINTS.matches_gold(SETTINGS, _answer(nose=(106, 104)), gold)
    assert not KEYPOINTS.matches_gold(SETTINGS, _answer(nose=(120, 100)), gold)
    assert not KEYPOINTS.matches_gold(SETTINGS, _answer(right=(1, 1)), gold)


def test_records_row_has_the_skeleton():
    record = settle(KEYPOINTS, SETTINGS, ITEM, [_answer(), _answer()])
    row = KEYPOINTS.export_row("records", SETTINGS, record)
    assert row["skeleton"] == [["nose", "left_eye"], ["nose", "right_eye"]]
    assert row["points"]["left_eye"] == {"x": 90.0, "y": 80.0, "visibility": "visible"}
