"""COCO, YOLO and VOC in and out of perception projects through the CLI, on SQLite and
PostgreSQL: a COCO file round-trips import → consensus → export and loads in pycocotools;
odd annotations and dangling ids are skipped and named (exit 3), or refuse the file with
nothing written under --strict."""

from __future__ import annotations

import io
import json
import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.quality.geometry import polygon_iou
from datafab.services import projects, work
from datafab.services.accounts import authenticate_contributor, create_organization
from datafab.services.records import list_records
from image_files import png

COCO = {
    "images": [{"id": 1, "file_name": "cams/a.jpg", "width": 100, "height": 80},
               {"id": 2, "file_name": "cams/b.jpg", "width": 100, "height": 80},
               {"id": 3, "coco_url": "https://img.example/c.jpg", "file_name": "c.jpg",
                "width": 50, "height": 50}],
    "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"},
                   {"id": 3, "name": "truck"}],
    "annotations": [
        {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 20], "area": 600,
         "iscrowd": 0},
        {"id": 11, "image_id": 1, "category_id": 2, "bbox": [60, 20, 10, 30], "area": 300,
         "iscrowd": 0},
        {"id": 12, "image_id": 2, "category_id": 1, "bbox": [5, 5, 20, 20], "area": 400,
         "iscrowd": 0},
        {"id": 13, "image_id": 2, "category_id": 3, "bbox": [40, 40, 10, 10], "area": 100,
         "iscrowd": 0},                                               # truck: not a label
        {"id": 14, "image_id": 3, "category_id": 9, "bbox": [1, 1, 5, 5]},  # dangling category
        {"id": 15, "image_id": 99, "category_id": 1, "bbox": [1, 1, 5, 5]},  # dangling image
        {"id": 16, "image_id": 3, "category_id": 1, "bbox": [40, 40, 30, 30]},  # outside
        {"id": 17, "image_id": 3, "category_id": 2, "bbox": [5, 5, 10, 10]},
    ],
}


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args, key: runner.invoke(app, list(args),
                                            env={"DATAFAB_API_KEY": key})


def _project(foundry, org, primitive="boxes", name="street", **policy):
    return projects.create_project(foundry, org, {
        "name": name, "primitive": primitive,
        "settings": {"labels": ["car", "person"]},
        "policy": {"min_labels": 3, "max_labels": 3, **policy}})


def test_coco_round_trip_through_consensus_loads_in_pycocotools(run, foundry, make_worker,
                                                                tmp_path):
    from pycocotools.coco import COCO as CocoApi
    from pycocotools.cocoeval import COCOeval

    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(COCO))
    result = run("import", str(src), "--project", str(project.id), "--format", "coco", key=key)
    assert result.exit_code == 3, result.output  # skipped annotations listed
    out = result.output
    for named in ("annotation 13", "truck", "annotation 14", "category_id 9",
                  "annotation 15", "image_id 99", "annotation 16", "outside"):
        assert named in out, named
    assert "3 items created" in out and "3 prior answers" in out

    # two people label too: one agrees with the file, one is a little off
    for name, shift in (("a", 0), ("b", 2)):
        who = authenticate_contributor(foundry, make_worker(name).token)
        while leases := work.lease_items(foundry, who, project.id, 5):
            for lease in leases:
                boxes = _imported_boxes(lease.external_id)
                work.submit(foundry, who, lease.id, {"answer": {"boxes": [
                    {**b, "x": b["x"] + shift} for b in boxes]}})
    page, _ = list_records(foundry, org, project.id, limit=10)
    assert all(r["n_submissions"] == 3 for r in page)

    dst = tmp_path / "out.json"
    result = run("export", "--project", str(project.id), "--format", "coco", "--output",
                 str(dst), key=key)
    assert result.exit_code == 0, result.output
    api = CocoApi(str(dst))
    assert sorted(c["name"] for c in api.loadCats(api.getCatIds())) == ["car", "person"]
    assert len(api.getImgIds()) == 3 and len(api.getAnnIds()) == 4
    by_file = {img["file_name"]: img for img in api.loadImgs(api.getImgIds())}
    assert by_file["c.jpg"]["coco_url"] == "https://img.example/c.jpg"
    [car] = api.loadAnns(api.getAnnIds(imgIds=[by_file["cams/a.jpg"]["id"]], catIds=[1]))
    # fused from x = 10, 10, 12 with equal weights
    assert car["bbox"][0] == pytest.approx(10.67, abs=0.01) and car["bbox"][2] == 30
    assert car["datafab"]["n_submissions"] == 3 and len(car["datafab"]["contributors"]) == 3
    assert 0 < car["score"] <= 1

    # the export scores against itself perfectly with COCOeval
    dets = api.loadRes([{k: a[k] for k in ("image_id", "category_id", "bbox", "score")}
                        for a in api.loadAnns(api.getAnnIds())])
    evaluation = COCOeval(api, dets, "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[1] == pytest.approx(1.0)  # mAP@0.5


def _imported_boxes(external_id):
    image_id = int(external_id.removeprefix("coco-"))
    names = {1: "car", 2: "person"}
    return [{"label": names[a["category_id"]], "x": a["bbox"][0], "y": a["bbox"][1],
             "w": a["bbox"][2], "h": a["bbox"][3]} for a in COCO["annotations"]
            if a["image_id"] == image_id and a["category_id"] in names
            and a["id"] != 16]


def test_strict_refuses_the_file_and_writes_nothing(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(COCO))
    result = run("import", str(src), "--project", str(project.id), "--format", "coco",
                 "--strict", key=key)
    assert result.exit_code == 2
    assert "annotation 13" in result.output
    assert projects.progress(foundry, org, project.id)["items"] == 0
    src.write_text(json.dumps({"images": "nope", "categories": []}))
    result = run("import", str(src), "--project", str(project.id), "--format", "coco", key=key)
    assert result.exit_code == 2 and "images" in result.output


def test_coco_polygons_import(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org, "polygons", min_labels=1, max_labels=1)
    doc = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 100}],
           "categories": [{"id": 1, "name": "car"}],
           "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1,
                "segmentation": [[10, 10, 50, 10, 50, 50, 10, 50]], "bbox": [10, 10, 40, 40]},
               {"id": 2, "image_id": 1, "category_id": 1,
                "segmentation": [[0, 0, 10, 10, 10, 0, 0, 10]], "bbox": [0, 0, 10, 10]},
               {"id": 3, "image_id": 1, "category_id": 1,
                "segmentation": {"counts": "abc", "size": [100, 100]}}]}
    src = tmp_path / "poly.json"
    src.write_text(json.dumps(doc))
    result = run("import", str(src), "--project", str(project.id), "--format", "coco", key=key)
    assert result.exit_code == 3, result.output
    assert "annotation 2" in result.output and "intersects itself" in result.output
    assert "annotation 3" in result.output and "RLE" in result.output
    [record], _ = list_records(foundry, org, project.id, limit=10)
    [polygon] = record["answer"]["polygons"]
    square = np.array([[10, 10], [50, 10], [50, 50], [10, 50]], dtype=float)
    assert polygon_iou([np.array(polygon["points"])], [square]) > 0.97


def _zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buf.getvalue()


def test_yolo_and_voc_in_and_out(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org, min_labels=1, max_labels=1)
    src = tmp_path / "yolo.zip"
    src.write_bytes(_zip({
        "classes.txt": "car\nperson\n",
        "images/a.png": png(200, 100), "images/b.png": png(10, 10),
        "labels/a.txt": "0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.1 0.1\nbogus line\n5 0.5 0.5 0.1 0.1\n",
        "labels/b.txt": "", "labels/c.txt": "0 0.5 0.5 0.1 0.1\n"}))
    result = run("import", str(src), "--project", str(project.id), "--format", "yolo", key=key)
    assert result.exit_code == 3, result.output
    assert "labels/a.txt line 3" in result.output and "labels/a.txt line 4" in result.output
    assert "labels/c.txt" in result.output  # no image beside it
    page, _ = list_records(foundry, org, project.id, limit=10)
    by_ext = {r["external_id"]: r for r in page}
    assert by_ext["a"]["answer"]["boxes"] == [  # top to bottom
        {"label": "person", "x": 10.0, "y": 5.0, "w": 20.0, "h": 10.0, "confidence": 1.0},
        {"label": "car", "x": 80.0, "y": 30.0, "w": 40.0, "h": 40.0, "confidence": 1.0}]
    assert by_ext["b"]["answer"]["boxes"] == []

    out = tmp_path / "out.zip"
    result = run("export", "--project", str(project.id), "--format", "yolo", "--output",
                 str(out), key=key)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        assert z.read("classes.txt").decode() == "car\nperson\n"
        lines = z.read("labels/a.txt").decode().splitlines()
    assert lines == ["1 0.100000 0.100000 0.100000 0.100000",
                     "0 0.500000 0.500000 0.200000 0.400000"]

    voc = tmp_path / "voc.zip"
    result = run("export", "--project", str(project.id), "--format", "voc", "--output",
                 str(voc), key=key)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(voc) as z:
        root = ElementTree.fromstring(z.read("Annotations/a.xml"))
    assert root.findtext("size/width") == "200"
    assert [o.findtext("name") for o in root.findall("object")] == ["person", "car"]
    assert [o.findtext("bndbox/xmax") for o in root.findall("object")] == ["30", "120"]
    assert root.findtext("datafab/n_submissions") == "1"

    again = _project(foundry, org, name="again", min_labels=1, max_labels=1)
    result = run("import", str(voc), "--project", str(again.id), "--format", "voc", key=key)
    assert result.exit_code == 0, result.output
    page, _ = list_records(foundry, org, again.id, limit=10)
    boxes = {r["external_id"]: r["answer"]["boxes"] for r in page}
    assert [(b["label"], b["x"], b["w"]) for b in boxes["a"]] == [("person", 10, 20),
                                                                  ("car", 80, 40)]

    bad = tmp_path / "bad.json"
    result = run("export", "--project", str(project.id), "--format", "records", "--output",
                 str(bad), key=key)
    assert result.exit_code == 2 and "output" in result.output
