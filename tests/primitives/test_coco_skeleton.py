"""Reading a COCO category's skeleton and joining it to a keypoints project's."""

from __future__ import annotations

from datafab.primitives import coco
from datafab.primitives.coco_keypoints import (
    file_category,
    file_order,
    joined_skeleton,
    skeleton_of,
)

NAMES = ["nose", "left_eye", "right_eye"]


def test_skeleton_of_reads_names_and_names_the_odd_edges():
    category = {"id": 4, "name": "face", "keypoints": NAMES,
                "skeleton": [[1, 2], [0, 3], [2, 4], [1, True], [1, 2, 3]]}
    edges, problems = skeleton_of(category, NAMES)
    assert [e["pair"] for e in edges] == [["nose", "left_eye"]]
    assert problems[0] == ("category 4 (face): skeleton.1 [0, 3]: keypoint index 0 is out of "
                           "range (the category has 3 keypoints, numbered from 1)")
    assert "skeleton.2 [2, 4]: keypoint index 4 is out of range" in problems[1]
    assert all("an edge is a pair" in p for p in problems[2:]) and len(problems) == 4


def test_a_skeleton_that_is_no_list_is_named_once():
    edges, problems = skeleton_of({"id": 1, "name": "f", "skeleton": {"a": 1}}, NAMES)
    assert edges == [] and problems == [
        "category 1 (f): skeleton: expected a list of [i, j] pairs (1-based indices into its "
        "keypoints); the skeleton is not read"]


def test_joined_skeleton_adds_what_is_new_after_the_projects_own():
    edges, _ = skeleton_of({"id": 1, "name": "f",
                            "skeleton": [[2, 1], [1, 3], [3, 3]]}, NAMES)
    joined, problems = joined_skeleton(NAMES, [("nose", "left_eye")], edges)
    assert joined == [["nose", "left_eye"], ["nose", "right_eye"]]
    assert problems == ["category 1 (f): skeleton.2 [3, 3]: joins 'right_eye' to itself"]
    joined, problems = joined_skeleton(["nose", "left_eye"], [], edges)
    assert joined == [["left_eye", "nose"]]
    assert problems[0].endswith("'right_eye' is not one of the project's keypoints")


def test_categories_with_keypoints_follow_the_images():
    doc = {"images": [{"id": 1, "file_name": "a.png"}],
           "categories": [{"id": 1, "name": "car"},
                          {"id": 2, "name": "face", "keypoints": NAMES, "skeleton": [[1, 5]]}]}
    records = coco.coco_records(doc)
    assert len(records) == 2 and records[0]["external_id"] == "coco-1"
    assert records[1]["category"] == {"name": "face", "keypoints": NAMES, "skeleton": []}
    assert "keypoint index 5 is out of range" in records[1]["skipped"]["keypoints"][0]


def test_file_order_is_the_first_category_naming_the_same_points():
    assert file_order(NAMES[::-1], [["a"], NAMES, NAMES[1:] + NAMES[:1]]) == NAMES
    assert file_order(NAMES, [NAMES[:2], ["nose", "left_eye", "chin"]]) == NAMES


def test_file_category_is_the_name_of_the_first_category_naming_the_same_points():
    cats = [{"name": "hand", "keypoints": ["a"]}, {"name": "person", "keypoints": NAMES[::-1]},
            {"name": "face", "keypoints": NAMES}]
    assert file_category(NAMES, cats) == "person"
    assert file_category(NAMES, cats[:1]) is None
    # a name the project's category cannot take is not taken (nor the next category's)
    for odd in (None, "", "  ", 7, "x" * 201):
        assert file_category(NAMES, [{"name": odd, "keypoints": NAMES}, cats[2]]) is None
    assert file_category(NAMES, [{"name": "x" * 200, "keypoints": NAMES}]) == "x" * 200
