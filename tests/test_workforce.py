"""Workforce operations on both databases: matching by skills, qualification gating, fair
spread, probation and removal (records recomputed), the pay ledger and payouts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datafab.errors import InvalidInput, NotFound
from datafab.services import items, pay, profiles, project_changes, projects, work, workforce
from datafab.services.accounts import authenticate_contributor
from datafab.services.quality.refits import Refits
from datafab.services.site_keys import Pseudonyms
from datafab.store.tables import audit_log, earnings, leases, payouts, records, submissions
from datafab.store.tables import items as items_table


def _project(foundry, org, *, n=10, gold=0, name="p", **policy):
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": policy or {"min_labels": 1, "max_labels": 1}})
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}, "gold_explanation": "it says yes"}
              for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)
    return project


def _who(foundry, worker):
    return authenticate_contributor(foundry, worker.token)


def _answer_all(foundry, who, batch, label="yes", gold_label=None):
    for lease in batch.leases if hasattr(batch, "leases") else batch:
        is_gold = lease.external_id.startswith("g")
        chosen = (gold_label or label) if is_gold else label
        work.submit(foundry, who, lease.id, {"answer": {"label": chosen}, "seconds_spent": 30})


def test_only_contributors_with_the_required_skills_get_items(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    workforce.set_policy(foundry, org.id, project.id, {"requirements": [
        {"kind": "language", "name": "FR", "level": "fluent"},
        {"kind": "domain", "name": "medicine", "level": "professional"}]})
    nobody, basic, expert = make_worker("nobody"), make_worker("basic"), make_worker("expert")
    profiles.update_skills(foundry, basic.id, {
        "languages": [{"name": "fr", "level": "basic"}],
        "domains": [{"name": "medicine", "level": "expert"}]})
    profiles.update_skills(foundry, expert.id, {
        "languages": [{"name": "fr", "level": "native"}],
        "domains": [{"name": "Medicine/Cardiology", "level": "professional"}]})
    for unfit in (nobody, basic):  # the project does not exist for them
        with pytest.raises(NotFound):
            work.lease_batch(foundry, _who(foundry, unfit), project.id, 10)
    got = work.lease_batch(foundry, _who(foundry, expert), project.id, 10)
    assert len(got.leases) == 10 and got.state == "open"
    with foundry.db.read() as conn:
        holders = set(conn.execute(select(leases.c.contributor_id)).scalars())
    assert holders == {expert.id}


def test_project_required_skill_names_gate_leasing_too(foundry, make_org, make_worker):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "fr", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "required_skills": ["code"]})
    items.upload_items(foundry, org.id, project.id, [{"external_id": "a", "data": {"text": "x"}}])
    outsider, coder = make_worker("o"), make_worker("c")
    profiles.update_skills(foundry, coder.id, {"domains": [{"name": "code/python",
                                                            "level": "expert"}]})
    with pytest.raises(NotFound):
        work.lease_batch(foundry, _who(foundry, outsider), project.id)
    assert len(work.lease_items(foundry, _who(foundry, coder), project.id)) == 1


def test_the_taxonomy_refuses_what_is_not_a_language_or_a_domain(foundry, make_worker):
    worker = make_worker()
    with pytest.raises(InvalidInput) as err:
        profiles.update_skills(foundry, worker.id, {"languages": [{"name": "french",
                                                                   "level": "fluent"}]})
    assert err.value.field == "languages.0.name"
    with pytest.raises(InvalidInput):
        profiles.update_skills(foundry, worker.id, {"domains": [{"name": "medicine//x",
                                                                 "level": "expert"}]})
    shown = profiles.update_skills(foundry, worker.id, {
        "languages": [{"name": "yue", "level": "native"}],
        "domains": [{"name": " Code / Python ", "level": "expert"}]})
    assert shown.skills == ["yue", "code/python"]


def test_qualification_gates_leasing_and_verifies_skills(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, n=5, gold=6)
    workforce.set_policy(foundry, org.id, project.id, {
        "requirements": [{"kind": "language", "name": "de"}], "verified": True,
        "qualification": {"items": 3, "pass_mark": 0.67}})
    good, bad = make_worker("good"), make_worker("bad")
    for w in (good, bad):
        profiles.update_skills(foundry, w.id, {"languages": [{"name": "de",
                                                              "level": "fluent"}]})
    first = work.lease_batch(foundry, _who(foundry, good), project.id, 10)
    assert first.state == "qualifying"
    assert len(first.leases) == 3
    assert all(lease.external_id.startswith("g") for lease in first.leases)  # gold only
    assert work.lease_batch(foundry, _who(foundry, good), project.id, 10).leases == []
    _answer_all(foundry, _who(foundry, good), first)
    shown = profiles.get_profile(foundry, good.id)
    assert shown.languages == [{"name": "de", "level": "fluent", "verified": True}]
    after = work.lease_batch(foundry, _who(foundry, good), project.id, 10)
    assert after.state == "open" and len(after.leases) >= 5
    assert {lease.external_id for lease in after.leases} >= {f"i{i}" for i in range(5)}

    trial = work.lease_batch(foundry, _who(foundry, bad), project.id, 10)
    assert trial.state == "qualifying"
    _answer_all(foundry, _who(foundry, bad), trial, gold_label="no")
    with pytest.raises(NotFound):  # failed: the project is gone for them
        work.lease_batch(foundry, _who(foundry, bad), project.id, 10)
    with foundry.db.read() as conn:
        taken = conn.execute(select(leases.c.item_id).where(
            leases.c.contributor_id == bad.id)).scalars().all()
        statuses = set(conn.execute(select(items_table.c.status).where(
            items_table.c.id.in_(taken))).scalars())
    assert statuses == {"gold"}  # nothing real ever reached the unqualified contributor


def test_new_guidelines_ask_for_requalification(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, n=3, gold=4)
    workforce.set_policy(foundry, org.id, project.id, {"qualification": {"items": 2,
                                                                         "pass_mark": 1.0}})
    who = _who(foundry, make_worker())
    _answer_all(foundry, who, work.lease_batch(foundry, who, project.id, 5))
    assert work.lease_batch(foundry, who, project.id, 1).state == "open"
    project_changes.update_project(foundry, org.id, project.id, {"guidelines": "new rules"})
    again = work.lease_batch(foundry, who, project.id, 5)
    assert again.state == "qualifying" and len(again.leases) == 2
    assert all(lease.guideline_version == 2 for lease in again.leases)


def test_fair_spread_caps_a_contributors_share(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, n=10, min_labels=2, max_labels=2)
    workforce.set_policy(foundry, org.id, project.id, {"max_share": 0.3})
    who = _who(foundry, make_worker())
    assert len(work.lease_items(foundry, who, project.id, 2)) == 2
    assert len(work.lease_items(foundry, who, project.id, 10)) == 1
    stopped = work.lease_batch(foundry, who, project.id, 10)
    assert stopped.leases == [] and stopped.state == "share_reached"
    other = _who(foundry, make_worker("other"))
    assert len(work.lease_items(foundry, other, project.id, 10)) == 3


def test_probation_then_removal_recomputes_records_and_reverses_pay(
        foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, n=6, gold=12, min_labels=2, max_labels=3,
                       target_confidence=0.999)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 3, "pass_mark": 0.0},
        "performance": {"min_accuracy": 0.8, "min_gold": 3, "probation_gold_rate": 1.0,
                        "probation_batch": 1},
        "pay": {"per_task_minor": 25, "per_minute_minor": 10}})
    good, bad = _who(foundry, make_worker("good")), _who(foundry, make_worker("bad"))
    _answer_all(foundry, good, work.lease_batch(foundry, good, project.id, 3))
    _answer_all(foundry, bad, work.lease_batch(foundry, bad, project.id, 3), gold_label="no")
    _answer_all(foundry, good, work.lease_batch(foundry, good, project.id, 6), label="yes")
    _answer_all(foundry, bad, work.lease_batch(foundry, bad, project.id, 3), label="no")

    actions = workforce.review(foundry, org.id, project.id)
    assert {"contributor_id": bad.id, "action": "probation", "accuracy": 0.0} in actions
    with foundry.db.read() as conn:  # since when, and who decided: in the audit log
        (put,) = conn.execute(select(audit_log).where(
            audit_log.c.action == "contributor.probation")).all()
    assert (put.organization_id, put.actor, put.target) == (
        org.id, "quality review", f"contributor:{bad.id}")
    assert put.details["project_id"] == project.id and "below 0.8" in put.details["reason"]
    on_probation = work.lease_batch(foundry, bad, project.id, 5)
    assert on_probation.state == "probation"
    real = [lease for lease in on_probation.leases if lease.external_id.startswith("i")]
    assert len(real) <= 1
    for _ in range(3):  # more gold, all wrong; the last real lease stays open
        batch = work.lease_batch(foundry, bad, project.id, 2)
        golds = [lease for lease in batch.leases if lease.external_id.startswith("g")]
        _answer_all(foundry, bad, golds, gold_label="no")
    with foundry.db.read() as conn:
        live_before = conn.execute(select(func.count()).select_from(leases).where(
            leases.c.contributor_id == bad.id, leases.c.status == "active")).scalar_one()
        live_real = conn.execute(select(func.count()).select_from(leases).where(
            leases.c.contributor_id == bad.id, leases.c.status == "active",
            leases.c.item_id.in_(select(items_table.c.id).where(
                items_table.c.status == "open")))).scalar_one()
        open_votes = conn.execute(
            select(submissions.c.id, submissions.c.item_id)
            .join(items_table, items_table.c.id == submissions.c.item_id)
            .where(submissions.c.contributor_id == bad.id, items_table.c.status != "gold"))\
            .all()  # open or finished: removal reaches both
    assert live_real >= 1 and open_votes

    actions = workforce.review(foundry, org.id, project.id)
    removal = [a for a in actions if a["action"] == "removed"]
    assert removal and removal[0]["contributor_id"] == bad.id
    assert removal[0]["released"] == live_before
    assert removal[0]["uncounted"] == len(open_votes)
    with pytest.raises(NotFound):  # removed: the project is gone for them
        work.lease_batch(foundry, bad, project.id, 5)
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(leases).where(
            leases.c.contributor_id == bad.id, leases.c.status == "active")).scalar_one() == 0
        for sub_id, item_id in open_votes:
            assert conn.execute(select(submissions.c.counted).where(
                submissions.c.id == sub_id)).scalar_one() is False
            counted = conn.execute(select(func.count()).select_from(submissions).where(
                submissions.c.item_id == item_id, submissions.c.counted)).scalar_one()
            record = conn.execute(select(records).where(records.c.item_id == item_id)).first()
            assert record.n_submissions == counted == 1  # only the good vote is left
            assert record.answer["label"] == "yes"
            item = conn.execute(select(items_table).where(items_table.c.id == item_id)).one()
            assert item.n_labels == 1 and item.slots >= 1  # wants a label again
        reversals = conn.execute(select(earnings).where(
            earnings.c.contributor_id == bad.id, earnings.c.kind == "reversal")).all()
    assert len(reversals) == len(open_votes)
    assert all(r.amount_minor == -(25 + 5) for r in reversals)  # 30 s at 10 per minute
    # the gold answers and the qualification still stand for the record
    standing = {s.contributor_id: s for s in workforce.standings(foundry, org.id, project.id)}
    assert standing[bad.id].standing == "removed" and standing[good.id].accuracy == 1.0
    # the removal is in the organization's audit log, with who decided and why
    with foundry.db.read() as conn:
        (entry,) = conn.execute(select(audit_log).where(
            audit_log.c.action == "contributor.removed")).all()
    assert entry.organization_id == org.id and entry.actor == "quality review"
    assert entry.target == f"contributor:{bad.id}"
    assert entry.details["uncounted"] == len(open_votes)


def test_the_ledger_sums_to_the_payouts(foundry, make_org, make_worker, clock):
    org = make_org()
    project = _project(foundry, org, n=8, gold=4, min_labels=2, max_labels=2)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 2, "pass_mark": 0.5}, "currency": "eur",
        "pay": {"per_task_minor": 40, "bonus_min_accuracy": 0.9, "bonus_percent": 10}})
    start = clock.now
    a, b = _who(foundry, make_worker("a")), _who(foundry, make_worker("b"))
    for who, golds in ((a, ["yes", "yes"]), (b, ["yes", "no"])):
        trial = work.lease_batch(foundry, who, project.id, 2).leases
        for lease, label in zip(trial, golds, strict=True):
            work.submit(foundry, who, lease.id, {"answer": {"label": label}})
        _answer_all(foundry, who, work.lease_batch(foundry, who, project.id, 5))
    clock.advance(60)
    made = pay.run_payouts(foundry, start, clock.now)
    by_who = {p["contributor_id"]: p for p in made}
    assert by_who[a.id]["currency"] == "EUR"
    # a: 7 tasks (2 gold + 5) at 40, bonus 10% for gold accuracy 1.0; b: none at 0.5
    assert by_who[a.id]["amount_minor"] == 7 * 40 + 7 * 40 // 10
    assert by_who[b.id]["amount_minor"] == 7 * 40
    with foundry.db.read() as conn:
        ledger_total = conn.execute(select(func.sum(earnings.c.amount_minor))).scalar_one()
        payout_total = conn.execute(select(func.sum(payouts.c.amount_minor))).scalar_one()
        unpaid = conn.execute(select(func.count()).select_from(earnings).where(
            earnings.c.payout_id.is_(None))).scalar_one()
    assert ledger_total == payout_total and unpaid == 0
    assert pay.run_payouts(foundry, start, clock.now) == []  # a period settles once
    assert pay.balance(foundry, a.id) == {"EUR": {"earned_minor": 308, "unpaid_minor": 0}}
    with pytest.raises(InvalidInput):
        pay.run_payouts(foundry, clock.now, start)


def test_proven_contributors_get_hard_items_first(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, n=4, gold=3, min_labels=2, max_labels=3,
                       target_confidence=0.9, method="majority")
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 3, "pass_mark": 0.0},
        "hard_items": {"below_confidence": 0.7, "min_accuracy": 0.9, "min_gold": 3}})
    a, b, c, d = (_who(foundry, make_worker(name)) for name in "abcd")
    for who, gold in ((a, "yes"), (b, "yes"), (c, "yes"), (d, "no")):
        _answer_all(foundry, who, work.lease_batch(foundry, who, project.id, 3),
                    gold_label=gold)
    _answer_all(foundry, a, work.lease_items(foundry, a, project.id, 4), label="yes")
    for lease in work.lease_items(foundry, b, project.id, 4):
        label = "no" if lease.external_id in ("i2", "i3") else "yes"
        work.submit(foundry, b, lease.id, {"answer": {"label": label}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"j{i}", "data": {"text": f"new {i}"}, "priority": 5} for i in range(4)])
    proven = work.lease_items(foundry, c, project.id, 3)
    assert [lease.external_id for lease in proven] == ["i2", "i3", "j0"]
    unproven = work.lease_items(foundry, d, project.id, 2)
    assert [lease.external_id for lease in unproven] == ["j0", "j1"]


def test_a_contributor_sets_their_own_skill_levels_through_the_api(api, foundry, make_org,
                                                                   make_worker):
    """``PUT /v1/me/skills`` with a contributor token: a project whose requirement they did
    not meet (not found for them) lets them in once they declare the level; bad input is a
    422 naming the field and changes nothing."""
    org, worker = make_org(), make_worker("Ines", skills=["fr"])
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    items.upload_items(foundry, org.id, project.id, [{"external_id": "x",
                                                       "data": {"text": "t"}}])
    workforce.set_policy(foundry, org.id, project.id, {"requirements": [
        {"kind": "language", "name": "fr", "level": "fluent"}]})
    url = f"/v1/projects/{project.id}/leases"
    first = api.post(url, json={"n": 1}, headers=worker.headers)
    assert first.status_code == 404  # not for them until they declare the level

    bad = api.put("/v1/me/skills", headers=worker.headers,
                  json={"languages": [{"name": "fr", "level": "fluid"}]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "languages.0.level"
    assert api.get("/v1/me/skills", headers=worker.headers).json()["skills"] == ["fr"]
    assert api.put("/v1/me/skills", json={"languages": []}).status_code == 401

    r = api.put("/v1/me/skills", headers=worker.headers, json={
        "languages": [{"name": "fr", "level": "fluent"}],
        "domains": [{"name": "medicine/cardiology", "level": "expert"}]})
    assert r.status_code == 200, r.text
    assert r.json()["languages"] == [{"name": "fr", "level": "fluent"}]
    second = api.post(url, json={"n": 1}, headers=worker.headers).json()
    assert second["state"] == "open" and len(second["leases"]) == 1


def test_removal_for_quality_reaches_finished_work(foundry, clock, make_org, make_worker):
    """A contributor who was the only labeller behind finished records is removed for
    quality: those records no longer rest on their answers, the items want labels again, and
    their unpaid pay for them is reversed while pay already settled is not clawed back."""
    from datafab.services.records import list_records

    org = make_org()
    project = _project(foundry, org, n=5)  # one label closes an item
    workforce.set_policy(foundry, org.id, project.id, {"pay": {"per_task_minor": 25}})
    bad, good = _who(foundry, make_worker("bad")), _who(foundry, make_worker("good"))
    _answer_all(foundry, bad, work.lease_batch(foundry, bad, project.id, 2), label="no")
    clock.advance(60)
    (statement,) = pay.run_payouts(foundry, 0, clock.now)  # the first two are paid out
    clock.advance(60)
    _answer_all(foundry, bad, work.lease_batch(foundry, bad, project.id, 3), label="no")
    page, _ = list_records(foundry, org.id, project.id, limit=100, done_only=True)
    assert len(page) == 5

    done = workforce.set_standing(foundry, org.id, project.id, bad.id, "removed",
                                  reason="3 of 10 right on gold")
    assert done["uncounted"] == 5 and done["items"] == 5
    assert list_records(foundry, org.id, project.id, limit=100)[0] == []
    with foundry.db.read() as conn:
        states = conn.execute(select(items_table.c.status, items_table.c.slots).where(
            items_table.c.project_id == project.id)).all()
        ledger = conn.execute(select(earnings.c.kind, earnings.c.amount_minor,
                                     earnings.c.payout_id).where(
            earnings.c.contributor_id == bad.id)).all()
    assert sorted(states) == [("open", 1)] * 5
    reversals = [e for e in ledger if e.kind == "reversal"]
    assert len(reversals) == 3 and sum(e.amount_minor for e in reversals) == -75
    assert pay.balance(foundry, bad.id)["USD"] == {"earned_minor": 50, "unpaid_minor": 0}
    assert statement["amount_minor"] == 50
    leased = work.lease_batch(foundry, good, project.id, 5).leases
    assert len(leased) == 5


class _CountedRefits(Refits):
    """The process's refit scheduler, inline, keeping the projects it refitted."""

    def __init__(self) -> None:
        super().__init__(background=False)
        self.refitted: list[int] = []

    def _run(self, foundry, project_id: int) -> None:
        self.refitted.append(project_id)
        super()._run(foundry, project_id)


def test_one_review_removes_several_in_one_transaction_and_queues_one_refit(
        foundry, make_org, make_worker):
    refits = foundry.worker("refits", _CountedRefits)
    org = make_org()
    project = _project(foundry, org, n=6, gold=12, min_labels=2, max_labels=3)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 3, "pass_mark": 0.0},
        "performance": {"min_accuracy": 0.8, "min_gold": 3, "probation_gold_rate": 1.0,
                        "probation_batch": 1}})
    good = _who(foundry, make_worker("good"))
    bad = [_who(foundry, make_worker(f"bad {i}")) for i in range(3)]
    _answer_all(foundry, good, work.lease_batch(foundry, good, project.id, 3))
    for who in bad:
        _answer_all(foundry, who, work.lease_batch(foundry, who, project.id, 3),
                    gold_label="no")
    first = workforce.review(foundry, org.id, project.id)
    assert sorted(a["contributor_id"] for a in first if a["action"] == "probation") \
        == [who.id for who in bad]
    assert refits.refitted == []  # probation alone changes no answer
    for who in bad:
        for _ in range(3):  # more gold on probation, all wrong
            batch = work.lease_batch(foundry, who, project.id, 2)
            _answer_all(foundry, who, [lease for lease in batch.leases
                                       if lease.external_id.startswith("g")],
                        gold_label="no")

    second = workforce.review(foundry, org.id, project.id)
    removed = [a for a in second if a["action"] == "removed"]
    assert sorted(a["contributor_id"] for a in removed) == [who.id for who in bad]
    assert refits.refitted == [project.id]  # one refit for the three removals
    with foundry.db.read() as conn:
        entries = conn.execute(select(audit_log.c.target, audit_log.c.created_at).where(
            audit_log.c.action == "contributor.removed")).all()
    assert sorted(e.target for e in entries) == sorted(f"contributor:{w.id}" for w in bad)
    assert len({e.created_at for e in entries}) == 1  # written together
    shown = {s.contributor_id: s.standing for s in workforce.standings(foundry, org.id,
                                                                       project.id)}
    assert [shown[who.id] for who in bad] == ["removed"] * 3 and shown[good.id] == "active"


def test_requesters_see_contributors_under_their_pseudonyms(api, foundry, make_org,
                                                             make_worker):
    org = make_org()
    project = _project(foundry, org, n=2)
    ada = _who(foundry, make_worker("Ada Lovelace"))
    _answer_all(foundry, ada, work.lease_batch(foundry, ada, project.id, 2))
    pseudonym = Pseudonyms(foundry)(project.id, ada.id)

    (theirs,) = workforce.standings(foundry, org.id, project.id)
    assert (theirs.contributor, theirs.name) == (pseudonym, None)
    response = api.get(f"/v1/projects/{project.id}/contributors", headers=org.headers)
    assert response.status_code == 200
    (row,) = response.json()["contributors"]
    assert row["contributor"] == pseudonym and "name" not in row
    assert "Ada" not in response.text
    (for_operators,) = workforce.standings(foundry, org.id, project.id, names=True)
    assert (for_operators.contributor, for_operators.name) == (pseudonym, "Ada Lovelace")


def test_a_requested_refit_runs_however_few_labels_came_in(foundry, make_org):
    org = make_org()
    project = projects.create_project(foundry, org.id, {
        "name": "asked", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    refits = _CountedRefits()
    refits.note(foundry, project.id, 3)
    assert refits.refitted == []  # three labels are too few to refit for
    refits.request(foundry, project.id)
    refits.note(foundry, project.id, 3)
    assert refits.refitted == [project.id]  # requested once, run once
