"""Changing a project's labels under existing answers: refused unless the old labels keep a
place (added labels, or a label_map); then answers are rewritten and records recomputed."""

from __future__ import annotations

import pytest

LABELS = ["good", "b", "meh"]


def _project_with_answers(api, org, workers):
    body = {"name": "tone", "primitive": "classify", "guidelines": "Rate the tone.",
            "settings": {"labels": LABELS}, "policy": {"min_labels": 2, "max_labels": 2}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    batch = [{"external_id": f"t-{i}", "data": {"text": f"text {i}"}} for i in range(4)]
    batch.append({"external_id": "gold-1", "data": {"text": "known"},
                  "gold_answer": {"label": "b"}})
    r = api.post(f"/v1/projects/{project['id']}/items", json={"items": batch},
                 headers=org.headers)
    assert r.status_code in (200, 201), r.text
    for worker in workers:
        leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 10},
                          headers=worker.headers).json()["leases"]
        for lease in leases:
            ext = lease["item"]["external_id"]
            label = "b" if ext in ("t-0", "t-1", "gold-1") else "meh" if ext == "t-3" else "good"
            r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": label}},
                         headers=worker.headers)
            assert r.status_code == 200, r.text
    return project


def _records(api, org, project):
    data = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers).json()["data"]
    return {r["item"]["external_id"] if isinstance(r.get("item"), dict) else r["item_id"]: r
            for r in data}


def _answers(api, org, project):
    return sorted(str(r["answer"]) for r in _records(api, org, project).values())


def _quality_works(api, org, project):
    assert api.get(f"/v1/projects/{project['id']}/quality",
                   headers=org.headers).status_code == 200
    r = api.post(f"/v1/projects/{project['id']}/refit", headers=org.headers)
    assert r.status_code == 200, r.text


@pytest.fixture
def answered(api, make_org, make_worker):
    org = make_org()
    workers = [make_worker(f"w{i}") for i in range(2)]
    return org, _project_with_answers(api, org, workers)


def test_renaming_a_label_under_answers_without_a_map_is_refused(api, answered):
    org, project = answered
    before = _answers(api, org, project)
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["good", "bad", "meh"]}})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["field"] == "settings.labels"
    assert "'b'" in r.json()["error"]["message"]
    got = api.get(f"/v1/projects/{project['id']}", headers=org.headers).json()
    assert got["settings"]["labels"] == LABELS
    assert _answers(api, org, project) == before
    _quality_works(api, org, project)


def test_a_label_map_rewrites_answers_and_records(api, answered):
    org, project = answered
    _quality_works(api, org, project)
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["good", "bad", "meh"]},
                        "label_map": {"b": "bad"}})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["labels"] == ["good", "bad", "meh"]
    _quality_works(api, org, project)
    answers = _answers(api, org, project)
    assert "{'label': 'bad'}" in answers and all("'b'" not in a for a in answers)
    audit = api.get("/v1/audit", params={"action": "project.relabelled"},
                    headers=org.headers).json()["data"]
    assert len(audit) == 1
    assert audit[0]["details"]["label_map"] == {"b": "bad"}
    assert audit[0]["details"]["answers_rewritten"] > 0
    # The gold item's answer moved too: answering it "bad" is now right.
    body = {"items": [{"external_id": "gold-1", "data": {"text": "known"},
                       "gold_answer": {"label": "bad"}}]}
    r = api.post(f"/v1/projects/{project['id']}/items", json=body, headers=org.headers)
    assert r.status_code in (200, 201) and r.json()["unchanged"] == 1, r.text


def test_merging_two_labels_recomputes_the_records(api, answered):
    org, project = answered
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["good", "meh"]}, "label_map": {"b": "meh"}})
    assert r.status_code == 200, r.text
    _quality_works(api, org, project)
    records = _records(api, org, project)
    assert {str(r["answer"]) for r in records.values()} <= {"{'label': 'good'}",
                                                           "{'label': 'meh'}"}
    # Items whose two labels were "b" and "b" are now certain "meh".
    assert any(r["answer"] == {"label": "meh"} and r["confidence"] > 0.5
               for r in records.values())


def test_adding_labels_keeps_every_answer(api, answered):
    org, project = answered
    before = _answers(api, org, project)
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": [*LABELS, "new"]}})
    assert r.status_code == 200, r.text
    assert _answers(api, org, project) == before
    _quality_works(api, org, project)


@pytest.mark.parametrize("body, field", [
    ({"settings": {"labels": ["good", "bad", "meh"]}, "label_map": {"zzz": "bad"}},
     "label_map"),
    ({"settings": {"labels": ["good", "bad", "meh"]}, "label_map": {"b": "worse"}},
     "label_map.b"),
    ({"label_map": {"b": "bad"}}, "label_map"),
])
def test_a_bad_label_map_names_the_field_and_writes_nothing(api, answered, body, field):
    org, project = answered
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    got = api.get(f"/v1/projects/{project['id']}", headers=org.headers).json()
    assert got["settings"]["labels"] == LABELS


def test_labels_change_freely_before_any_answer(api, make_org):
    org = make_org()
    body = {"name": "fresh", "primitive": "classify", "settings": {"labels": LABELS}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["x", "y"]}})
    assert r.status_code == 200, r.text


def test_span_labels_follow_a_label_map(api, make_org, make_worker):
    org = make_org()
    body = {"name": "entities", "primitive": "spans", "settings": {"labels": ["PER", "ORG"]},
            "policy": {"min_labels": 1, "max_labels": 1}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    api.post(f"/v1/projects/{project['id']}/items", headers=org.headers,
             json={"items": [{"external_id": "s-1", "data": {"text": "Ada works at ACME"}}]})
    worker = make_worker()
    (lease,) = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 1},
                        headers=worker.headers).json()["leases"]
    spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 17, "label": "ORG"}]
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"spans": spans}},
                 headers=worker.headers)
    assert r.status_code == 200, r.text
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["PERSON", "ORG"]}})
    assert r.status_code == 409 and r.json()["error"]["field"] == "settings.labels", r.text
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["PERSON", "ORG"]},
                        "label_map": {"PER": "PERSON"}})
    assert r.status_code == 200, r.text
    (record,) = _records(api, org, project).values()
    assert sorted(s["label"] for s in record["answer"]["spans"]) == ["ORG", "PERSON"]


def _item_id(foundry, project, external_id):
    from sqlalchemy import select

    from datafab.store.tables import items
    with foundry.db.read() as conn:
        return conn.execute(select(items.c.id).where(
            items.c.project_id == project["id"],
            items.c.external_id == external_id)).scalar_one()


def test_a_reviewed_record_stands_through_a_recompute(api, foundry, answered):
    """An audit review's correction is not overwritten by the answers it corrected: a
    relabel's recompute leaves it (its label renamed), as a refit does."""
    from datafab.services import quality, records
    from datafab.services.projects import load_project
    from datafab.store import curation, submitting

    org, project = answered
    item = _item_id(foundry, project, "t-2")  # both answered "good"
    with foundry.db.write() as conn:
        curation.correct_record(conn, item, {"label": "b"}, 0.97, {"reviewed_by": 1}, 1.0)
    r = api.patch(f"/v1/projects/{project['id']}", headers=org.headers,
                  json={"settings": {"labels": ["good", "bad", "meh"]},
                        "label_map": {"b": "bad"}})
    assert r.status_code == 200, r.text
    with foundry.db.write() as conn:
        project_row = load_project(conn, None, project["id"])
        quality.recompute_records(foundry, conn, project_row, [item], 2.0)
        reviewed = records.stored_outcome(conn, item)
        assert [v.answer for v in submitting.votes(conn, item)] == [{"label": "good"}] * 2
    assert reviewed is not None
    assert (reviewed.answer, reviewed.method, reviewed.confidence) == (
        {"label": "bad"}, "review", 0.97)
    # the other records were recomputed in the new labels
    assert "{'label': 'b'}" not in _answers(api, org, project)
