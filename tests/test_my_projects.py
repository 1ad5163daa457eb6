"""A contributor's own standing per project (services/my_projects.py), on both databases:
qualification in progress, passed, failed and asked again; probation and removal with their
reason and date; the rolling gold accuracy and interval the review acts on; the lease gate's
reason; and only the projects — and figures — that are the contributor's own."""

from __future__ import annotations

import pytest

from datafab.quality import two_sided_z, wilson_interval
from datafab.services import billing, items, my_projects, project_changes, projects, work, workforce
from datafab.services.accounts import authenticate_contributor


def _project(foundry, org, *, n=6, gold=6, name="p", **extra):
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 2, "max_labels": 3, "target_confidence": 0.999}, **extra})
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}} for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)
    return project


def _answer(foundry, who, leases, gold_label="yes", label="yes"):
    for lease in leases:
        chosen = gold_label if lease.external_id.startswith("g") else label
        work.submit(foundry, who, lease.id, {"answer": {"label": chosen}})


def _mine(foundry, who, project_id):
    (found,) = [s for s in my_projects.my_projects(foundry, who) if s.project_id == project_id]
    return found


def test_qualification_in_progress_passed_failed_and_asked_again(
        foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 3, "pass_mark": 0.67}})
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    bob = authenticate_contributor(foundry, make_worker("bob").token)

    fresh = _mine(foundry, ada, project.id)
    assert fresh.qualification == my_projects.Qualification("not_started", 3, 0, 0, 0.67)
    assert fresh.lease_state == "qualifying" and not fresh.refused and fresh.workable

    trial = work.lease_items(foundry, ada, project.id, 3)
    _answer(foundry, ada, trial[:2])
    going = _mine(foundry, ada, project.id).qualification
    assert (going.state, going.answered, going.correct, going.items) == ("qualifying", 2, 2, 3)
    assert going.accuracy == 1.0
    _answer(foundry, ada, trial[2:])
    done = _mine(foundry, ada, project.id)
    assert done.qualification.state == "qualified" and done.lease_state == "open"

    _answer(foundry, bob, work.lease_items(foundry, bob, project.id, 3), gold_label="no")
    # failed: barred until the guidelines change, and the project is not shown meanwhile
    assert project.id not in {s.project_id for s in my_projects.my_projects(foundry, bob)}
    assert _mine(foundry, ada, project.id).accuracy.answered == 3  # ada's, not bob's

    project_changes.update_project(foundry, org.id, project.id, {"guidelines": "new rules"})
    for who in (ada, bob):
        again = _mine(foundry, who, project.id)
        assert again.qualification.state == "requalify" and again.guideline_version == 2
        assert again.qualification.answered == 0
        assert again.lease_state == "qualifying" and not again.refused


def test_probation_and_removal_with_reason_and_date(foundry, make_org, make_worker, clock):
    org = make_org()
    project = _project(foundry, org, gold=12)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 3, "pass_mark": 0.0},
        "performance": {"min_accuracy": 0.8, "min_gold": 3, "probation_gold_rate": 1.0,
                        "probation_batch": 1}})
    bad = authenticate_contributor(foundry, make_worker("bad").token)
    _answer(foundry, bad, work.lease_items(foundry, bad, project.id, 3), gold_label="no")
    assert _mine(foundry, bad, project.id).standing == my_projects.Standing("active")

    clock.advance(3600)
    put_on_probation = clock.now
    workforce.review(foundry, org.id, project.id)
    clock.advance(3600)
    seen = _mine(foundry, bad, project.id)
    assert seen.standing.state == "probation" and seen.standing.since == put_on_probation
    assert "below 0.8" in seen.standing.reason
    assert (seen.standing.probation_answered, seen.standing.min_gold) == (0, 3)
    assert seen.lease_state == "probation" and not seen.refused

    for _ in range(4):  # gold on probation, wrong again
        batch = work.lease_items(foundry, bad, project.id, 2)
        _answer(foundry, bad, [lease for lease in batch if lease.external_id.startswith("g")],
                gold_label="no")
    on = _mine(foundry, bad, project.id).standing
    assert on.probation_answered >= 3 and on.probation_correct == 0

    clock.advance(3600)
    workforce.review(foundry, org.id, project.id)
    clock.advance(86_400)
    # removed: the project no longer exists for them (need to know)
    assert project.id not in {s.project_id for s in my_projects.my_projects(foundry, bad)}
    (theirs,) = workforce.standings(foundry, org.id, project.id)  # the requester still sees
    assert theirs.standing == "removed"


def test_accuracy_is_the_one_the_review_judges(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold=8)
    workforce.set_policy(foundry, org.id, project.id, {
        "qualification": {"items": 5, "pass_mark": 0.0},
        "performance": {"min_accuracy": 0.7, "window": 4, "confidence": 0.9}})
    who = authenticate_contributor(foundry, make_worker().token)
    trial = work.lease_items(foundry, who, project.id, 5)
    for i, lease in enumerate(trial):  # right, wrong, right, right, wrong
        label = "no" if i in (1, 4) else "yes"
        work.submit(foundry, who, lease.id, {"answer": {"label": label}})
    acc = _mine(foundry, who, project.id).accuracy
    assert (acc.answered, acc.correct, acc.window, acc.bar) == (4, 2, 4, 0.7)
    assert acc.interval == pytest.approx(wilson_interval(2, 4, two_sided_z(0.9)))
    (theirs,) = workforce.standings(foundry, org.id, project.id)
    assert (theirs.gold_seen, theirs.gold_correct) == (acc.answered, acc.correct)
    assert theirs.interval == pytest.approx(acc.interval)


def test_only_projects_the_contributor_may_know_of(foundry, make_org, make_worker):
    acme, globex = make_org("Acme"), make_org("Globex")
    open_one = _project(foundry, acme, name="acme open", gold=0)
    worked = _project(foundry, acme, name="acme worked", gold=0)
    hidden = _project(foundry, globex, name="globex french", gold=0, required_skills=["fr"])
    paused = _project(foundry, globex, name="globex paused", gold=0)
    project_changes.update_project(foundry, globex.id, paused.id, {"status": "paused"})
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    _answer(foundry, ada, work.lease_items(foundry, ada, worked.id, 2))
    project_changes.update_project(foundry, acme.id, worked.id, {"status": "paused"})

    shown = {s.name: s for s in my_projects.my_projects(foundry, ada)}
    assert set(shown) == {"acme open"}  # neither of globex's, nor a paused one they were in
    assert shown["acme open"].qualification.state == "not_required"
    assert not shown["acme open"].managed and shown["acme open"].workable
    project_changes.update_project(foundry, acme.id, worked.id, {"status": "active"})
    assert [s.name for s in my_projects.my_projects(foundry, ada)] == [
        "acme worked", "acme open"]  # the ones they are in first
    assert open_one.id in {s.project_id for s in shown.values()}
    assert hidden.id not in {s.project_id for s in shown.values()}


def test_a_spent_budget_is_said_without_the_customers_figure(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold=0)
    billing.set_price_sheet(foundry, org.id, {"task_minor": 100})
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": 200})
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    _answer(foundry, ada, work.lease_items(foundry, ada, project.id, 2))
    assert work.lease_batch(foundry, ada, project.id).state == "budget_reached"
    seen = _mine(foundry, ada, project.id)
    assert seen.refused and seen.lease_state == "budget_reached"
    assert "200" not in seen.lease_reason and "budget is spent" in seen.lease_reason
