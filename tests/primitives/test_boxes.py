from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote

from .conftest import settle

BOXES = get_primitive("boxes")
SETTINGS = BOXES.parse_settings({"labels": ["car", "person"]})
ITEM = BOXES.parse_item(SETTINGS, {"image": "https://img.example/1.jpg", "width": 100,
                                   "height": 80})
CAR = {"label": "car", "x": 10, "y": 20, "w": 30, "h": 40}
PERSON = {"label": "person", "x": 60, "y": 5, "w": 10, "h": 30}


def test_item_names_its_image_once():
    assert BOXES.parse_item(SETTINGS, {"image": "cams/a/1.png"})["image"] == "cams/a/1.png"
    media = "ab" * 32
    assert BOXES.parse_item(SETTINGS, {"media": media, "width": 4, "height": 3})["media"] == media
    for bad, field in [({}, "data"), ({"image": "x.png", "media": media}, "data"),
                       ({"image": "../etc/passwd"}, "data.image"),
                       ({"image": "/abs/x.png"}, "data.image"),
                       ({"image": "javascript:alert(1)"}, "data.image"),
                       ({"media": "nothex"}, "data.media"),
                       ({"image": "x.png", "width": 0}, "data.width")]:
        with pytest.raises(InvalidInput) as err:
            BOXES.parse_item(SETTINGS, bad)
        assert err.value.field == field, bad


def test_answer_checked_against_image_and_labels():
    assert BOXES.parse_answer(SETTINGS, ITEM, {"boxes": [CAR, PERSON]})["boxes"][0] == CAR
    assert BOXES.parse_answer(SETTINGS, ITEM, {"boxes": []}) == {"boxes": []}


@pytest.mark.parametrize(("box", "field"), [
    ({**CAR, "w": 0}, "answer.boxes.2.w"),
    ({**CAR, "h": -3}, "answer.boxes.2.h"),
    ({**CAR, "x": -1}, "answer.boxes.2.x"),
    ({**CAR, "w": 91}, "answer.boxes.2.w"),        # 10 + 91 > width 100
    ({**CAR, "y": 50}, "answer.boxes.2.h"),        # 50 + 40 > height 80
    ({**CAR, "label": "truck"}, "answer.boxes.2.label"),
    ({**CAR, "colour": "red"}, "answer.boxes.2.colour"),
])
def test_bad_box_is_named(box, field):
    with pytest.raises(InvalidInput) as err:
        BOXES.parse_answer(SETTINGS, ITEM, {"boxes": [CAR, PERSON, box]})
    assert err.value.field == field


def test_without_a_known_size_only_the_origin_bounds():
    item = BOXES.parse_item(SETTINGS, {"image": "a.png"})
    assert BOXES.parse_answer(SETTINGS, item, {"boxes": [{**CAR, "x": 5000}]})
    with pytest.raises(InvalidInput):
        BOXES.parse_answer(SETTINGS, item, {"boxes": [{**CAR, "y": -1}]})


def test_aggregation_fuses_weighted_and_counts_each_contributor():
    shifted = {**CAR, "x": 12, "y": 22}
    spurious = {"label": "person", "x": 80, "y": 60, "w": 5, "h": 5}
    votes = [Vote(1, {"boxes": [CAR, PERSON]}, 1.0), Vote(2, {"boxes": [CAR, PERSON]}, 1.0),
             Vote(3, {"boxes": [{**shifted, "label": "person"}, spurious]}, 0.5)]
    outcome = BOXES.aggregate(SETTINGS, ITEM, votes)
    boxes = outcome.answer["boxes"]
    assert [b["label"] for b in boxes] == ["person", "car"]  # sorted top to bottom
    assert boxes[1]["x"] == pytest.approx(10.4) and boxes[1]["w"] == pytest.approx(30)
    assert boxes[0] == {**PERSON, "confidence": pytest.approx(0.8, abs=1e-6)}
    assert 0 < outcome.confidence < 1
    counts = {a["contributor"]: a for a in outcome.details["annotators"]}
    assert counts[3]["misses"] == 1 and counts[3]["false_positives"] == 1
    assert counts[3]["wrong_class"] == 1 and counts[1]["misses"] == 0
    assert len(outcome.details["dropped"]) == 1


def test_disagreement_lowers_the_confidence():
    agree = BOXES.aggregate(SETTINGS, ITEM, [Vote(1, {"boxes": [CAR]}), Vote(2, {"boxes": [CAR]})])
    split = BOXES.aggregate(SETTINGS, ITEM, [Vote(1, {"boxes": [CAR]}), Vote(2, {"boxes": []}),
                                             Vote(3, {"boxes": [CAR]})])
    assert agree.confidence == 1.0
    assert split.confidence == pytest.approx(2 / 3, abs=1e-6)


def test_matches_gold_within_iou_tolerance():
    near = {**CAR, "x": 12}
    assert BOXES.matches_gold(SETTINGS, {"boxes": [near, PERSON]}, {"boxes": [CAR, PERSON]})
    assert not BOXES.matches_gold(SETTINGS, {"boxes": [near]}, {"boxes": [CAR, PERSON]})
    assert not BOXES.matches_gold(SETTINGS, {"boxes": [{**CAR, "x": 40}, PERSON]},
                                  {"boxes": [CAR, PERSON]})
    assert not BOXES.matches_gold(SETTINGS, {"boxes": [{**CAR, "label": "person"}, PERSON]},
                                  {"boxes": [CAR, PERSON]})
    lenient = BOXES.parse_settings({"labels": ["car", "person"], "gold_f1": 0.6})
    assert BOXES.matches_gold(lenient, {"boxes": [near]}, {"boxes": [CAR, PERSON]})
    assert BOXES.matches_gold(SETTINGS, {"boxes": []}, {"boxes": []})


def test_records_export_row():
    record = settle(BOXES, SETTINGS, ITEM, [{"boxes": [CAR]}, {"boxes": [CAR]}])
    row = BOXES.export_row("records", SETTINGS, record)
    assert row["image"] == "https://img.example/1.jpg" and row["width"] == 100
    assert row["boxes"] == [{**CAR, "confidence": 1.0}]
    coco = BOXES.export_row("coco", SETTINGS, record)
    assert coco["image"]["coco_url"] == "https://img.example/1.jpg"
    assert coco["annotations"][0]["bbox"] == [10, 20, 30, 40]
    assert coco["annotations"][0]["datafab"]["record_id"] == 1
    assert BOXES.export_row("yolo", SETTINGS, record)["text"] == (
        "0 0.250000 0.500000 0.300000 0.500000\n")
    assert BOXES.export_row("yolo", SETTINGS, settle(
        BOXES, SETTINGS, {"image": "a.png"}, [{"boxes": [CAR]}])) is None  # no size
    with pytest.raises(InvalidInput):
        BOXES.export_row("kitti", SETTINGS, record)
