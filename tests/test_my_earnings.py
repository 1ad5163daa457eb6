"""A contributor's earnings (services/my_earnings.py), on both databases: ledger entries
with what each was for, reversals marked, totals paid out and pending per currency, payout
statements, net earnings per day, paging — and never another contributor's rows."""

from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.services import items, my_earnings, pay, projects, work, workforce
from datafab.services.accounts import authenticate_contributor

DAY = my_earnings.DAY


def _paying(foundry, org, name, currency, per_task, n=6, labels=1):
    project = projects.create_project(foundry, org.id, {
        "name": name, "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": labels, "max_labels": labels}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"{name}-{i}", "data": {"text": f"text {i}"}} for i in range(n)])
    workforce.set_policy(foundry, org.id, project.id, {
        "currency": currency, "pay": {"per_task_minor": per_task}})
    return project


def _work(foundry, who, project, n):
    for lease in work.lease_items(foundry, who, project.id, n):
        work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})


def test_ledger_totals_statements_and_days(foundry, make_org, make_worker, clock):
    org = make_org()
    eur = _paying(foundry, org, "eur", "EUR", 40)
    jpy = _paying(foundry, org, "jpy", "JPY", 120)
    undone = _paying(foundry, org, "undone", "EUR", 40, labels=2)  # items stay open
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    bob = authenticate_contributor(foundry, make_worker("bob").token)
    start = clock.now
    _work(foundry, ada, eur, 2)  # day 0: 2 × 40 EUR, paid out below
    _work(foundry, bob, eur, 3)
    clock.advance(DAY)
    (paid,) = [p for p in pay.run_payouts(foundry, start, clock.now)
               if p["contributor_id"] == ada.id]
    _work(foundry, ada, eur, 1)  # day 1: 40 EUR, 120 JPY, and 2 × 40 EUR taken back
    _work(foundry, ada, jpy, 1)
    _work(foundry, ada, undone, 2)
    workforce.remove(foundry, org.id, undone.id, ada.id, reason="test")
    clock.advance(60)

    seen = my_earnings.earnings_of(foundry, ada)
    assert [e.kind for e in seen.entries].count("task") == 6
    assert [e.id for e in seen.entries] == sorted((e.id for e in seen.entries), reverse=True)
    back = [e for e in seen.entries if e.kind == "reversal"]
    assert len(back) == 2 and all(e.amount_minor == -40 and e.pending for e in back)
    # removed from "undone": the amounts stay, the project's name and items are not shown
    assert all(e.project_name == my_earnings.NOT_SHOWN and e.item is None for e in back)
    assert "undone" not in {e.project_name for e in seen.entries}
    taken_back = [e for e in seen.entries if e.reversed]
    assert len(taken_back) == 2 and all(e.project_name == my_earnings.NOT_SHOWN
                                        for e in taken_back)
    on_statement = [e for e in seen.entries if e.payout_id is not None]
    assert [(e.item, e.payout_id) for e in on_statement] == [
        ("eur-1", paid["id"]), ("eur-0", paid["id"])]

    totals = {t.currency: t for t in seen.totals}
    assert (totals["EUR"].paid_minor, totals["EUR"].pending_minor) == (80, 40)
    assert totals["EUR"].earned_minor == 120
    assert (totals["JPY"].paid_minor, totals["JPY"].pending_minor) == (0, 120)
    assert [(s.id, s.currency, s.amount_minor, s.n_entries) for s in seen.statements] == [
        (paid["id"], "EUR", 80, 2)]

    daily = {d.currency: d for d in seen.daily}
    assert len(daily["EUR"].amounts_minor) == my_earnings.DAYS
    assert daily["EUR"].amounts_minor[-2:] == [80, 40]  # the day after is net of reversals
    assert sum(daily["EUR"].amounts_minor) == 120
    assert daily["JPY"].amounts_minor[-1] == 120 and daily["EUR"].start % DAY == 0

    theirs = my_earnings.earnings_of(foundry, bob)  # bob's own, none of ada's
    assert [e.amount_minor for e in theirs.entries] == [40, 40, 40]
    assert {e.id for e in theirs.entries}.isdisjoint(e.id for e in seen.entries)
    assert [(t.currency, t.paid_minor) for t in theirs.totals] == [("EUR", 120)]
    assert paid["id"] not in {s.id for s in theirs.statements}


def test_the_ledger_pages_back_by_cursor(foundry, make_org, make_worker):
    org = make_org()
    project = _paying(foundry, org, "p", "USD", 10)
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    _work(foundry, ada, project, 5)
    first = my_earnings.earnings_of(foundry, ada, limit=2)
    second = my_earnings.earnings_of(foundry, ada, limit=2, before=first.older)
    third = my_earnings.earnings_of(foundry, ada, limit=2, before=second.older)
    ids = [e.id for page in (first, second, third) for e in page.entries]
    assert len(ids) == 5 == len(set(ids)) and ids == sorted(ids, reverse=True)
    assert third.older is None
    with pytest.raises(InvalidInput):
        my_earnings.earnings_of(foundry, ada, before="not a cursor")


def test_nothing_yet(foundry, make_worker):
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    seen = my_earnings.earnings_of(foundry, ada)
    assert (seen.entries, seen.totals, seen.statements, seen.daily, seen.older) == (
        [], [], [], [], None)
