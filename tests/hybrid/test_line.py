"""Models in the line, through the services on SQLite and PostgreSQL: the model stage,
routing, audits, votes, suggestions and drafts, judges, candidates, and effort."""

from __future__ import annotations

import threading

import pytest

from datafab.errors import InvalidInput
from datafab.services import candidates, effort, items, projects, quality, work
from datafab.services.accounts import authenticate_contributor, create_contributor
from datafab.services.records import list_records

LABELS = ["yes", "no"]


def _project(foundry, org, primitive="classify", settings=None, name="p", **policy):
    policy = {"min_labels": 1, "max_labels": 1, **policy}
    return projects.create_project(foundry, org.id, {
        "name": name, "primitive": primitive,
        "settings": {"labels": LABELS} if settings is None else settings, "policy": policy,
    })


def _who(foundry, name, kind="human"):
    who, _ = create_contributor(foundry, {"name": name, "kind": kind})
    return who


def _upload(foundry, org, project, n, gold=0):
    batch = [{"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}} for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)


def _answer(foundry, who, project, label="yes", confidence=None, n=100, **extra):
    receipts = []
    for lease in work.lease_items(foundry, who, project.id, n):
        body = {"answer": {"label": label}, **extra}
        if confidence is not None:
            body["confidence"] = confidence
        receipts.append(work.submit(foundry, who, lease.id, body))
    return receipts


def _status(foundry, org, project):
    return projects.progress(foundry, org.id, project.id)


def test_items_wait_for_the_model_then_people_take_over(foundry, clock, make_org):
    org = make_org()
    project = _project(foundry, org, models={"first": True, "wait_seconds": 60})
    _upload(foundry, org, project, 4)
    person, model = _who(foundry, "ann"), _who(foundry, "m", "model")
    assert _status(foundry, org, project)["model"] == 4
    assert work.lease_items(foundry, person, project.id, 10) == []  # the model goes first

    leases = work.lease_items(foundry, model, project.id, 3)
    assert len(leases) == 3 and all(lease.suggestion is None for lease in leases)
    work.submit(foundry, model, leases[0].id, {"answer": {"label": "yes"}, "confidence": 0.99})
    work.release_lease(foundry, model, leases[1].id, {"reason": "malformed"})
    # answered and released items go on to people at once; the held and the untouched wait
    assert {lease.external_id for lease in work.lease_items(foundry, person, project.id, 10)} \
        == {leases[0].external_id, leases[1].external_id}

    clock.advance(61)  # i3 waited long enough for a model; leases[2] is still held
    assert [lease.external_id for lease in work.lease_items(foundry, person, project.id, 10)] \
        == ["i3"]
    clock.advance(600)  # the model's lease on leases[2] expires: people take it
    work.expire_leases(foundry)
    late = work.lease_items(foundry, person, project.id, 10)
    assert [lease.external_id for lease in late] == [leases[2].external_id]
    assert _status(foundry, org, project).get("model", 0) == 0


def test_models_racing_for_the_model_stage_never_share_an_item(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, models={"first": True})
    _upload(foundry, org, project, 60)
    models = [_who(foundry, f"m{i}", "model") for i in range(4)]
    taken: list[str] = []
    lock = threading.Lock()

    def run(who):
        while leases := work.lease_items(foundry, who, project.id, 3):
            with lock:
                taken.extend(lease.external_id for lease in leases)

    threads = [threading.Thread(target=run, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"i{i}" for i in range(60))


def _prove(foundry, org, project, model, n_gold, confidence=0.97):
    """Let the model answer gold items right at a stated confidence (through the line)."""
    _upload(foundry, org, project, 0, gold=n_gold)
    seen = 0
    while seen < n_gold:
        # gold comes at the project's rate per leased slot, so with only gold items left a
        # call may draw none (1 in 1,024 at a rate of 0.5 for ten): ask again, a few times
        for _ in range(20):
            if leases := work.lease_items(foundry, model, project.id, 10):
                break
        assert leases
        for lease in leases:
            receipt = work.submit(foundry, model, lease.id,
                                  {"answer": {"label": "yes"}, "confidence": confidence})
            seen += int(bool(receipt.feedback))
    return seen


def test_a_proven_confident_model_finishes_items_alone(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, gold_rate=0.5, models={
        "first": True, "auto_accept": True, "accept_confidence": 0.9, "target_accuracy": 0.8,
        "min_gold": 10, "audit_rate": 0.0})
    model = _who(foundry, "m", "model")
    _prove(foundry, org, project, model, 12)
    _upload(foundry, org, project, 6)
    done = {}
    for lease in work.lease_items(foundry, model, project.id, 10):
        if lease.external_id.startswith("g"):
            continue
        confidence = 0.95 if lease.external_id in ("i0", "i1", "i2") else 0.6
        done[lease.external_id] = work.submit(foundry, model, lease.id, {
            "answer": {"label": "no"}, "confidence": confidence}).item_done
    assert done == {"i0": True, "i1": True, "i2": True, "i3": False, "i4": False, "i5": False}
    page, _ = list_records(foundry, org.id, project.id)
    accepted = {r["external_id"]: r for r in page}
    assert set(accepted) == {"i0", "i1", "i2"}  # unsure answers are no record (no vote)
    assert all(r["method"] == "model" and r["final"] and r["confidence"] == 0.95
               for r in accepted.values())
    person = _who(foundry, "ann")
    leased = {lease.external_id for lease in work.lease_items(foundry, person, project.id, 20)
              if lease.external_id.startswith("i")}
    assert leased == {"i3", "i4", "i5"}
    report = effort.effort(foundry, org.id, project.id)
    assert report["auto_accepted"] == 3
    (entry,) = report["models"]
    assert entry["routes"] == {"accepted": 3, "audit": 0, "people": 3}
    assert entry["gold"]["seen"] == 12 and entry["gold"]["accuracy"] == 1.0
    assert entry["gold"]["ece"] == pytest.approx(0.03)


def test_an_unproven_model_is_never_accepted_and_audits_go_to_people(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, gold_rate=0.5, models={
        "first": True, "auto_accept": True, "min_gold": 10, "target_accuracy": 0.8,
        "audit_rate": 1.0})
    model = _who(foundry, "m", "model")
    _upload(foundry, org, project, 3)
    receipts = _answer(foundry, model, project, confidence=0.99)  # no gold seen yet
    assert not any(r.item_done for r in receipts)
    _prove(foundry, org, project, model, 12)
    _upload(foundry, org, project, 3, gold=0)  # nothing new: same ids
    items.upload_items(foundry, org.id, project.id,
                       [{"external_id": "late", "data": {"text": "late"}}])
    (lease,) = [le for le in work.lease_items(foundry, model, project.id, 10)
                if le.external_id == "late"]
    receipt = work.submit(foundry, model, lease.id, {"answer": {"label": "yes"},
                                                     "confidence": 0.99})
    assert not receipt.item_done  # acceptable, but audit_rate 1.0 sends it to people
    report = effort.effort(foundry, org.id, project.id)
    assert report["models"][0]["routes"]["audit"] == 1


def test_a_voting_model_counts_once_and_people_still_label(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, min_labels=1, max_labels=3, target_confidence=0.9,
                       method="majority", models={"first": True, "vote": True})
    _upload(foundry, org, project, 1)
    model, person = _who(foundry, "m", "model"), _who(foundry, "ann")
    (receipt,) = _answer(foundry, model, project, "no", confidence=0.7)
    assert not receipt.item_done
    (record,) = list_records(foundry, org.id, project.id)[0]
    assert record["answer"] == {"label": "no"} and record["n_submissions"] == 1
    assert _status(foundry, org, project)["labels"] == 0  # the model's vote is not a label
    (receipt,) = _answer(foundry, person, project, "no")
    assert receipt.item_done  # one person (min_labels) agreeing with the model's vote
    (record,) = list_records(foundry, org.id, project.id)[0]
    assert record["n_submissions"] == 2


def test_suggestions_are_shown_recorded_and_measured(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, models={"first": True, "suggest": True})
    _upload(foundry, org, project, 4)
    model = _who(foundry, "m", "model")
    _answer(foundry, model, project, "yes", confidence=0.8)
    for i, name in enumerate(("ann", "bob")):
        person = _who(foundry, name)
        leases = work.lease_items(foundry, person, project.id, 2)
        assert all(lease.to_dict()["suggestion"] == {
            "answer": {"label": "yes"}, "confidence": 0.8, "source": "model"} for lease in leases)
        for lease in leases:
            work.submit(foundry, person, lease.id, {"answer": {"label": LABELS[i]}})
    report = effort.effort(foundry, org.id, project.id)["suggestions"]
    assert report["shown"] == 4 and report["followed"] == 2 and report["followed_share"] == 0.5


def test_without_suggest_people_never_see_the_model(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, models={"first": True})
    _upload(foundry, org, project, 2)
    _answer(foundry, _who(foundry, "m", "model"), project, confidence=0.8)
    leases = work.lease_items(foundry, _who(foundry, "ann"), project.id, 2)
    assert len(leases) == 2 and all("suggestion" not in lease.to_dict() for lease in leases)


def test_model_drafts_people_edit_and_the_edit_is_measured(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, "write", {}, models={"first": True, "suggest": True})
    items.upload_items(foundry, org.id, project.id,
                       [{"external_id": "w1", "data": {"prompt": "Say hello politely."}}])
    model, person = _who(foundry, "m", "model"), _who(foundry, "ann")
    (lease,) = work.lease_items(foundry, model, project.id, 1)
    work.submit(foundry, model, lease.id, {"answer": {"final": "hello"}})
    (lease,) = work.lease_items(foundry, person, project.id, 1)
    draft = lease.suggestion["answer"]["final"]
    assert draft == "hello"
    work.submit(foundry, person, lease.id, {
        "answer": {"final": "Hello, how are you?", "draft": draft,
                   "critique": "too curt"}, "seconds_spent": 30.0})
    (record,) = list_records(foundry, org.id, project.id)[0]
    assert record["answer"]["edit_distance"] == 15 and record["final"]
    report = effort.effort(foundry, org.id, project.id)["suggestions"]
    assert report["edited"] == 1 and report["mean_edit_distance"] == 15
    assert report["mean_seconds"] == 30.0


def test_a_judge_model_votes_like_anyone_and_earns_its_weight(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, min_labels=3, max_labels=3)
    _upload(foundry, org, project, 20)
    judge = _who(foundry, "judge", "model")
    people = [_who(foundry, f"p{i}") for i in range(2)]
    for lease in work.lease_items(foundry, judge, project.id, 20):  # wrong on every 4th
        label = "no" if int(lease.external_id[1:]) % 4 == 0 else "yes"
        work.submit(foundry, judge, lease.id, {"answer": {"label": label}, "confidence": 0.9})
    for person in people:
        _answer(foundry, person, project, "yes")
    assert _status(foundry, org, project)["done"] == 20
    (entry,) = effort.effort(foundry, org.id, project.id)["models"]
    assert entry["items_with_people"] == 20 and entry["agreement_with_people"] == 0.75
    quality.refit(foundry, project.id)
    summary = quality.summary(foundry, org.id, project.id)
    by_labels = sorted(summary["contributors"], key=lambda c: c["agreement_with_consensus"])
    assert by_labels[0]["agreement_with_consensus"] == 0.75  # the judge, weighed less
    assert by_labels[0]["skill"] < by_labels[-1]["skill"]


def test_candidates_become_compare_pairs_and_rank_lists(foundry, make_org):
    org = make_org()
    compare = _project(foundry, org, "compare", {}, name="c")
    rank = _project(foundry, org, "rank", {}, name="r")
    usage = {"model": "a", "calls": 1, "prompt_tokens": 10, "completion_tokens": 20,
             "cost": 0.5}
    entry = {"external_id": "p1", "prompt": "Tell a joke.", "system": "Be brief.",
             "responses": [{"model": m, "content": f"joke by {m}", "params": {"temperature": t},
                            "usage": {**usage, "model": m}}
                           for m, t in (("a", 0.7), ("b", 0.7), ("c", 1.0))]}
    assert candidates.add_candidates(foundry, org.id, compare.id, [entry]).created == 3
    page, _ = items.list_items(foundry, org.id, compare.id)
    first = page[0]["data"]
    assert first["a"] == {"content": [{"role": "assistant", "content": "joke by a"}],
                          "model": "a"}
    assert first["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert first["meta"]["sampling"] == [{"temperature": 0.7}, {"temperature": 0.7}]
    assert candidates.add_candidates(foundry, org.id, rank.id, [entry]).created == 1
    assert candidates.add_candidates(foundry, org.id, rank.id, [entry]).unchanged == 1
    report = effort.effort(foundry, org.id, compare.id)
    assert report["model"]["cost"] == 1.5 and report["model"]["by_outcome"] == {"candidate": 3}
    classify = _project(foundry, org, name="k")
    with pytest.raises(InvalidInput) as err:
        candidates.add_candidates(foundry, org.id, classify.id, [entry])
    assert err.value.field == "project_id"
    with pytest.raises(InvalidInput) as err:
        candidates.add_candidates(foundry, org.id, compare.id, [{**entry, "responses": []}])
    assert err.value.field == "candidates.0.responses"


@pytest.mark.parametrize("models, field", [
    ({"auto_accept": True}, "policy.models"),
    ({"first": True, "accept_confidence": 1.5}, "policy.models.accept_confidence"),
    ({"first": True, "colour": "red"}, "policy.models.colour"),
])
def test_the_models_block_is_validated_at_creation(foundry, make_org, models, field):
    org = make_org()
    with pytest.raises(InvalidInput) as err:
        _project(foundry, org, models=models)
    assert err.value.field == field


def test_auto_accept_needs_categorical_answers(foundry, make_org):
    org = make_org()
    with pytest.raises(InvalidInput) as err:
        _project(foundry, org, "write", {}, models={"first": True, "auto_accept": True})
    assert err.value.field == "policy.models.auto_accept"


def test_people_cannot_report_model_usage(foundry, make_org):
    org = make_org()
    project = _project(foundry, org)
    _upload(foundry, org, project, 1)
    person = _who(foundry, "ann")
    (lease,) = work.lease_items(foundry, person, project.id, 1)
    with pytest.raises(InvalidInput) as err:
        work.submit(foundry, person, lease.id, {"answer": {"label": "yes"},
                                                "usage": {"model": "x"}})
    assert err.value.field == "usage"


def test_effort_over_http(api, make_org, make_worker):
    org = make_org()
    body = {"name": "e", "primitive": "classify", "settings": {"labels": LABELS},
            "policy": {"models": {"first": True, "auto_accept": True}}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    assert project["policy"]["models"]["first"] is True
    bad = api.post("/v1/projects", json={**body, "name": "f",
                                          "policy": {"models": {"auto_accept": True}}},
                   headers=org.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "policy.models"
    response = api.get(f"/v1/projects/{project['id']}/effort", headers=org.headers)
    assert response.status_code == 200
    report = response.json()
    assert report["records"] == 0 and report["people"]["labels_per_record"] is None
    assert api.get(f"/v1/projects/{project['id']}/effort?bucket=5",
                   headers=org.headers).status_code == 422
    other = make_org("Other")
    assert api.get(f"/v1/projects/{project['id']}/effort",
                   headers=other.headers).status_code == 404


def test_effort_series_by_time(foundry, clock, make_org):
    org = make_org()
    project = _project(foundry, org)
    _upload(foundry, org, project, 4)
    person = authenticate_contributor(
        foundry, create_contributor(foundry, {"name": "ann"})[1])
    _answer(foundry, person, project, n=2, seconds_spent=5.0)
    clock.advance(3600)
    _answer(foundry, person, project, n=2, seconds_spent=7.0)
    report = effort.effort(foundry, org.id, project.id, bucket_seconds=3600)
    assert [s["human_labels"] for s in report["series"]] == [2, 2]
    assert [s["human_seconds"] for s in report["series"]] == [10.0, 14.0]
    assert report["people"]["labels_per_record"] == 1.0
    assert report["people"]["seconds_per_record"] == 6.0


def test_a_model_can_meet_more_gold_than_people(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, gold_rate=0.0, models={"first": True, "gold_rate": 0.5})
    _upload(foundry, org, project, 200, gold=200)
    model, person = _who(foundry, "m", "model"), _who(foundry, "ann")
    gold = [lease for lease in work.lease_items(foundry, model, project.id, 100)
            if lease.external_id.startswith("g")]
    assert 30 < len(gold) < 70
    for lease in work.lease_items(foundry, model, project.id, 100):
        work.release_lease(foundry, model, lease.id)
    assert not any(lease.external_id.startswith("g")
                   for lease in work.lease_items(foundry, person, project.id, 100))
