"""A project's budget is a ceiling the leases out cannot break, on both databases: each lease
of real work reserves the price of its task, the gate grants only what is left after spend and
reservations, and every way a lease ends (answer, release, expiry, removal) frees its share."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from datafab.services import billing, contributor_standing, items, projects, work, workforce
from datafab.services.accounts import authenticate_contributor, create_contributor
from datafab.store.tables import leases, submissions, webhook_events

PRICE = 30


def _project(foundry, org, *, n=20, gold=0, budget=100, price=PRICE, **policy):
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1, "gold_rate": 0.0, **policy}})
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}} for i in range(n)]
    batch += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": "yes"}} for i in range(gold)]
    items.upload_items(foundry, org.id, project.id, batch)
    billing.set_price_sheet(foundry, org.id, {"task_minor": price})
    return project


def _who(foundry, make_worker, name, **extra):
    return authenticate_contributor(foundry, make_worker(name, **extra).token)


def _budget(foundry, org, project):
    return billing.budget(foundry, org.id, project.id)


def _answer(foundry, who, batch):
    for lease in batch:
        work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})


def test_a_batch_is_cut_to_what_the_budget_left_pays_for(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)  # 100 pays for three tasks at 30
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": 100})
    ann, bob = _who(foundry, make_worker, "ann"), _who(foundry, make_worker, "bob")

    first = work.lease_batch(foundry, ann, project.id, 2)
    assert len(first.leases) == 2 and first.state == "open"
    assert _budget(foundry, org, project)["reserved_minor"] == 60
    second = work.lease_batch(foundry, bob, project.id, 5)
    assert len(second.leases) == 1 and second.state == "open"  # 40 left: one more
    view = _budget(foundry, org, project)
    assert (view["spent_minor"], view["reserved_minor"], view["state"]) == (
        0, 90, "budget_reserved")
    held = work.lease_batch(foundry, bob, project.id, 1)
    assert held.leases == [] and held.state == "budget_reserved"
    assert workforce.get_policy(foundry, org.id, project.id)["reserved_minor"] == 90

    # an answer turns its reservation into spend: nothing is freed for anyone else
    _answer(foundry, ann, first.leases[:1])
    view = _budget(foundry, org, project)
    assert (view["spent_minor"], view["reserved_minor"]) == (30, 60)
    assert work.lease_batch(foundry, bob, project.id, 1).state == "budget_reserved"
    # renewing keeps the share; releasing hands it back
    work.renew_lease(foundry, ann, first.leases[1].id)
    assert _budget(foundry, org, project)["reserved_minor"] == 60
    work.release_lease(foundry, ann, first.leases[1].id)
    assert _budget(foundry, org, project)["reserved_minor"] == 30
    (again,) = work.lease_batch(foundry, bob, project.id, 5).leases
    _answer(foundry, bob, second.leases + [again])
    view = _budget(foundry, org, project)
    assert view == {"project_id": project.id, "currency": "USD", "budget_minor": 100,
                    "spent_minor": 90, "reserved_minor": 0, "state": "budget_reached"}
    stopped = work.lease_batch(foundry, ann, project.id, 1)
    assert stopped.leases == [] and stopped.state == "budget_reached"
    with foundry.db.read() as conn:
        events = conn.execute(select(webhook_events.c.payload).where(
            webhook_events.c.type == "budget.reached")).scalars().all()
    assert events == [{"project_id": project.id, "budget_minor": 100, "spent_minor": 90}]


def test_expired_leases_free_what_they_held(foundry, clock, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": 90})
    ann, bob = _who(foundry, make_worker, "ann"), _who(foundry, make_worker, "bob")
    gone = work.lease_batch(foundry, ann, project.id, 3).leases
    assert len(gone) == 3
    assert work.lease_batch(foundry, bob, project.id, 1).state == "budget_reserved"

    clock.advance(3 * 3600)  # past every deadline: the next lease sweeps them first
    got = work.lease_batch(foundry, bob, project.id, 5)
    assert len(got.leases) == 3 and got.state == "open"
    clock.advance(3 * 3600)
    assert work.expire_leases(foundry) == 3  # the reaper on its own frees them as well
    assert _budget(foundry, org, project)["reserved_minor"] == 0
    assert _budget(foundry, org, project)["state"] == "open"


def test_removal_frees_what_the_removed_held(foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org)
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": 1000})
    ann, bob = _who(foundry, make_worker, "ann"), _who(foundry, make_worker, "bob")
    work.lease_batch(foundry, ann, project.id, 2)
    work.lease_batch(foundry, bob, project.id, 3)
    assert _budget(foundry, org, project)["reserved_minor"] == 150
    workforce.remove(foundry, org.id, project.id, ann.id, reason="test")  # from the project
    assert _budget(foundry, org, project)["reserved_minor"] == 90
    contributor_standing.set_status(foundry, bob.id, "removed")  # from the pool
    assert _budget(foundry, org, project)["reserved_minor"] == 0


def test_gold_reserves_nothing_and_qualifying_goes_on_while_the_rest_is_held(
        foundry, make_org, make_worker):
    org = make_org()
    project = _project(foundry, org, gold=2)
    workforce.set_policy(foundry, org.id, project.id, {
        "budget_minor": 60, "qualification": {"items": 2, "pass_mark": 0.5}})
    ann, bob = _who(foundry, make_worker, "ann"), _who(foundry, make_worker, "bob")
    qualifying = work.lease_batch(foundry, ann, project.id, 5)
    assert qualifying.state == "qualifying" and len(qualifying.leases) == 2
    assert _budget(foundry, org, project)["reserved_minor"] == 0
    _answer(foundry, ann, qualifying.leases)
    assert len(work.lease_batch(foundry, ann, project.id, 5).leases) == 2  # all of 60
    held = work.lease_batch(foundry, bob, project.id, 5)  # bob can still qualify
    assert held.state == "qualifying" and len(held.leases) == 2
    _answer(foundry, bob, held.leases)
    assert work.lease_batch(foundry, bob, project.id, 5).state == "budget_reserved"
    assert _budget(foundry, org, project)["spent_minor"] == 0  # gold is not billed


def test_a_models_lease_in_the_model_stage_reserves_too(foundry, make_org):
    org = make_org()
    project = _project(foundry, org, models={"first": True})
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": 70})
    model, _ = create_contributor(foundry, {"name": "m", "kind": "model"})
    got = work.lease_batch(foundry, model, project.id, 5)
    assert len(got.leases) == 2 and _budget(foundry, org, project)["reserved_minor"] == 60
    assert work.lease_batch(foundry, model, project.id, 5).state == "budget_reserved"


def test_many_contributors_racing_never_spend_past_the_budget(
        foundry, clock, make_org, make_worker):
    """Twelve contributors lease, answer, hand back and abandon leases on a budget of 100 at
    7 a task (14 tasks, 2 left over). Every view along the way has spend and reservations
    within the budget; once the abandoned leases expire nothing is reserved, and the budget
    is then spent to the last task that fits — never past it."""
    price, ceiling = 7, 100
    org = make_org()
    project = _project(foundry, org, n=80, price=price)
    workforce.set_policy(foundry, org.id, project.id, {"budget_minor": ceiling})
    workers = [_who(foundry, make_worker, f"w{i}") for i in range(12)]
    errors: list[BaseException] = []
    seen: list[dict] = []
    start = threading.Barrier(len(workers))

    def run(i, who):
        try:
            start.wait()
            for _ in range(25):
                batch = work.lease_batch(foundry, who, project.id, 3)
                seen.append(billing.budget(foundry, org.id, project.id))
                if batch.state == "budget_reached":
                    return
                for k, lease in enumerate(batch.leases):
                    if i % 4 == 0 and k == 0:
                        continue  # abandoned: it holds its share until it expires
                    if (i + k) % 3 == 0:
                        work.release_lease(foundry, who, lease.id)
                    else:
                        work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert seen and all(v["spent_minor"] + v["reserved_minor"] <= ceiling for v in seen)

    clock.advance(10**6)
    work.expire_leases(foundry)
    settled = billing.budget(foundry, org.id, project.id)
    assert settled["reserved_minor"] == 0 and settled["spent_minor"] <= ceiling
    closer = _who(foundry, make_worker, "closer")
    while (batch := work.lease_batch(foundry, closer, project.id, 5)).leases:
        _answer(foundry, closer, batch.leases)
    assert batch.state == "budget_reached"

    final = billing.budget(foundry, org.id, project.id)
    assert final["spent_minor"] == 98 and final["reserved_minor"] == 0
    with foundry.db.read() as conn:
        answered = conn.execute(select(func.count()).select_from(submissions)).scalar_one()
        live = conn.execute(select(func.count()).select_from(leases)
                            .where(leases.c.status == "active")).scalar_one()
        events = conn.execute(select(func.count()).select_from(webhook_events).where(
            webhook_events.c.type == "budget.reached")).scalar_one()
    assert answered * price == 98 and live == 0 and events == 1
