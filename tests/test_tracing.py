"""Leak tracing, on both databases: with ``watermark`` in the workforce policy each person's
copy of an item's text is marked for them alone (lease answers and workbench tasks), the
database, answers and exports keep the original, and ``POST /v1/projects/{id}/trace`` and
``datafab trace`` name the contributor whose copy leaked — and nobody when the evidence is
short. Bad input is refused naming the field, and nothing is written."""

from __future__ import annotations

import json

import pytest
from pydantic import Field
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab import marks
from datafab.cli import app as cli_app
from datafab.primitives.base import Schema
from datafab.primitives.classify import Classify
from datafab.services import accounts, items, projects, work, workbench, workforce
from datafab.services.site_keys import Pseudonyms
from datafab.store.tables import items as items_table
from datafab.store.tables import submissions, workforce_policies

PARAGRAPHS = [
    "The committee reviewed the supplier contracts signed during the spring and found that "
    "several payments were approved without the second signature required by the finance "
    "office. It recommends that every contract above the threshold be checked again before "
    "the end of the quarter, and that the procedure be explained to new staff in writing.",
    "Our pilot with the hospital network showed that nurses spent less time on paperwork "
    "once the forms were shortened, but the records team reported more errors in the "
    "medication lists. The next phase will test a checklist that asks for the dose, the "
    "route and the time of each medication before the form can be submitted at all.",
    "The migration plan moves the archive to the new storage cluster over three weekends. "
    "Each weekend copies one region, compares checksums of every object, and keeps the old "
    "copy for thirty days so that a restore remains possible if a defect appears later in "
    "the month; the operations desk posts progress notes in the shared channel each night.",
]


def _project(foundry, org_id: int, *, watermark: bool = True, primitive: str = "classify"):
    spec = {"name": "memos", "primitive": primitive, "guidelines": "Label the memo.",
            "policy": {"min_labels": 3, "max_labels": 3}}
    if primitive == "classify":
        spec["settings"] = {"labels": ["finance", "other"]}
        rows = [{"external_id": f"m{i}", "data": {"text": text}}
                for i, text in enumerate(PARAGRAPHS)]
    else:
        rows = [{"external_id": f"m{i}", "data": {"prompt": text}}
                for i, text in enumerate(PARAGRAPHS)]
    project = projects.create_project(foundry, org_id, spec)
    items.upload_items(foundry, org_id, project.id, rows)
    workforce.set_policy(foundry, org_id, project.id, {"watermark": watermark})
    return project


def _leases(api, project, worker, n=3):
    got = api.post(f"/v1/projects/{project.id}/leases", json={"n": n}, headers=worker.headers)
    assert got.status_code == 200, got.text
    return got.json()["leases"]


def _originals(foundry, project) -> dict[int, dict]:
    with foundry.db.read() as conn:
        return {r.id: r.data for r in conn.execute(
            select(items_table.c.id, items_table.c.data)
            .where(items_table.c.project_id == project.id))}


def test_each_person_gets_their_own_mark_and_the_database_keeps_the_original(
        api, foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org.id)
    originals = _originals(foundry, project)
    texts = {}
    for name in ("ada", "bob"):
        for lease in _leases(api, project, make_worker(name)):
            text, original = lease["item"]["data"]["text"], originals[lease["item"]["id"]]
            assert len(text) == len(original["text"]) and text != original["text"]
            assert marks.fold(text) == marks.fold(original["text"])
            texts.setdefault(lease["item"]["id"], []).append(text)
    assert all(len(set(copies)) == 2 for copies in texts.values())  # ada's and bob's differ
    assert _originals(foundry, project) == originals  # nothing marked was stored
    model = make_worker("model", kind="model")
    for lease in _leases(api, project, model):
        assert lease["item"]["data"] == originals[lease["item"]["id"]]


def test_without_watermark_the_text_is_the_original(api, foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org.id, watermark=False)
    originals = _originals(foundry, project)
    for lease in _leases(api, project, make_worker("ada")):
        assert lease["item"]["data"] == originals[lease["item"]["id"]]


def test_the_workbench_shows_the_same_marked_text_as_the_lease(foundry, make_org,
                                                                make_worker):
    org = make_org()
    project = _project(foundry, org.id)
    ada = accounts.authenticate_contributor(foundry, make_worker("ada").token)
    queued = workbench.queue(foundry, ada, project.id, depth=2)
    originals = _originals(foundry, project)
    for task in queued:
        assert task.data["text"] != originals[task.item_id]["text"]
        again = workbench.task(foundry, ada, task.lease_id)
        assert again.data == task.data  # shown again: the same mark


def test_an_answer_quoting_marked_text_is_stored_unmarked(api, foundry, make_org,
                                                          make_worker):
    org = make_org()
    project = _project(foundry, org.id, primitive="write")
    worker = make_worker("ada")
    (lease,) = _leases(api, project, worker, n=1)
    shown = lease["item"]["data"]["prompt"][0]["content"]
    original = _originals(foundry, project)[lease["item"]["id"]]["prompt"][0]["content"]
    assert shown != original
    got = api.post(f"/v1/leases/{lease['id']}/submit",
                   json={"answer": {"final": "Summary: " + shown}}, headers=worker.headers)
    assert got.status_code == 200, got.text
    with foundry.db.read() as conn:
        stored = conn.execute(select(submissions.c.answer)).scalar_one()
    assert stored["final"] == "Summary: " + original
    again = api.post(f"/v1/leases/{lease['id']}/submit",  # a retry whose answer was lost
                     json={"answer": {"final": "Summary: " + shown}}, headers=worker.headers)
    assert again.status_code == 200 and again.json() == got.json()


def _leak_setup(api, foundry, org, make_worker, n_workers=4):
    project = _project(foundry, org.id)
    workers = [make_worker(f"w{k}") for k in range(n_workers)]
    leased = {w.id: _leases(api, project, w) for w in workers[:3]}  # 3 labels each: all 3
    return project, workers, leased


def test_the_api_names_the_contributor_whose_copy_leaked(api, foundry, make_org, make_worker):
    org = make_org()
    project, workers, leased = _leak_setup(api, foundry, org, make_worker)
    leaker = workers[1]
    text = leased[leaker.id][0]["item"]["data"]["text"]
    found = "Seen on a forum:\n\n" + text[20:300].replace(" ", "\n", 3)
    got = api.post(f"/v1/projects/{project.id}/trace", json={"content": found},
                   headers=org.headers)
    assert got.status_code == 200, got.text
    body = got.json()
    pseudonym = Pseudonyms(foundry)
    assert body["source"] == pseudonym(project.id, leaker.id)
    assert body["items"] == [leased[leaker.id][0]["item"]["id"]]
    top, *rest = body["suspects"]
    assert top["contributor"] == body["source"] and top["named"] and top["saw_all"]
    assert top["watermark_p"] <= 1e-9 and top["agreeing"] == body["positions"] > 40
    assert all(not s["named"] and s["watermark_p"] > 1e-3 for s in rest)
    assert body["contributors"] == 3  # only those who were handed an item are tried


def test_the_original_text_or_a_short_quote_names_nobody(api, foundry, make_org,
                                                          make_worker):
    org = make_org()
    project, workers, leased = _leak_setup(api, foundry, org, make_worker)
    url = f"/v1/projects/{project.id}/trace"
    got = api.post(url, json={"content": PARAGRAPHS[0]}, headers=org.headers)
    assert got.status_code == 200 and got.json()["source"] is None
    assert len(got.json()["suspects"]) == 3
    short = leased[workers[0].id][0]["item"]["data"]["text"][:60]
    got = api.post(url, json={"content": short}, headers=org.headers)
    assert got.status_code == 200 and got.json()["source"] is None


def test_the_trace_api_is_the_organizations_own(api, foundry, make_org, make_worker):
    org, other = make_org("Acme"), make_org("Other")
    project, workers, _ = _leak_setup(api, foundry, org, make_worker)
    url = f"/v1/projects/{project.id}/trace"
    assert api.post(url, json={"content": PARAGRAPHS[0]},
                    headers=other.headers).status_code == 404
    assert api.post(url, json={"content": PARAGRAPHS[0]},
                    headers=workers[0].headers).status_code == 401
    assert api.post(url, json={"content": ""}, headers={}).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"content": ""}, "content"),
    ({"content": "   \n "}, "content"),
    ({"content": "\x01\x02\x03 binary \x04\x05"}, "content"),
    ({"content": "two words"}, "content"),
    ({"content": PARAGRAPHS[0], "format": "pdf"}, "format"),
    ({"content": "{\"a\": 1}\nnot json at all here", "format": "jsonl"}, "content"),
    ({"text": PARAGRAPHS[0]}, "content"),  # content is missing
])
def test_bad_trace_input_is_refused_naming_the_field(api, foundry, make_org, make_worker,
                                                     body, field):
    org = make_org()
    project, _, _ = _leak_setup(api, foundry, org, make_worker)
    got = api.post(f"/v1/projects/{project.id}/trace", json=body, headers=org.headers)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"].startswith(field), got.json()


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    return lambda *args: CliRunner().invoke(cli_app, list(args))


def test_the_cli_prints_the_source_id_last_then_none_for_the_original(
        api, foundry, make_org, make_worker, run, tmp_path):
    org = make_org()
    project, workers, leased = _leak_setup(api, foundry, org, make_worker)
    leaker = workers[2]
    batch = tmp_path / "found.jsonl"
    batch.write_text("\n".join(json.dumps(lease) for lease in leased[leaker.id]) + "\n")
    result = run("trace", str(batch), "--project", str(project.id))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(leaker.id)
    plain = tmp_path / "found.txt"
    plain.write_text(PARAGRAPHS[1])
    result = run("trace", str(plain), "--project", str(project.id))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "none"
    table = tmp_path / "found.csv"
    text = next(lease["item"]["data"]["text"] for lease in leased[leaker.id])
    table.write_text('id,body\n1,"' + text.replace('"', '""') + '"\n')
    result = run("trace", str(table), "--project", str(project.id))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(leaker.id)


def test_the_cli_refuses_an_empty_binary_or_missing_file(api, foundry, make_org, make_worker,
                                                         run, tmp_path):
    org = make_org()
    project, _, _ = _leak_setup(api, foundry, org, make_worker)
    empty, binary = tmp_path / "empty.txt", tmp_path / "blob.bin"
    empty.write_text("")
    binary.write_bytes(bytes(range(256)) * 4)
    for path, said in ((empty, "file: empty"), (binary, "file: binary"),
                       (tmp_path / "missing.txt", "file:")):
        result = run("trace", str(path), "--project", str(project.id))
        assert result.exit_code == 2, result.output
        assert said in result.output
    result = run("trace", str(binary), "--project", "99999")
    assert result.exit_code == 2
    result = run("trace", str(empty), "--project", str(project.id), "--format", "pdf")
    assert result.exit_code == 2 and "format" in result.output


class PointItem(Schema):
    x: int = Field(ge=0)
    y: int = Field(ge=0)


class Pointer(Classify):
    name = "pointer"
    item_model = PointItem


POINTER = Pointer()


def test_watermark_on_a_primitive_without_text_is_refused_and_nothing_written(
        api, foundry, make_org, request):
    from datafab import primitives

    primitives.register("pointer", f"{__name__}:POINTER")  # for this test
    request.addfinalizer(lambda: primitives.REGISTRY.unregister("pointer"))
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "points", "primitive": "pointer", "settings": {"labels": ["a", "b"]}})
    got = api.put(f"/v1/projects/{project.id}/workforce", json={"watermark": True},
                  headers=org.headers)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"] == "watermark"
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(workforce_policies)).scalar() == 0
    got = api.put(f"/v1/projects/{project.id}/workforce", json={"watermark": False},
                  headers=org.headers)
    assert got.status_code == 200, got.text


def test_a_lease_still_answers_as_before_for_work_lease_items(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org.id)
    ada = accounts.authenticate_contributor(foundry, make_worker("ada").token)
    (lease,) = work.lease_items(foundry, ada, project.id, 1)
    receipt = work.submit(foundry, ada, lease.id, {"answer": {"label": "finance"}})
    assert receipt.item_id == lease.item_id
