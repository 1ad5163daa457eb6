"""Boxes and polygons in the line, on SQLite and PostgreSQL: gold with IoU tolerance feeds
the contributors' skill, the skill weighs the fusion, disagreement asks another contributor,
and a bad answer is refused naming the box with nothing written."""

from __future__ import annotations

import pytest

from datafab.services import items, projects, quality, work
from datafab.services.accounts import authenticate_contributor
from datafab.services.records import list_records

CAR = {"label": "car", "x": 10, "y": 20, "w": 30, "h": 40}
NEAR_CAR = {**CAR, "x": 12, "y": 21}  # IoU ≈ 0.88 with CAR
GHOST = {"label": "car", "x": 70, "y": 60, "w": 10, "h": 10}
IMAGE = {"image": "https://img.example/street.jpg", "width": 100, "height": 100}


def _project(foundry, org, primitive="boxes", **policy):
    return projects.create_project(foundry, org.id, {
        "name": "street", "primitive": primitive, "settings": {"labels": ["car", "person"]},
        "policy": policy})


def _work(foundry, who, project, answer):
    """Lease one at a time until the pool is dry; ``answer(external_id)`` is the answer."""
    receipts = {}
    while leases := work.lease_items(foundry, who, project.id, 1):
        for lease in leases:
            receipts[lease.external_id] = work.submit(
                foundry, who, lease.id, {"answer": answer(lease.external_id)})
    return receipts


def test_gold_feeds_skill_and_skill_weighs_the_fusion(foundry, make_org, make_worker,
                                                      monkeypatch):
    monkeypatch.setattr(work._RANDOM, "random", lambda: 0.0)  # gold first, while work remains
    org = make_org()
    project = _project(foundry, org, min_labels=3, max_labels=3, gold_rate=0.5)
    items.upload_items(foundry, org.id, project.id, [
        *({"external_id": f"i{i}", "data": IMAGE} for i in range(3)),
        *({"external_id": f"g{i}", "data": IMAGE, "gold_answer": {"boxes": [CAR]}}
          for i in range(4))])
    good = authenticate_contributor(foundry, make_worker("good").token)
    careless = [authenticate_contributor(foundry, make_worker(f"c{i}").token) for i in range(2)]

    receipts = _work(foundry, good, project, lambda ext: {"boxes": [NEAR_CAR]})
    assert [receipts[f"g{i}"].feedback["correct"] for i in range(4)] == [True] * 4
    for who in careless:
        receipts = _work(foundry, who, project, lambda ext: {"boxes": []} if ext[0] == "g"
                         else {"boxes": [CAR, GHOST]})
        assert [receipts[f"g{i}"].feedback["correct"] for i in range(4)] == [False] * 4

    page, _ = list_records(foundry, org.id, project.id, limit=100)
    assert len(page) == 3
    for record in page:
        # two careless contributors out of three drew the ghost, but they weigh 1/6 each
        # against the good one's 5/6: the ghost is dropped, the car leans towards the good box
        [car] = record["answer"]["boxes"]
        assert car["label"] == "car" and 11 < car["x"] < 12
        counts = sorted(record["details"]["annotators"], key=lambda c: c["weight"])
        assert [c["weight"] for c in counts] == pytest.approx([1 / 6, 1 / 6, 5 / 6], abs=1e-5)
        assert [c["false_positives"] for c in counts] == [1, 1, 0]
    summary = quality.summary(foundry, org.id, project.id)
    assert sorted(c["gold_accuracy"] for c in summary["contributors"]) == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("primitive", ["boxes", "polygons"])
def test_disagreement_asks_another_contributor(foundry, make_org, make_worker, primitive):
    org = make_org()
    project = _project(foundry, org, primitive, min_labels=2, max_labels=3,
                       target_confidence=0.9)
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": "agreed", "data": IMAGE}, {"external_id": "disputed", "data": IMAGE}])
    if primitive == "boxes":
        drawn, nothing = {"boxes": [CAR]}, {"boxes": []}
    else:
        drawn = {"polygons": [{"label": "car", "points": [[10, 20], [40, 20], [40, 60]]}]}
        nothing = {"polygons": []}
    workers = [authenticate_contributor(foundry, make_worker(f"w{i}").token) for i in range(3)]
    _work(foundry, workers[0], project, lambda ext: drawn)
    _work(foundry, workers[1], project, lambda ext: drawn if ext == "agreed" else nothing)
    third = _work(foundry, workers[2], project, lambda ext: drawn)
    assert list(third) == ["disputed"]  # the agreed image was done after two
    page, _ = list_records(foundry, org.id, project.id, limit=100)
    by_ext = {r["external_id"]: r for r in page}
    assert by_ext["agreed"]["n_submissions"] == 2 and by_ext["agreed"]["confidence"] == 1.0
    assert by_ext["disputed"]["n_submissions"] == 3
    assert len(by_ext["disputed"]["answer"][f"{primitive}"]) == 1


def test_bad_box_is_refused_over_http_and_nothing_written(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "p", "primitive": "boxes", "settings": {"labels": ["car"]}}).json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers,
             json={"items": [{"external_id": "a", "data": IMAGE}]})
    lease = api.post(f"/v1/projects/{pid}/leases", json={"n": 1},
                     headers=worker.headers).json()["leases"][0]
    bad = {"boxes": [CAR, {**CAR, "w": 95}]}
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": bad},
                 headers=worker.headers)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "answer.boxes.1.w"
    assert api.get(f"/v1/projects/{pid}/records", headers=org.headers).json()["data"] == []
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"boxes": [CAR]}},
                 headers=worker.headers)
    assert r.status_code == 200, r.text
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers,
                 json={"items": [{"external_id": "b", "data": {"image": "../x.png"}}]})
    assert r.status_code in (400, 422) and "image" in r.json()["error"]["field"]


def test_keypoints_gold_and_records(foundry, make_org, make_worker, monkeypatch):
    monkeypatch.setattr(work._RANDOM, "random", lambda: 0.0)
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "poses", "primitive": "keypoints",
        "settings": {"keypoints": ["head", "tail"], "skeleton": [["head", "tail"]]},
        "policy": {"min_labels": 2, "max_labels": 2, "gold_rate": 0.5}})
    truth = {"points": {"head": {"x": 10, "y": 10}, "tail": {"visibility": "absent"}}}
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": "i0", "data": IMAGE},
        {"external_id": "g0", "data": IMAGE, "gold_answer": truth}])
    near = {"points": {"head": {"x": 14, "y": 12}, "tail": {"visibility": "absent"}}}
    far = {"points": {"head": {"x": 60, "y": 60}, "tail": {"visibility": "absent"}}}
    for name, answer, right in (("a", near, True), ("b", far, False)):
        who = authenticate_contributor(foundry, make_worker(name).token)
        receipts = _work(foundry, who, project, lambda ext, a=answer: a)
        assert receipts["g0"].feedback["correct"] is right
    [record], _ = list_records(foundry, org.id, project.id, limit=10)
    # the placements lie apart: the skilled contributor's weighs more (2/3 against 1/3)
    assert record["answer"]["points"]["head"] == {"x": 14.0, "y": 12.0, "visibility": "visible"}
    assert record["confidence"] == pytest.approx(2 / 3, abs=1e-6)


def test_tracks_through_the_line(foundry, make_org, make_worker):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "clips", "primitive": "tracks", "settings": {"labels": ["car"]},
        "policy": {"min_labels": 2, "max_labels": 2}})
    items.upload_items(foundry, org.id, project.id, [{"external_id": "clip", "data": {
        "video": "clips/a.mp4", "frame_count": 50, "fps": 25, "width": 100, "height": 100}}])
    for name, x in (("a", 0), ("b", 2)):
        who = authenticate_contributor(foundry, make_worker(name).token)
        _work(foundry, who, project, lambda ext, x=x: {"tracks": [{
            "id": "1", "label": "car", "keyframes": [
                {"frame": 0, "x": x, "y": 0, "w": 10, "h": 10},
                {"frame": 40, "x": 80 + x, "y": 0, "w": 10, "h": 10}]}]})
    [record], _ = list_records(foundry, org.id, project.id, limit=10)
    [track] = record["answer"]["tracks"]
    # in view from frame 0 to 40, as both drew it, then out of view
    assert [(k["frame"], k.get("x")) for k in track["keyframes"]] == [(0, 1.0), (40, 81.0),
                                                                        (41, None)]
    assert track["keyframes"][2]["outside"] is True
    assert record["n_submissions"] == 2
