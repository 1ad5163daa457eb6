"""A strict import refused by the store writes nothing, past its first batch too: an item whose
id the project holds with other content (or whose text an eval set holds) is found before
anything is written, so the project's items, records and settings stay as they were; the
same file imported without ``strict`` takes every other line and names the one it left out.
Through the services, the CLI and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.errors import Conflict, InvalidInput
from datafab.services import imports, projects
from datafab.services.evals.sets import create_set
from datafab.services.imports import BATCH
from datafab.services.items import upload_items
from datafab.services.records import list_records

LINES = 1300
CLASH = 1234  # past the first batch
assert BATCH < CLASH <= LINES


def _task(k: int, text: str | None = None) -> dict:
    task = {"id": k, "data": {"text": text or f"Ada met Bo in town {k}"}}
    if k % 100 == 5:  # a prior answer in every batch
        task["annotations"] = [{"result": [
            {"type": "choices", "value": {"choices": ["positive"]}}]}]
    return task


def _jsonl(tasks) -> str:
    return "".join(json.dumps(t) + "\n" for t in tasks)


def _records(foundry, org, project_id) -> list[dict]:
    page, _ = list_records(foundry, org, project_id, limit=1000)
    return page


def _state(foundry, org, project_id):
    project = projects.get_project(foundry, org, project_id)
    return (projects.progress(foundry, org, project_id), _records(foundry, org, project_id),
            project.settings.model_dump(mode="json"))


@pytest.fixture
def classify(foundry, make_org):
    """A classify project holding three tasks of the file and, under the id of its line
    ``CLASH``, another text; with records from their prior answers."""
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "sentiment", "primitive": "classify",
        "settings": {"labels": ["positive", "negative"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    before = [_task(k) for k in (1, 5, 105)] + [_task(CLASH, "an older text")]
    imports.import_file(foundry, org.id, project.id, "label-studio",
                        lambda: _jsonl(before).splitlines())
    return org, project


def _file(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(_jsonl(_task(k) for k in range(1, LINES + 1)))
    return path


def test_a_strict_import_refused_past_its_first_batch_writes_nothing(foundry, classify,
                                                                       tmp_path):
    org, project = classify
    before = _state(foundry, org.id, project.id)
    assert before[0]["items"] == 4 and len(before[1]) == 2
    path = _file(tmp_path)
    with pytest.raises(Conflict) as refused:
        imports.import_file(foundry, org.id, project.id, "label-studio",
                            lambda: imports.file_lines(path), strict=True)
    assert refused.value.field == f"line {CLASH}"
    assert refused.value.message == (
        f"line {CLASH}: external_id: item '{CLASH}' exists with different content")
    assert _state(foundry, org.id, project.id) == before

    # without strict: every other line, the refused one named
    result = imports.import_file(foundry, org.id, project.id, "label-studio",
                                 lambda: imports.file_lines(path))
    assert (result.created, result.unchanged) == (LINES - 4, 3)
    assert [(s.line, s.reason) for s in result.skipped] == [
        (CLASH, f"external_id: item '{CLASH}' exists with different content")]
    assert result.skipped_total == 1
    assert result.prior_answers == LINES // 100 - 2  # tasks 5 and 105 had theirs
    assert projects.progress(foundry, org.id, project.id)["items"] == LINES
    assert len(_records(foundry, org.id, project.id)) == LINES // 100


def test_the_cli_and_the_api_name_the_refused_line(foundry, classify, api, tmp_path,
                                                     database_url, monkeypatch):
    org, project = classify
    before = _state(foundry, org.id, project.id)
    path = _file(tmp_path)
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["import", str(path), "--project", str(project.id),
                                      "--format", "label-studio", "--strict"],
                                env={"DATAFAB_API_KEY": org.key})
    assert result.exit_code == 2, result.output
    assert f"line {CLASH}: external_id" in result.output
    assert _state(foundry, org.id, project.id) == before

    answer = api.post(f"/v1/projects/{project.id}/import",
                      params={"format": "label-studio", "strict": "true"},
                      content=path.read_bytes(), headers=org.headers)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["field"] == f"line {CLASH}"
    assert _state(foundry, org.id, project.id) == before

    answer = api.post(f"/v1/projects/{project.id}/import", params={"format": "label-studio"},
                      content=path.read_bytes(), headers=org.headers)
    assert answer.status_code == 200, answer.text
    assert [s["line"] for s in answer.json()["skipped"]] == [CLASH]


def test_a_text_an_eval_set_holds_refuses_a_strict_import_before_it_writes(foundry, classify,
                                                                           tmp_path):
    org, project = classify
    create_set(foundry, org.id, {"name": "held", "items": [
        {"external_id": "q1", "prompt": "Ada met Bo in town 1111"}]})
    before = _state(foundry, org.id, project.id)
    path = _file(tmp_path)
    with pytest.raises(InvalidInput) as refused:
        imports.import_file(foundry, org.id, project.id, "label-studio",
                            lambda: imports.file_lines(path), strict=True)
    assert refused.value.field == "line 1111" and "held out" in refused.value.message
    assert _state(foundry, org.id, project.id) == before


NAMES = ["nose", "left_eye", "right_eye"]


def _coco(n: int) -> dict:
    return {
        "images": [{"id": k, "file_name": f"faces/{k}.png", "width": 100, "height": 80}
                   for k in range(1, n + 1)],
        "categories": [{"id": 1, "name": "face", "keypoints": NAMES,
                        "skeleton": [[1, 2], [1, 3]]}],
        "annotations": [{"id": k, "image_id": k, "category_id": 1, "num_keypoints": 3,
                         "keypoints": [50, 50, 2, 40, 30, 2, 60, 30, 1]}
                        for k in range(1, n + 1)],
    }


def test_a_strict_coco_keypoints_import_refused_late_leaves_the_settings(foundry, make_org,
                                                                         tmp_path):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "faces", "primitive": "keypoints", "settings": {"keypoints": NAMES},
        "policy": {"min_labels": 1, "max_labels": 1}})
    upload_items(foundry, org.id, project.id,
                 [{"external_id": f"coco-{CLASH}", "data": {"image": "elsewhere.png"}}])
    before = _state(foundry, org.id, project.id)
    assert before[2]["skeleton"] == []
    path = tmp_path / "poses.json"
    path.write_text(json.dumps(_coco(LINES)))
    with pytest.raises(Conflict) as refused:
        imports.import_file(foundry, org.id, project.id, "coco",
                            lambda: imports.file_lines(path, "coco"), strict=True)
    assert f"coco-{CLASH}" in refused.value.message
    assert _state(foundry, org.id, project.id) == before

    result = imports.import_file(foundry, org.id, project.id, "coco",
                                 lambda: imports.file_lines(path, "coco"))
    assert result.created == LINES - 1 and result.skipped_total == 1
    settings = projects.get_project(foundry, org.id, project.id).settings
    assert [list(p) for p in settings.skeleton] == [["nose", "left_eye"], ["nose", "right_eye"]]


def test_an_item_the_upload_would_refuse_refuses_a_strict_import_before_it_writes(
        foundry, classify, tmp_path):
    """Refused on the upload's own rules, not the file's: an id longer than an item's."""
    org, project = classify
    before = _state(foundry, org.id, project.id)
    tasks = [_task(k) for k in range(1, LINES + 1)]
    tasks[1199]["id"] = "x" * 201
    path = tmp_path / "tasks.jsonl"
    path.write_text(_jsonl(tasks))
    with pytest.raises(InvalidInput) as refused:
        imports.import_file(foundry, org.id, project.id, "label-studio",
                            lambda: imports.file_lines(path), strict=True)
    assert refused.value.field == "line 1200" and "external_id" in refused.value.message
    assert _state(foundry, org.id, project.id) == before
    result = imports.import_file(foundry, org.id, project.id, "label-studio",
                                 lambda: imports.file_lines(path))
    assert [s.line for s in result.skipped] == [1200, CLASH]


RACED = 1250


def _raced(foundry, org, project, path):
    """The file's lines; when read the second time (the pass that writes), another upload
    has just stored line ``RACED``'s id with other content."""
    reads = []

    def lines():
        reads.append(path)
        if len(reads) == 2:
            upload_items(foundry, org.id, project.id,
                         [{"external_id": str(RACED), "data": {"text": "stored meanwhile"}}])
        return imports.file_lines(path)

    return lines


def test_an_item_stored_while_the_file_is_written_is_skipped_all_the_same(foundry, classify,
                                                                          tmp_path):
    org, project = classify
    path = _file(tmp_path)
    result = imports.import_file(foundry, org.id, project.id, "label-studio",
                                 _raced(foundry, org, project, path))
    assert [s.line for s in result.skipped] == [CLASH, RACED]
    assert projects.progress(foundry, org.id, project.id)["items"] == LINES


def test_what_a_strict_import_refused_by_a_race_leaves(foundry, classify, tmp_path):
    """As documented: the batches before the raced line's stay, nothing of its own."""
    org, project = classify
    path = tmp_path / "tasks.jsonl"
    path.write_text(_jsonl(_task(k, "an older text" if k == CLASH else None)
                           for k in range(1, LINES + 1)))
    with pytest.raises(Conflict) as refused:
        imports.import_file(foundry, org.id, project.id, "label-studio",
                            _raced(foundry, org, project, path), strict=True)
    assert refused.value.field == f"line {RACED}"
    assert projects.progress(foundry, org.id, project.id)["items"] == BATCH + 2  # + CLASH, RACED
    assert len(_records(foundry, org.id, project.id)) == BATCH // 100
