"""Leasing on both databases: order, overlap, expiry, renew, release, and races."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from datafab.errors import Conflict, InvalidInput, LeaseExpired, NotFound
from datafab.services import items, projects, work
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import items as items_table
from datafab.store.tables import leases, submissions


def _project(foundry, org, n_items=10, **policy):
    project = projects.create_project(
        foundry, org.id,
        {"name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]},
         "policy": policy or {"min_labels": 1, "max_labels": 1}},
    )
    batch = [{"external_id": f"i{i}", "data": {"text": f"text {i}"}, "priority": i % 3}
             for i in range(n_items)]
    items.upload_items(foundry, org.id, project.id, batch)
    return project


def _who(foundry, worker):
    return authenticate_contributor(foundry, worker.token)


def test_lease_returns_highest_priority_first(foundry, make_org, make_worker):
    project = _project(foundry, make_org())
    got = work.lease_items(foundry, _who(foundry, make_worker()), project.id, 10)
    priorities = [int(g.external_id[1:]) % 3 for g in got]
    assert priorities == sorted(priorities, reverse=True)
    assert len({g.item_id for g in got}) == 10


def test_an_item_is_leased_as_many_times_as_it_wants_labels(foundry, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=1, min_labels=2, max_labels=2)
    first = work.lease_items(foundry, _who(foundry, make_worker("a")), project.id, 5)
    second = work.lease_items(foundry, _who(foundry, make_worker("b")), project.id, 5)
    third = work.lease_items(foundry, _who(foundry, make_worker("c")), project.id, 5)
    assert len(first) == len(second) == 1 and third == []


def test_a_contributor_never_gets_an_item_twice(foundry, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=3, min_labels=3, max_labels=3)
    who = _who(foundry, make_worker())
    got = work.lease_items(foundry, who, project.id, 10)
    assert len(got) == 3
    for lease in got:
        work.submit(foundry, who, lease.id, {"answer": {"label": "a"}})
    assert work.lease_items(foundry, who, project.id, 10) == []


def test_expired_lease_frees_its_item_and_refuses_the_late_answer(
    foundry, clock, make_org, make_worker
):
    project = _project(foundry, make_org(), n_items=1)
    slow, fast = _who(foundry, make_worker("slow")), _who(foundry, make_worker("fast"))
    (lease,) = work.lease_items(foundry, slow, project.id)
    assert work.lease_items(foundry, fast, project.id) == []
    clock.advance(foundry.settings.lease_seconds + 1)
    with pytest.raises(LeaseExpired):
        work.submit(foundry, slow, lease.id, {"answer": {"label": "a"}})
    (again,) = work.lease_items(foundry, fast, project.id)
    assert again.item_id == lease.item_id
    work.submit(foundry, fast, again.id, {"answer": {"label": "b"}})
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 1


def test_renew_extends_and_release_returns_the_item(foundry, clock, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=1)
    a, b = _who(foundry, make_worker("a")), _who(foundry, make_worker("b"))
    (lease,) = work.lease_items(foundry, a, project.id)
    clock.advance(foundry.settings.lease_seconds - 5)
    assert work.renew_lease(foundry, a, lease.id) > clock.now + 500
    clock.advance(30)
    work.release_lease(foundry, a, lease.id)
    with pytest.raises(Conflict):
        work.submit(foundry, a, lease.id, {"answer": {"label": "a"}})
    (taken,) = work.lease_items(foundry, b, project.id)
    assert taken.item_id == lease.item_id
    assert work.lease_items(foundry, a, project.id) == []  # a released it: not offered again


def test_foreign_lease_is_not_found(foundry, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=1)
    a, b = _who(foundry, make_worker("a")), _who(foundry, make_worker("b"))
    (lease,) = work.lease_items(foundry, a, project.id)
    for action in (
        lambda: work.submit(foundry, b, lease.id, {"answer": {"label": "a"}}),
        lambda: work.renew_lease(foundry, b, lease.id),
        lambda: work.release_lease(foundry, b, lease.id),
        lambda: work.submit(foundry, a, 99_999, {"answer": {"label": "a"}}),
    ):
        with pytest.raises(NotFound):
            action()


def test_bad_answer_writes_nothing_and_keeps_the_lease(foundry, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=1)
    who = _who(foundry, make_worker())
    (lease,) = work.lease_items(foundry, who, project.id)
    with pytest.raises(InvalidInput) as err:
        work.submit(foundry, who, lease.id, {"answer": {"label": "zebra"}})
    assert err.value.field == "answer.label"
    receipt = work.submit(foundry, who, lease.id, {"answer": {"label": "b"}})
    assert receipt.item_done


def test_adaptive_overlap_closes_agreeing_items_early(foundry, make_org, make_worker):
    project = _project(foundry, make_org(), n_items=2, min_labels=2, max_labels=5,
                       target_confidence=0.99, method="majority")
    workers = [_who(foundry, make_worker(f"w{i}")) for i in range(5)]
    for i, who in enumerate(workers):
        for lease in work.lease_items(foundry, who, project.id, 2):
            easy = lease.external_id == "i0"
            label = "a" if easy or i % 2 == 0 else "b"
            work.submit(foundry, who, lease.id, {"answer": {"label": label}})
    with foundry.db.read() as conn:
        labels = dict(conn.execute(select(items_table.c.external_id, items_table.c.n_labels)).all())
    assert labels == {"i0": 2, "i1": 5}


@pytest.mark.parametrize("overlap", [1, 3])
def test_sixteen_threads_never_hold_an_item_twice(foundry, make_org, make_worker, overlap):
    """16 contributors race for the same project: no (item, contributor) pair twice, never
    more live leases on an item than it wants, every wanted label given exactly once."""
    n_items = 60
    project = _project(foundry, make_org(), n_items=n_items, min_labels=overlap,
                       max_labels=overlap)
    workers = [_who(foundry, make_worker(f"w{i}")) for i in range(16)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(who):
        try:
            start.wait()
            while True:
                got = work.lease_items(foundry, who, project.id, 3)
                if not got:
                    return
                for lease in got:
                    work.submit(foundry, who, lease.id, {"answer": {"label": "a"}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with foundry.db.read() as conn:
        pairs = conn.execute(select(leases.c.item_id, leases.c.contributor_id)).all()
        per_item = Counter(conn.execute(select(submissions.c.item_id)).scalars())
        state = conn.execute(
            select(items_table.c.status, items_table.c.n_live, items_table.c.slots)
        ).all()
    assert len(pairs) == len(set(pairs))
    assert len(per_item) == n_items and set(per_item.values()) == {overlap}
    assert all(s == ("done", 0, 0) for s in state)


def _chaos():
    """The chaos benchmark's checks (bench/chaos.py), loaded from its file."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "datafab_bench_chaos"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "bench" / "chaos.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_a_lease_is_stamped_by_the_database_after_its_claim_took_the_item(
        foundry, make_org, make_worker):
    """A request reads the server's clock, then waits; meanwhile the sweep expires the item's
    lease. The new lease's created_at is the database's clock after the claim, so it comes
    after the old lease's ended_at, and the chaos check counts no double lease. By the
    server's clocks the two leases overlap: the old check's false alarm."""
    import time

    from datafab.store import leasing

    chaos = _chaos()
    project = _project(foundry, make_org(), n_items=1)
    first, second = make_worker("first"), make_worker("second")
    t = foundry.now()
    with foundry.db.write() as conn:
        (a,) = leasing.claim(conn, project=project.id, contributor=first.id, n=1, now=t,
                             expires=t + 10)
    with foundry.db.write() as conn:  # the sweep, at the deadline
        assert leasing.expire(conn, now=t + 11) == 1
    wall = time.time()
    with foundry.db.write() as conn:  # a request that read its clock at t + 9
        (b,) = leasing.claim(conn, project=project.id, contributor=second.id, n=1, now=t + 9,
                             expires=t + 19)
    with foundry.db.read() as conn:
        rows = conn.execute(select(leases).order_by(leases.c.id)).all()
    old, new = rows
    assert (old.id, new.id) == (a.lease_id, b.lease_id) and old.status == "expired"
    assert old.created_at <= old.ended_at <= new.created_at
    assert wall - 1 <= new.created_at <= time.time() + 1  # the database's clock, not t + 9
    assert new.ended_at is None
    assert chaos.double_leases(rows, labels=1) == 0
    assert chaos.double_leases_by_server_clock(rows, [], labels=1, lease_seconds=10) == 1


def test_the_chaos_check_counts_a_real_double_lease():
    from types import SimpleNamespace as Lease

    chaos = _chaos()
    held = [Lease(id=1, item_id=7, status="submitted", created_at=10.0, ended_at=15.0),
            Lease(id=2, item_id=7, status="expired", created_at=12.0, ended_at=30.0),
            Lease(id=3, item_id=7, status="submitted", created_at=31.0, ended_at=33.0)]
    assert chaos.double_leases(held, labels=2) == 0
    assert chaos.double_leases(held, labels=1) == 2  # 2 while 1 was out, 3 after 1's label
    live = [Lease(id=1, item_id=8, status="active", created_at=1.0, ended_at=None),
            Lease(id=2, item_id=8, status="released", created_at=2.0, ended_at=3.0)]
    assert chaos.double_leases(live, labels=1) == 1


def test_racing_claims_expiry_and_submits_never_double_lease(foundry, clock, make_org,
                                                             make_worker):
    """Eight contributors lease, answer or walk away while the clock jumps past deadlines
    (every lease may then expire in any request's sweep): by the database's facts no item
    ever had more leases taken than it wants labels."""
    import random

    from datafab.store import leasing

    chaos = _chaos()
    project = _project(foundry, make_org(), n_items=30, min_labels=2, max_labels=2)
    workers = [_who(foundry, make_worker(f"w{i}")) for i in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(who, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(25):
                for lease in work.lease_items(foundry, who, project.id, 2):
                    if rng.random() < 0.3:
                        clock.advance(foundry.settings.lease_seconds / 2)  # walk away
                        continue
                    try:
                        work.submit(foundry, who, lease.id, {"answer": {"label": "a"}})
                    except LeaseExpired:
                        pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w, i)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with foundry.db.write() as conn:
        leasing.expire(conn, now=clock() + 10 * foundry.settings.lease_seconds)
    with foundry.db.read() as conn:
        rows = conn.execute(select(leases)).all()
    assert sum(r.status == "expired" for r in rows) > 0
    assert all(r.ended_at is not None and r.ended_at >= r.created_at for r in rows)
    assert chaos.double_leases(rows, labels=2) == 0
