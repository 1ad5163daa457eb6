"""COCO keypoints through the CLI on SQLite and PostgreSQL: a keypoints file imports as prior
answers (odd annotations left out and named), exports with the categories' ``keypoints`` and
``skeleton`` and each annotation's ``keypoints`` / ``num_keypoints``, loads in pycocotools,
scores perfectly against itself with COCOeval and imports back to the same answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services import imports, projects
from datafab.services.accounts import create_organization
from datafab.services.items import upload_items
from datafab.services.records import list_records

NAMES = ["nose", "left_eye", "right_eye"]
SKELETON = [["nose", "left_eye"], ["nose", "right_eye"]]
POSES = {
    "images": [{"id": 1, "file_name": "faces/a.png", "width": 100, "height": 80},
               {"id": 2, "file_name": "faces/b.png", "width": 100, "height": 80},
               {"id": 3, "file_name": "faces/c.png", "width": 100, "height": 80}],
    "categories": [{"id": 1, "name": "face", "keypoints": NAMES, "skeleton": [[1, 2], [1, 3]]}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "num_keypoints": 3,
         "keypoints": [50, 50, 2, 40, 30, 2, 60, 30, 1], "bbox": [40, 30, 20, 20]},
        {"id": 2, "image_id": 2, "category_id": 1, "num_keypoints": 2,
         "keypoints": [20, 40, 2, 0, 0, 0, 30, 20, 2], "bbox": [20, 20, 10, 20]},
        {"id": 3, "image_id": 2, "category_id": 1, "num_keypoints": 1,  # a second object
         "keypoints": [70, 40, 2, 0, 0, 0, 0, 0, 0]},
        {"id": 4, "image_id": 3, "category_id": 1, "keypoints": [1, 2, 2]},  # too short
        {"id": 5, "image_id": 3, "category_id": 1, "num_keypoints": 3,  # outside the image
         "keypoints": [50, 50, 2, 140, 30, 2, 60, 30, 2]},
        {"id": 6, "image_id": 3, "category_id": 7, "keypoints": [1, 1, 2] * 3},  # dangling
    ],
}


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args, key: runner.invoke(app, list(args), env={"DATAFAB_API_KEY": key})


def _project(foundry, org, name, primitive="keypoints", **settings):
    """A project of one label an item; a keypoints one names the points unless told."""
    if primitive == "keypoints":
        settings = {"keypoints": NAMES, **settings}
    return projects.create_project(foundry, org, {
        "name": name, "primitive": primitive, "settings": settings,
        "policy": {"min_labels": 1, "max_labels": 1}})


def _full_project(foundry, org, name):
    """A keypoints project with its skeleton and the category name "face"."""
    return _project(foundry, org, name, skeleton=SKELETON, category="face")


def _import_strict(run, path, project, key):
    """``datafab import PATH --format coco --strict`` into ``project``."""
    return run("import", str(path), "--project", str(project.id), "--format", "coco",
               "--strict", key=key)



def _answers(foundry, org, project_id):
    page, _ = list_records(foundry, org, project_id, limit=10)
    return {r["external_id"]: r["answer"]["points"] for r in page}


def test_coco_keypoints_round_trip(run, foundry, tmp_path):
    from pycocotools.coco import COCO as CocoApi
    from pycocotools.cocoeval import COCOeval

    org, key = create_organization(foundry, "Acme")
    project = _full_project(foundry, org, "faces")
    src = tmp_path / "poses.json"
    src.write_text(json.dumps(POSES))
    result = run("import", str(src), "--project", str(project.id), "--format", "coco", key=key)
    assert result.exit_code == 3, result.output  # skipped annotations listed
    for named in ("annotation 3", "one object", "annotation 4", "9 numbers", "annotation 5",
                  "outside", "annotation 6", "dangling"):
        assert named in result.output, named
    answers = _answers(foundry, org, project.id)
    assert set(answers) == {"coco-1", "coco-2"}
    assert answers["coco-1"]["right_eye"] == {"x": 60, "y": 30, "visibility": "occluded"}
    assert answers["coco-2"]["left_eye"] == {"visibility": "absent"}

    dst = tmp_path / "out.json"
    result = run("export", "--project", str(project.id), "--format", "coco", "--output",
                 str(dst), key=key)
    assert result.exit_code == 0, result.output
    api = CocoApi(str(dst))
    [category] = api.loadCats(api.getCatIds())
    assert category["name"] == "face" and category["keypoints"] == NAMES
    assert category["skeleton"] == [[1, 2], [1, 3]]
    by_file = {img["file_name"]: img["id"] for img in api.loadImgs(api.getImgIds())}
    [a] = api.loadAnns(api.getAnnIds(imgIds=[by_file["faces/a.png"]]))
    assert a["keypoints"] == [50, 50, 2, 40, 30, 2, 60, 30, 1] and a["num_keypoints"] == 3
    assert a["bbox"] == [40, 30, 20, 20] and a["datafab"]["external_id"] == "coco-1"
    [b] = api.loadAnns(api.getAnnIds(imgIds=[by_file["faces/b.png"]]))
    assert b["keypoints"] == [20, 40, 2, 0, 0, 0, 30, 20, 2] and b["num_keypoints"] == 2

    # the export scores against itself perfectly by OKS
    dets = api.loadRes([{k: x[k] for k in ("image_id", "category_id", "keypoints", "score")}
                        for x in api.loadAnns(api.getAnnIds())])
    evaluation = COCOeval(api, dets, "keypoints")
    evaluation.params.kpt_oks_sigmas = np.full(len(NAMES), 0.05)
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)

    # and imports back to the same answers
    again = _full_project(foundry, org, "faces again")
    result = _import_strict(run, dst, again, key)
    assert result.exit_code == 0, result.output
    assert _answers(foundry, org, again.id) == answers


def test_keypoints_project_refuses_yolo(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _full_project(foundry, org, "faces")
    src = tmp_path / "x.zip"
    src.write_bytes(b"PK")
    result = run("import", str(src), "--project", str(project.id), "--format", "yolo", key=key)
    assert result.exit_code == 2 and "keypoints" in result.output
    assert projects.progress(foundry, org, project.id)["items"] == 0


def _bare_project(foundry, org, name):
    """A keypoints project whose settings name the points but hold no skeleton."""
    return _project(foundry, org, name, category="face")


ODD_SKELETON = {**POSES, "categories": [{
    "id": 1, "name": "face", "keypoints": NAMES,
    "skeleton": [[1, 2], [1, 9], [1, 3], [3, 1], [2, 2], "eye"]}]}


def test_coco_skeleton_joins_the_project_and_round_trips(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _bare_project(foundry, org, "faces")
    src = tmp_path / "poses.json"
    src.write_text(json.dumps(ODD_SKELETON))
    result = imports.import_file(foundry, org, project.id, "coco",
                                 lambda: imports.file_lines(src, "coco"))
    # the odd edges are left out and named (the category's line, the edge, why); the rest of
    # the file imports
    reasons = {s.reason: s.line for s in result.skipped}
    assert reasons["category 1 (face): skeleton.1 [1, 9]: keypoint index 9 is out of range "
                   "(the category has 3 keypoints, numbered from 1)"] == 4
    assert reasons["category 1 (face): skeleton.4 [2, 2]: joins 'left_eye' to itself"] == 4
    assert reasons["category 1 (face): skeleton.5 'eye': an edge is a pair of 1-based "
                   "keypoint indices"] == 4
    assert result.created == 3 and result.skipped_total == 7  # and the four annotations
    settings = projects.get_project(foundry, org, project.id).settings
    assert [list(p) for p in settings.skeleton] == SKELETON  # [3, 1] is [1, 3] once more
    assert set(_answers(foundry, org, project.id)) == {"coco-1", "coco-2"}

    dst = tmp_path / "out.json"
    result = run("export", "--project", str(project.id), "--format", "coco", "--output",
                 str(dst), key=key)
    assert result.exit_code == 0, result.output
    [category] = json.loads(dst.read_text())["categories"]
    assert category["keypoints"] == NAMES and category["skeleton"] == [[1, 2], [1, 3]]

    # the export imports into a bare project with nothing left out and the same skeleton
    again = _bare_project(foundry, org, "faces again")
    result = _import_strict(run, dst, again, key)
    assert result.exit_code == 0, result.output
    assert [list(p) for p in projects.get_project(foundry, org, again.id).settings.skeleton] \
        == SKELETON


def test_coco_skeleton_keeps_the_projects_edges_first(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org, "faces", skeleton=[["left_eye", "right_eye"]])
    src = tmp_path / "poses.json"
    doc = {**POSES, "annotations": POSES["annotations"][:2]}
    src.write_text(json.dumps(doc))
    result = _import_strict(run, src, project, key)
    assert result.exit_code == 0, result.output
    assert [list(p) for p in projects.get_project(foundry, org, project.id).settings.skeleton] \
        == [["left_eye", "right_eye"], *SKELETON]


def test_strict_coco_import_refuses_an_edge_out_of_range(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _bare_project(foundry, org, "faces")
    src = tmp_path / "poses.json"
    doc = {**ODD_SKELETON, "annotations": POSES["annotations"][:2]}
    src.write_text(json.dumps(doc))
    result = _import_strict(run, src, project, key)
    assert result.exit_code == 2, result.output
    assert "line 4" in result.output and "out of range" in " ".join(result.output.split())
    assert projects.progress(foundry, org, project.id)["items"] == 0
    assert projects.get_project(foundry, org, project.id).settings.skeleton == []


def test_a_boxes_project_passes_the_keypoints_category_by(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org, "boxes", "boxes", labels=["face"])
    src = tmp_path / "poses.json"
    doc = {**ODD_SKELETON, "annotations": POSES["annotations"][:2]}
    src.write_text(json.dumps(doc))
    result = _import_strict(run, src, project, key)
    assert result.exit_code == 0, result.output
    assert projects.progress(foundry, org, project.id)["items"] == 3


def test_a_fresh_project_takes_the_files_order_of_its_points(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    fresh = _project(foundry, org, "fresh", keypoints=NAMES[::-1])
    used = _project(foundry, org, "used", keypoints=NAMES[::-1])
    upload_items(foundry, org, used.id, [{"external_id": "x", "data": {"image": "x.png"}}])
    src = tmp_path / "poses.json"
    src.write_text(json.dumps({**POSES, "annotations": POSES["annotations"][:2]}))
    for project in (fresh, used):
        result = _import_strict(run, src, project, key)
        assert result.exit_code == 0, result.output
    taken = projects.get_project(foundry, org, fresh.id).settings
    assert taken.keypoints == NAMES and taken.category == "face"
    # a project with items keeps the numbering its points have and the name its exports gave
    # its category; the skeleton joins by name
    kept = projects.get_project(foundry, org, used.id).settings
    assert kept.keypoints == NAMES[::-1] and kept.category == "object"
    assert [list(p) for p in kept.skeleton] == SKELETON
    dst = tmp_path / "used.json"
    result = run("export", "--project", str(used.id), "--format", "coco", "--output", str(dst),
                 key=key)
    assert result.exit_code == 0, result.output
    [category] = json.loads(dst.read_text())["categories"]
    assert category["keypoints"] == NAMES[::-1] and category["skeleton"] == [[3, 2], [3, 1]]


PEOPLE = {**POSES, "annotations": POSES["annotations"][:2],
          "categories": [{**POSES["categories"][0], "name": "person"}]}


def test_a_fresh_project_takes_the_files_category_name_and_exports_it_back(run, foundry,
                                                                            tmp_path):
    """A project that names no category (``object``) takes the file's; one that named its own
    keeps it, and the file imports all the same."""
    org, key = create_organization(foundry, "Acme")
    unnamed = _project(foundry, org, "unnamed")
    named = _full_project(foundry, org, "named")  # category "face"
    src = tmp_path / "people.json"
    src.write_text(json.dumps(PEOPLE))
    exported = {}
    for project in (unnamed, named):
        result = _import_strict(run, src, project, key)
        assert result.exit_code == 0, result.output
        assert projects.progress(foundry, org, project.id)["items"] == 3
        dst = tmp_path / f"{project.name}.json"
        result = run("export", "--project", str(project.id), "--format", "coco", "--output",
                     str(dst), key=key)
        assert result.exit_code == 0, result.output
        [exported[project.name]] = json.loads(dst.read_text())["categories"]
    assert exported["unnamed"]["name"] == "person"
    assert exported["unnamed"]["keypoints"] == NAMES
    assert exported["unnamed"]["skeleton"] == [[1, 2], [1, 3]]
    assert exported["named"]["name"] == "face"
    assert projects.get_project(foundry, org, unnamed.id).settings.category == "person"
    # the file read back names its category as it came
    again = _project(foundry, org, "again")
    result = _import_strict(run, tmp_path / "unnamed.json", again, key)
    assert result.exit_code == 0, result.output
    assert projects.get_project(foundry, org, again.id).settings.category == "person"


def test_a_category_name_the_project_cannot_take_leaves_it_unnamed(run, foundry, tmp_path):
    org, key = create_organization(foundry, "Acme")
    project = _project(foundry, org, "faces")
    src = tmp_path / "long.json"
    src.write_text(json.dumps({**PEOPLE, "categories": [
        {**PEOPLE["categories"][0], "name": "p" * 201}]}))
    result = _import_strict(run, src, project, key)
    assert result.exit_code == 0, result.output
    settings = projects.get_project(foundry, org, project.id).settings
    assert settings.category == "object" and [list(p) for p in settings.skeleton] == SKELETON
