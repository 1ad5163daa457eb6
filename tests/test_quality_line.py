"""The quality engine wired into the line: adaptive overlap, gold, refits, the summary."""

from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.services import items, projects, quality, work
from datafab.services.accounts import authenticate_contributor

LABELS = ["yes", "no"]


def _project(foundry, org, **policy):
    return projects.create_project(
        foundry, org.id,
        {"name": "p", "primitive": "classify", "settings": {"labels": LABELS},
         "policy": policy},
    )


def _upload(foundry, org, project, n, gold=0, start=0):
    batch = [{"external_id": f"i{i}", "data": {"text": f"item {i}"}}
             for i in range(start, start + n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes" if i % 2 else "no"},
               "gold_explanation": "read the whole text"} for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)


def _work(foundry, who, project, answer, n=100):
    """Lease everything this contributor may get, answering with ``answer(external_id)``."""
    receipts = []
    while leases := work.lease_items(foundry, who, project.id, min(n, 20)):
        for lease in leases:
            body = {"answer": {"label": answer(lease.external_id)}}
            receipts.append((lease, work.submit(foundry, who, lease.id, body)))
        n -= len(leases)
        if n <= 0:
            break
    return receipts


def _labels_per_item(api_records):
    return {r["external_id"]: r["n_submissions"] for r in api_records}


def test_easy_items_close_early_and_hard_ones_stay_open(foundry, make_org, make_worker):
    """Ten contributors; half the items are easy (everyone agrees), half hard (answers
    alternate). Easy ones close at the minimum, hard ones go on to the maximum."""
    org = make_org()
    project = _project(foundry, org, min_labels=3, max_labels=7, target_confidence=0.99)
    _upload(foundry, org, project, 20)

    for i in range(10):
        who = authenticate_contributor(foundry, make_worker(f"w{i}").token)
        _work(foundry, who, project,
              lambda ext, i=i: LABELS[i % 2] if int(ext[1:]) % 2 else "yes")
    from datafab.services.records import list_records

    page, _ = list_records(foundry, org.id, project.id, limit=100)
    per_item = _labels_per_item(page)
    easy = [per_item[f"i{i}"] for i in range(0, 20, 2)]
    hard = [per_item[f"i{i}"] for i in range(1, 20, 2)]
    assert max(easy) <= 4  # unknown contributors at first: 3 or 4 agreeing labels
    assert min(hard) >= 5 and sum(hard) / len(hard) >= sum(easy) / len(easy) + 2
    assert all(r["method"] == "dawid_skene" for r in page)


def test_labels_that_cannot_change_the_answer_are_never_bought(
    foundry, make_org, make_worker
):
    """Two agreeing labels and one more allowed: a third label cannot flip the answer, so the
    item closes at two, though 0.999 is out of reach for unknown contributors — with or
    without ``min_gain``."""
    from datafab.services.records import list_records

    org = make_org()
    plain = _project(foundry, org, min_labels=2, max_labels=3, target_confidence=0.999)
    frugal = projects.create_project(
        foundry, org.id,
        {"name": "frugal", "primitive": "classify", "settings": {"labels": LABELS},
         "policy": {"min_labels": 2, "max_labels": 3, "target_confidence": 0.999,
                    "min_gain": 0.01}},
    )
    for project in (plain, frugal):
        _upload(foundry, org, project, 6)
    for i in range(3):
        who = authenticate_contributor(foundry, make_worker(f"w{i}").token)
        for project in (plain, frugal):
            _work(foundry, who, project, lambda ext: LABELS[int(ext[1:]) % 2])
    for project in (plain, frugal):
        page, _ = list_records(foundry, org.id, project.id, limit=100)
        assert sorted(_labels_per_item(page).values()) == [2] * 6
        assert all(r["answer"] == {"label": LABELS[int(r["external_id"][1:]) % 2]}
                   for r in page)
        assert all(r["confidence"] < 0.999 for r in page)


def test_the_readme_policy_asks_a_third_label_only_on_disagreement(
    foundry, make_org, make_worker
):
    """The tour's policy (two labels, at most three, target 0.99) on a fresh project with the
    default estimator: two agreeing labels close an item (a third cannot change its answer),
    a disagreement gets a third."""
    import ast
    import re
    from pathlib import Path

    from datafab.services.records import list_records

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "a third only if the first two disagree" in readme
    policy = ast.literal_eval(re.search(r"policy=(\{[^}]*\})", readme).group(1))
    org = make_org()
    project = _project(foundry, org, **policy)
    _upload(foundry, org, project, 4)
    split = {"i1", "i3"}
    first = authenticate_contributor(foundry, make_worker("first").token)
    second = authenticate_contributor(foundry, make_worker("second").token)
    third = authenticate_contributor(foundry, make_worker("third").token)
    _work(foundry, first, project, lambda ext: "yes")
    _work(foundry, second, project, lambda ext: "no" if ext in split else "yes")
    leased = [lease.external_id for lease, _ in _work(foundry, third, project, lambda e: "yes")]
    assert sorted(leased) == sorted(split)
    page, _ = list_records(foundry, org.id, project.id, limit=100)
    assert _labels_per_item(page) == {"i0": 2, "i1": 3, "i2": 2, "i3": 3}
    assert all(r["answer"] == {"label": "yes"} for r in page)


def test_gold_is_mixed_in_never_twice_and_scored(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold_rate=0.5, max_labels=1)
    _upload(foundry, org, project, 30, gold=6)
    good = authenticate_contributor(foundry, make_worker("good").token)
    bad = authenticate_contributor(foundry, make_worker("bad").token)
    truth = {f"g{i}": "yes" if i % 2 else "no" for i in range(6)}
    flip = {"yes": "no", "no": "yes"}
    good_receipts = _work(foundry, good, project, lambda e: truth.get(e, "yes"), n=20)
    bad_receipts = _work(foundry, bad, project, lambda e: flip[truth[e]] if e in truth
                         else "no", n=20)
    for receipts, right in ((good_receipts, True), (bad_receipts, False)):
        gold = [(lease, r) for lease, r in receipts if r.feedback]
        assert gold, "gold items were mixed in"
        assert len({lease.item_id for lease, _ in gold}) == len(gold)  # never twice
        assert all(r.feedback["correct"] is right for _, r in gold)
        assert all(r.feedback["explanation"] == "read the whole text" for _, r in gold)
        assert all(lease.external_id.startswith("g") for lease, _ in gold)
    summary = quality.summary(foundry, org.id, project.id)
    by_gold = sorted(summary["contributors"], key=lambda c: c["gold_accuracy"])
    assert by_gold[0]["gold_accuracy"] == 0.0 and by_gold[1]["gold_accuracy"] == 1.0
    low, high = by_gold[1]["gold_accuracy_ci"]
    assert 0.3 < low < 1.0 and high == pytest.approx(1.0)


def test_refit_learns_an_adversary_and_outvotes_them(foundry, make_org, make_worker):
    """Two honest contributors and one who always flips: the refit learns the flip from gold
    and the records follow the honest answers even where the adversary breaks ties."""
    org = make_org()
    project = _project(foundry, org, min_labels=2, max_labels=2, gold_rate=0.3)
    _upload(foundry, org, project, 40, gold=10)
    gold = {f"g{i}": "yes" if i % 2 else "no" for i in range(10)}
    truth = {f"i{i}": "yes" if i % 3 else "no" for i in range(40)} | gold
    flip = {"yes": "no", "no": "yes"}
    honest = [authenticate_contributor(foundry, make_worker(f"h{i}").token) for i in range(2)]
    adversary = authenticate_contributor(foundry, make_worker("adv").token)
    _work(foundry, adversary, project, lambda e: flip[truth[e]])
    for who in honest:
        _work(foundry, who, project, lambda e: truth[e])
    assert quality.refit(foundry, project.id) > 0
    from datafab.services.records import list_records

    page, _ = list_records(foundry, org.id, project.id, limit=100)
    right = sum(r["answer"]["label"] == truth[r["external_id"]] for r in page)
    assert right / len(page) >= 0.95
    summary = quality.summary(foundry, org.id, project.id)
    skills = sorted(c["skill"] for c in summary["contributors"])
    assert skills[0] < 0.2 and skills[-1] > 0.8
    assert summary["labels"] >= 80 and summary["estimated_accuracy"] > 0.8


def test_majority_method_keeps_the_per_item_vote(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, method="majority", min_labels=1, max_labels=1)
    _upload(foundry, org, project, 3)
    who = authenticate_contributor(foundry, make_worker().token)
    _work(foundry, who, project, lambda e: "yes")
    assert quality.refit(foundry, project.id) is None
    from datafab.services.records import list_records

    page, _ = list_records(foundry, org.id, project.id)
    assert {r["method"] for r in page} == {"majority"} and all(
        r["confidence"] == 1.0 for r in page)


@pytest.mark.parametrize(
    ("policy", "field"),
    [({"method": "wisdom"}, "policy"), ({"gold_rate": 0.9}, "policy.gold_rate")],
)
def test_bad_quality_policy(foundry, make_org, policy, field):
    with pytest.raises(InvalidInput) as err:
        _project(foundry, make_org(), **policy)
    assert err.value.field == field


def test_quality_summary_through_the_api(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": "q", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": 1, "max_labels": 1}})
    pid = r.json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"x{i}", "data": {"text": "t"}} for i in range(4)]})
    for lease in api.post(f"/v1/projects/{pid}/leases", json={"n": 4},
                          headers=worker.headers).json()["leases"]:
        api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "yes"}},
                 headers=worker.headers)
    summary = api.post(f"/v1/projects/{pid}/refit", headers=org.headers).json()
    assert summary["method"] == "dawid_skene" and summary["labels"] == 4
    assert summary["fitted_at"] is not None
    assert len(summary["contributors"]) == 1
    other = make_org("Other")
    assert api.get(f"/v1/projects/{pid}/quality", headers=other.headers).status_code == 404


def test_grade_refit_removes_a_harsh_raters_bias(foundry, make_org, make_worker):
    """A harsh rater scores half the items two points low; after the project-wide refit
    every record is off from the truth by the same amount (biases are centred across raters,
    so one common shift remains), where uncorrected the harsh rater's items would be a point
    further off than the rest."""
    org = make_org()
    rubric = [{"id": "accuracy", "description": "Right?", "weight": 1, "min": 1, "max": 10}]
    project = projects.create_project(foundry, org.id, {
        "name": "g", "primitive": "grade", "settings": {"rubric": rubric},
        "policy": {"min_labels": 2, "max_labels": 2}})
    true_score = {f"r{i}": 4 + i % 4 for i in range(12)}
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": ext, "data": {"prompt": "q", "response": ext}} for ext in true_score])
    fair = [authenticate_contributor(foundry, make_worker(f"fair{i}").token) for i in range(2)]
    harsh = authenticate_contributor(foundry, make_worker("harsh").token)
    for who, shift, n in ((harsh, -2, 6), (fair[0], 0, 12), (fair[1], 0, 6)):
        for lease in work.lease_items(foundry, who, project.id, n):
            score = true_score[lease.external_id] + shift
            work.submit(foundry, who, lease.id, {"answer": {"scores": {"accuracy": score}}})
    quality.refit(foundry, project.id)
    from datafab.services.records import list_records

    page, _ = list_records(foundry, org.id, project.id, limit=100)
    assert {r["method"] for r in page} == {"bias_corrected_mean"}
    errors = [r["answer"]["scores"]["accuracy"] - true_score[r["external_id"]] for r in page]
    assert max(errors) - min(errors) < 0.4  # 1.0 uncorrected; the ridge keeps a little


def test_gold_stops_when_real_work_runs_out(foundry, make_org, make_worker):
    """Gold rides along with real work at the project's rate: once a contributor has had every
    real item, a lease is empty instead of all gold."""
    org = make_org()
    project = _project(foundry, org, gold_rate=0.2, max_labels=1)
    _upload(foundry, org, project, 5, gold=12)
    who = authenticate_contributor(foundry, make_worker().token)
    real, gold = 0, 0
    for _ in range(60):
        batch = work.lease_batch(foundry, who, project.id, 1)
        for lease in batch.leases:
            receipt = work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
            gold += receipt.feedback is not None
            real += receipt.feedback is None
        if not batch.leases:
            assert batch.state == "open"
            break
    assert real == 5
    assert gold <= 5  # at 0.2, about one per four real items; never the other twelve
    assert work.lease_batch(foundry, who, project.id, 5).leases == []


def test_no_label_is_bought_on_a_stale_posterior(foundry, make_org, make_worker):
    """An item waits for a second label on a posterior made when its labeller was unknown;
    then that labeller proves reliable on gold. The item closes at once (its posterior is
    recomputed with the new skill) instead of being leased to the next person."""
    from datafab.services.records import list_records
    from datafab.store.tables import items as items_table

    org = make_org()
    project = _project(foundry, org, min_labels=1, max_labels=3, target_confidence=0.85)
    _upload(foundry, org, project, 1, gold=10)
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    bob = authenticate_contributor(foundry, make_worker("bob").token)
    (lease,) = work.lease_items(foundry, ada, project.id)
    assert lease.external_id == "i0"
    assert not work.submit(foundry, ada, lease.id, {"answer": {"label": "yes"}}).item_done
    page, _ = list_records(foundry, org.id, project.id)
    assert page[0]["confidence"] < 0.85
    with foundry.db.read() as conn:
        gold = dict(conn.execute(
            items_table.select().with_only_columns(items_table.c.id, items_table.c.gold_answer)
            .where(items_table.c.project_id == project.id, items_table.c.status == "gold")
        ).all())
    assert work.record_answers(foundry, ada, project, gold) == 10  # all right
    page, _ = list_records(foundry, org.id, project.id)
    assert page[0]["confidence"] >= 0.85
    assert work.lease_batch(foundry, bob, project.id, 1).leases == []


def test_a_refit_keeps_the_labels_that_arrive_while_it_runs(foundry, make_org, make_worker):
    """Labels stored between a refit's read and its write stay in the contributor's figures on
    the quality summary (a refit does not take them back until the next one)."""
    org = make_org()
    project = _project(foundry, org, min_labels=2, max_labels=2, gold_rate=0.3)
    _upload(foundry, org, project, 12, gold=6)
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    _work(foundry, ada, project, lambda e: "yes", n=6)
    fit = quality.fit_project(foundry, project.id)
    _work(foundry, ada, project, lambda e: "yes")
    quality.apply_fit(foundry, fit)
    from sqlalchemy import func, select

    from datafab.store.tables import items as items_table
    from datafab.store.tables import submissions

    with foundry.db.read() as conn:
        n_all = conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.contributor_id == ada.id)).scalar()
        n_gold = conn.execute(select(func.count()).select_from(submissions).join(
            items_table, items_table.c.id == submissions.c.item_id).where(
            submissions.c.contributor_id == ada.id, items_table.c.status == "gold")).scalar()
    (me,) = quality.summary(foundry, org.id, project.id)["contributors"]
    assert (me["labels"], me["gold_seen"]) == (n_all, n_gold)


def test_quality_summary_reports_cohen_and_fleiss_kappa(api, make_org, make_worker):
    """Two raters on eight items: the summary's Cohen's kappa is scikit-learn's on the same
    answers, beside Fleiss' kappa and Krippendorff's alpha."""
    metrics = pytest.importorskip("sklearn.metrics")
    org = make_org()
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": "k", "primitive": "classify", "settings": {"labels": LABELS},
        "policy": {"min_labels": 2, "max_labels": 2, "method": "majority"}})
    pid = r.json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"x{i}", "data": {"text": "t"}} for i in range(8)]})
    answers = {"a": "yyyynnnn", "b": "yynynnny"}
    given = {}
    for name, row in answers.items():
        worker = make_worker(name)
        for lease in api.post(f"/v1/projects/{pid}/leases", json={"n": 8},
                              headers=worker.headers).json()["leases"]:
            i = int(lease["item"]["external_id"][1:])
            label = "yes" if row[i] == "y" else "no"
            given.setdefault(name, {})[i] = label
            assert api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {
                "label": label}}, headers=worker.headers).status_code == 200
    summary = api.get(f"/v1/projects/{pid}/quality", headers=org.headers).json()
    a = [given["a"][i] for i in range(8)]
    b = [given["b"][i] for i in range(8)]
    agreement = summary["agreement"]
    assert agreement["cohen_kappa"] == pytest.approx(metrics.cohen_kappa_score(a, b))
    # Fleiss by hand: P = 6/8 items agree, P_e = .5² + .5² (8 of 16 labels "yes")
    assert agreement["fleiss_kappa"] == pytest.approx((0.75 - 0.5) / (1 - 0.5))
    assert agreement["krippendorff_alpha"] is not None
    assert agreement["distance"] == "nominal"


def test_quality_summary_of_a_multi_label_project(api, make_org, make_worker):
    """Multi-label answers get Krippendorff's alpha with the MASI distance and each
    contributor's agreement with the consensus, where both were missing."""
    org = make_org()
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": "m", "primitive": "classify",
        "settings": {"labels": ["red", "green", "blue"], "multi_label": True},
        "policy": {"min_labels": 3, "max_labels": 3}})
    pid = r.json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"x{i}", "data": {"text": "t"}} for i in range(3)]})
    sets = {"a": ["red"], "b": ["red"], "c": ["red", "blue"]}
    for name, labels in sets.items():
        worker = make_worker(name)
        for lease in api.post(f"/v1/projects/{pid}/leases", json={"n": 3},
                              headers=worker.headers).json()["leases"]:
            one = ["green"] if lease["item"]["external_id"] == "x2" else labels
            assert api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {
                "labels": one}}, headers=worker.headers).status_code == 200
    summary = api.get(f"/v1/projects/{pid}/quality", headers=org.headers).json()
    assert summary["agreement"]["distance"] == "masi"
    alpha = summary["agreement"]["krippendorff_alpha"]
    assert alpha is not None and 0.0 < alpha < 1.0
    by_labels = sorted(c["agreement_with_consensus"] for c in summary["contributors"])
    assert len(by_labels) == 3 and all(c["labels"] == 3 for c in summary["contributors"])
    # against the consensus {red}, {red}, {green}: two agree fully, {red, blue} by 1/2 · 2/3
    assert by_labels == pytest.approx([(1 / 3 + 1 / 3 + 1) / 3, 1.0, 1.0])


@pytest.mark.parametrize("method", ["one_coin", "one_coin_dawid_skene"])
def test_one_estimator_registry_and_the_old_name_still_accepted(foundry, make_org,
                                                                make_worker, method):
    """A project's policy names its estimator by its key in ``quality.ESTIMATORS``; the
    quality package's old name for the one-coin model is accepted and stored as that key."""
    from datafab import quality as maths
    from datafab.services.records import list_records

    assert set(maths.SKILL_ESTIMATORS) <= set(maths.ESTIMATORS)
    assert maths.get_estimator(method) is maths.OneCoinDawidSkene
    org = make_org()
    project = _project(foundry, org, method=method, min_labels=2, max_labels=2)
    assert projects.get_project(foundry, org.id, project.id).policy.method == "one_coin"
    _upload(foundry, org, project, 3)
    for i in range(2):
        _work(foundry, authenticate_contributor(foundry, make_worker(f"w{i}").token),
              project, lambda e: "yes")
    assert quality.refit(foundry, project.id) == 6
    page, _ = list_records(foundry, org.id, project.id)
    assert {r["method"] for r in page} == {"one_coin"}
