"""The classify ``records`` export carries the soft label: every label of the project with its
probability — the aggregation's posterior, the distribution to train on when people
disagreed — in JSON Lines and in Parquet."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest

LABELS = ["cat", "dog", "bird"]
# item → the three contributors' labels
VOTES = {"i0": ["cat", "cat", "cat"], "i1": ["cat", "dog", "dog"], "i2": ["bird", "cat", "bird"],
         "i3": ["dog", "dog", "dog"]}


def _line(api, org, workers, settings, votes):
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "pets", "primitive": "classify", "settings": settings,
        "policy": {"min_labels": 3, "max_labels": 3}}).json()["id"]
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": ext, "data": {"text": ext}} for ext in votes]})
    assert r.status_code == 200, r.text
    for k, worker in enumerate(workers):
        leases = api.post(f"/v1/projects/{pid}/leases", json={"n": len(votes)},
                          headers=worker.headers).json()["leases"]
        for lease in leases:
            answer = votes[lease["item"]["external_id"]][k]
            key = "labels" if isinstance(answer, list) else "label"
            r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {key: answer}},
                         headers=worker.headers)
            assert r.status_code == 200, r.text
    return pid


def _exports(api, org, pid):
    jsonl = api.get(f"/v1/projects/{pid}/export", headers=org.headers,
                    params={"format": "records"})
    parquet = api.get(f"/v1/projects/{pid}/export", headers=org.headers,
                      params={"format": "records", "file": "parquet"})
    assert jsonl.status_code == parquet.status_code == 200
    return ([json.loads(x) for x in jsonl.text.splitlines()],
            pq.read_table(io.BytesIO(parquet.content)).to_pylist())


def test_records_export_carries_the_posterior_per_label(api, make_org, make_worker):
    org = make_org()
    workers = [make_worker(f"w{k}") for k in range(3)]
    pid = _line(api, org, workers, {"labels": LABELS}, VOTES)
    stored = {r["item"]["external_id"] if "item" in r else r["external_id"]: r for r in
              api.get(f"/v1/projects/{pid}/records", headers=org.headers).json()["data"]}
    for rows in _exports(api, org, pid):
        assert len(rows) == 4
        for row in rows:
            soft = row["soft_label"]
            assert list(soft) == LABELS  # every label, in the project's order
            assert sum(soft.values()) == pytest.approx(1.0, abs=1e-5)
            assert max(soft, key=soft.get) == row["label"]
            assert soft[row["label"]] == pytest.approx(row["confidence"], abs=1e-5)
            details = stored[row["external_id"]]["details"]
            behind = details.get("posterior") or details.get("soft_label")
            assert soft == {label: pytest.approx(behind.get(label, 0.0), abs=1e-6)
                            for label in LABELS}
        by_item = {r["external_id"]: r["soft_label"] for r in rows}
        assert by_item["i0"]["cat"] > 0.9 and by_item["i1"]["dog"] < 1.0
        assert 0.0 < by_item["i1"]["cat"] < by_item["i1"]["dog"]


def test_multi_label_records_give_each_label_its_own_probability(api, make_org, make_worker):
    org = make_org()
    workers = [make_worker(f"w{k}") for k in range(3)]
    votes = {"m0": [["cat"], ["cat", "dog"], ["cat"]]}
    pid = _line(api, org, workers, {"labels": LABELS, "multi_label": True}, votes)
    for rows in _exports(api, org, pid):
        (row,) = rows
        assert row["labels"] == ["cat"]
        assert row["soft_label"] == {"cat": 1.0, "dog": pytest.approx(1 / 3, abs=1e-6),
                                     "bird": 0.0}
