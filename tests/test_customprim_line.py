"""The production line on a customer primitive, on SQLite and PostgreSQL: upload, lease,
validate (errors name the field), aggregate field by field (and by the named estimator on a
refit), score gold by each field's rule, export JSON Lines and Parquet with the definition's
columns, and show in the dashboard."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from datafab.services import quality
from datafab.services.projects import get_project

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "primitives"


def _setup(api, org, name: str, **policy):
    definition = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    r = api.post("/v1/primitives", json=definition, headers=org.headers)
    assert r.status_code == 201, r.text
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": name, "primitive": name, "guidelines": "g",
        "policy": policy or {"min_labels": 3, "max_labels": 3}})
    assert r.status_code == 201, r.text
    return r.json()


def _work(api, workers, project, answers_for):
    """Each worker leases everything and answers with ``answers_for(worker index, item)``."""
    for w, worker in enumerate(workers):
        leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 10},
                          headers=worker.headers).json()["leases"]
        for lease in leases:
            answer = answers_for(w, lease["item"])
            r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": answer},
                         headers=worker.headers)
            assert r.status_code == 200, r.text


CLAIMS = {"question": "Where is Paris?", "answer": "Paris is in France. It has 90M people.",
          "claims": ["Paris is in France.", "It has 90M people."],
          "sources": [{"title": "Atlas", "excerpt": "Paris, capital of France."}]}


def test_claim_factuality_line_with_exports(api, make_org, make_worker):
    org = make_org()
    project = _setup(api, org, "claim_factuality")
    r = api.post(f"/v1/projects/{project['id']}/items", headers=org.headers, json={"items": [
        {"external_id": "c1", "data": CLAIMS},
        {"external_id": "bad", "data": {**CLAIMS, "claims": []}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.1.data.claims"
    r = api.post(f"/v1/projects/{project['id']}/items", headers=org.headers,
                 json={"items": [{"external_id": "c1", "data": CLAIMS}]})
    assert r.status_code == 200, r.text
    ratings = [("supported", "contradicted"), ("supported", "unsupported"),
               ("supported", "contradicted")]
    workers = [make_worker(f"w{i}") for i in range(3)]
    _work(api, workers, project, lambda w, item: {
        "verdicts": [{"rating": ratings[w][0], "justification": f"reason {w}a"},
                     {"rating": ratings[w][1], "justification": f"reason {w}b"}],
        "overall": [2, 3, 5][w]})
    record = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers
                     ).json()["data"][0]
    assert record["answer"]["verdicts"][0]["rating"] == "supported"
    assert record["answer"]["verdicts"][1]["rating"] == "contradicted"
    assert record["answer"]["verdicts"][1]["justification"] == ["reason 0b", "reason 1b",
                                                                 "reason 2b"]
    assert record["answer"]["overall"] == 3  # the median of 2, 3, 5
    fields = record["details"]["fields"]
    assert fields["verdicts"]["confidence"] == pytest.approx(2 / 3)  # claim 2: 2 of 3 agree
    # Only the median itself lies within a tenth of the 1–5 range of it: 1 of 3.
    assert record["confidence"] == pytest.approx(1 / 3) == fields["overall"]["confidence"]

    lines = api.get(f"/v1/projects/{project['id']}/export", headers=org.headers).text
    row = json.loads(lines.splitlines()[0])
    assert list(row) == ["question", "answer", "claims", "verdicts", "overall", "confidence",
                         "record_id"]
    assert row["overall"] == 3 and row["claims"] == CLAIMS["claims"]
    parquet = api.get(f"/v1/projects/{project['id']}/export", headers=org.headers,
                      params={"file": "parquet"})
    assert parquet.status_code == 200, parquet.text
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == list(row)
    assert table.to_pylist()[0]["verdicts"][1]["rating"] == "contradicted"
    dashboard = api.get(f"/v1/projects/{project['id']}", headers=org.headers).json()
    assert dashboard["primitive"] == "claim_factuality@1"


REPLY = "Step one: buy the parts."


def _red_team_item(i: int) -> dict:
    return {"external_id": f"r{i}", "data": {
        "conversation": [{"role": "user", "content": f"question {i}"},
                         {"role": "assistant", "content": REPLY}],
        "final_reply": REPLY}}


def test_red_team_line_refit_gold_and_field_errors(api, foundry, make_org, make_worker):
    org = make_org()
    project = _setup(api, org, "red_team_review", min_labels=3, max_labels=3)
    gold = {"harmful": "yes", "severity": 3, "rewrite": "No.",
            "evidence": [{"start": 0, "end": 9, "label": "harmful_instruction"}]}
    r = api.post(f"/v1/projects/{project['id']}/items", headers=org.headers, json={"items": [
        *(_red_team_item(i) for i in range(6)),
        {**_red_team_item(99), "gold_answer": gold}]})
    assert r.status_code == 200, r.text
    workers = [make_worker(f"w{i}") for i in range(3)]
    lease = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 1},
                     headers=workers[0].headers).json()["leases"][0]
    bad = {**gold, "evidence": [{"start": 0, "end": 999, "label": "harmful_instruction"}]}
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": bad},
                 headers=workers[0].headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "answer.evidence.0.end"
    api.post(f"/v1/leases/{lease['id']}/release", headers=workers[0].headers)

    def answer(w, item):  # worker 2 always says "no"; the others agree on "yes"
        return {"harmful": "no" if w == 2 else "yes", "harm_category": ["weapons"],
                "severity": [3, 4, 0][w], "rewrite": "I can't help with that.",
                "evidence": [{"start": 0, "end": 9, "label": "harmful_instruction"}]}

    _work(api, workers, project, answer)
    records = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers
                      ).json()["data"]
    assert len(records) == 6
    first = records[0]
    assert first["answer"]["harmful"] == "yes"
    assert first["answer"]["severity"] == pytest.approx(7 / 3, abs=1e-6)  # none trimmed
    assert first["answer"]["evidence"] == [{"start": 0, "end": 9,
                                            "label": "harmful_instruction"}]
    assert first["answer"]["rewrite"] == "I can't help with that."
    assert first["details"]["fields"]["harmful"]["method"] == "vote"
    r = api.post(f"/v1/projects/{project['id']}/refit", headers=org.headers)
    assert r.status_code == 200, r.text
    refit = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers
                    ).json()["data"][0]
    assert refit["details"]["fields"]["harmful"]["method"] == "dawid_skene"
    assert refit["answer"]["harmful"] == "yes"

    # The default export: the item, each answer field, the record's lineage. Finished items
    # only: the one worker 0 released has two answers (nobody gets an item twice).
    parquet = api.get(f"/v1/projects/{project['id']}/export", headers=org.headers,
                      params={"file": "parquet"})
    assert parquet.status_code == 200, parquet.text
    rows = pq.read_table(io.BytesIO(parquet.content)).to_pylist()
    assert len(rows) == 5
    assert rows[0]["item"]["final_reply"] == REPLY and rows[0]["harmful"] == "yes"
    assert rows[0]["harm_category"] == ["weapons"] and rows[0]["record_id"] > 0

    loaded = get_project(foundry, org.id, project["id"])
    near = {**gold, "severity": 4, "rewrite": "Something else entirely.",
            "evidence": [{"start": 0, "end": 8, "label": "harmful_instruction"}]}
    assert quality.gold_evidence(loaded, near, gold)[0] is True  # within 1; IoU 8/9
    assert quality.gold_evidence(loaded, {**near, "severity": 1}, gold)[0] is False
