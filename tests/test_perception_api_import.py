"""Perception files through the API's import route (``POST /v1/projects/{id}/import``) on a
real server, with the service the CLI uses: COCO (boxes, keypoints), YOLO and VOC land as
items with prior answers, odd annotations listed in ``skipped``; a bad file, a format the
project does not take or (strict) a bad annotation answers 422 naming the object and the
field, and writes nothing."""

from __future__ import annotations

import json

import pytest

import datafab
from datafab.services import projects
from datafab.services.accounts import create_organization
from datafab.services.records import list_records
from image_files import png
from test_perception_formats import COCO, _zip
from test_perception_keypoints_coco import NAMES, POSES, SKELETON


@pytest.fixture
def lab(live_server):
    url, foundry = live_server
    org, key = create_organization(foundry, "Lab")
    client = datafab.Client(url, api_key=key)
    return client, foundry, org


def _items(foundry, org, project_id) -> int:
    return projects.progress(foundry, org, project_id)["items"]


def _boxes(client, name):
    return client.create_project(name, "boxes", settings={"labels": ["car", "person"]},
                                 policy={"min_labels": 1, "max_labels": 1})


def test_coco_through_the_api(lab, tmp_path):
    client, foundry, org = lab
    project = _boxes(client, "street")
    source = tmp_path / "in.json"
    source.write_text(json.dumps(COCO))
    result = client.import_file(project["id"], source, "coco")
    assert result["created"] == 3 and result["prior_answers"] == 3
    reasons = " | ".join(s["reason"] for s in result["skipped"])
    for named in ("annotation 13", "truck", "annotation 14", "category_id 9",
                  "annotation 15", "image_id 99", "annotation 16", "bbox"):
        assert named in reasons, named
    assert result["skipped_total"] == 4
    page, _ = list_records(foundry, org, project["id"], limit=10)
    by_ext = {r["external_id"]: r["answer"]["boxes"] for r in page}
    assert [(b["label"], b["x"]) for b in by_ext["coco-1"]] == [("car", 10), ("person", 60)]


def test_a_bad_coco_annotation_refuses_a_strict_import(lab, tmp_path):
    client, foundry, org = lab
    project = _boxes(client, "street")
    source = tmp_path / "in.json"
    source.write_text(json.dumps(COCO))
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(project["id"], source, "coco", strict=True)
    assert err.value.status == 422 and err.value.field.startswith("line ")
    assert "annotation 13" in str(err.value) and "label" in str(err.value)
    assert _items(foundry, org, project["id"]) == 0


@pytest.mark.parametrize(("fmt", "body", "field", "says"), [
    ("coco", b"{not json", "file", "JSON"),
    ("coco", json.dumps({"images": "nope", "categories": []}).encode(), "file.images",
     "images"),
    ("coco", b"\xff\xfe", "file", "UTF-8"),
    ("yolo", b"PK not a zip", "file", "zip"),
    ("voc", _zip({"Annotations/a.xml": "<annotation><object>"}), "line 1", "a.xml"),
    ("yolo", _zip({"labels/a.txt": "0 0.5 0.5 0.1 0.1\n"}), "file", "classes.txt"),
])
def test_a_bad_file_answers_422_and_writes_nothing(lab, tmp_path, fmt, body, field, says):
    client, foundry, org = lab
    project = _boxes(client, "street")
    source = tmp_path / "bad"
    source.write_bytes(body)
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(project["id"], source, fmt)
    assert err.value.status == 422 and err.value.field == field, str(err.value)
    assert says in str(err.value)
    assert _items(foundry, org, project["id"]) == 0


def test_a_format_the_project_does_not_take(lab, tmp_path):
    client, foundry, org = lab
    outlines = client.create_project("roads", "polygons", settings={"labels": ["road"]})
    source = tmp_path / "voc.zip"
    source.write_bytes(_zip({"Annotations/a.xml": "<annotation/>"}))
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(outlines["id"], source, "voc")
    assert err.value.status == 422 and err.value.field == "format"
    assert "boxes" in str(err.value) and "polygons" in str(err.value)
    assert _items(foundry, org, outlines["id"]) == 0


def test_yolo_and_voc_through_the_api(lab, tmp_path):
    client, foundry, org = lab
    project = _boxes(client, "street")
    source = tmp_path / "yolo.zip"
    source.write_bytes(_zip({"classes.txt": "car\nperson\n", "images/a.png": png(200, 100),
                             "labels/a.txt": "0 0.5 0.5 0.2 0.4\n9 0.5 0.5 0.1 0.1\n"}))
    result = client.import_file(project["id"], source, "yolo")
    assert result["created"] == 1 and result["prior_answers"] == 1
    [skipped] = result["skipped"]
    assert "labels/a.txt line 2" in skipped["reason"]
    [record], _ = list_records(foundry, org, project["id"], limit=10)
    [box] = record["answer"]["boxes"]
    assert (box["label"], box["x"], box["w"]) == ("car", 80, 40)

    voc = tmp_path / "voc.zip"
    voc.write_bytes(_zip({"Annotations/b.xml": (
        "<annotation><filename>b.png</filename><size><width>100</width><height>50</height>"
        "</size><object><name>person</name><bndbox><xmin>10</xmin><ymin>5</ymin>"
        "<xmax>30</xmax><ymax>25</ymax></bndbox></object></annotation>")}))
    result = client.import_file(project["id"], voc, "voc", strict=True)
    assert result["created"] == 1 and result["skipped"] == []
    page, _ = list_records(foundry, org, project["id"], limit=10)
    [person] = {r["external_id"]: r for r in page}["b"]["answer"]["boxes"]
    assert (person["label"], person["x"], person["w"]) == ("person", 10, 20)


def test_coco_keypoints_through_the_api(lab, tmp_path):
    client, foundry, org = lab
    project = client.create_project(
        "faces", "keypoints", settings={"keypoints": NAMES, "skeleton": SKELETON},
        policy={"min_labels": 1, "max_labels": 1})
    source = tmp_path / "poses.json"
    source.write_text(json.dumps(POSES))
    result = client.import_file(project["id"], source, "coco")
    assert result["created"] == 3 and result["prior_answers"] == 2
    assert {s["reason"].split(":")[0] for s in result["skipped"]} == {
        "annotation 3", "annotation 4", "annotation 5", "annotation 6"}
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(project["id"], source, "coco", strict=True)
    assert err.value.status == 422 and "keypoints" in str(err.value)


def test_coco_skeleton_through_the_api(lab, tmp_path):
    """A project named its points in another order, without a skeleton: the file's order and
    skeleton come in, its odd edge is listed in ``skipped`` with the category's line."""
    client, foundry, org = lab
    project = client.create_project(
        "faces", "keypoints", settings={"keypoints": NAMES[::-1]},
        policy={"min_labels": 1, "max_labels": 1})
    doc = {**POSES, "annotations": POSES["annotations"][:2],
           "categories": [{**POSES["categories"][0], "skeleton": [[1, 2], [1, 3], [4, 1]]}]}
    source = tmp_path / "poses.json"
    source.write_text(json.dumps(doc))
    result = client.import_file(project["id"], source, "coco")
    assert result["created"] == 3 and result["skipped"] == [{
        "line": 4, "reason": "category 1 (face): skeleton.2 [4, 1]: keypoint index 4 is out "
                             "of range (the category has 3 keypoints, numbered from 1)"}]
    settings = client.get_project(project["id"])["settings"]
    assert settings["keypoints"] == NAMES and settings["skeleton"] == SKELETON
