"""A refit rewrites only the records whose content it changes: the others keep their
``updated_at`` and cost no statement."""

from __future__ import annotations

from sqlalchemy import event, select, update

from datafab.services import items, projects, quality, work
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import records


def _project(foundry, org, n_items):
    project = projects.create_project(foundry, org.id, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 2, "max_labels": 2}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n_items)])
    return project


def _answer_all(foundry, who, project, answer):
    while leases := work.lease_items(foundry, who, project.id, 20):
        for lease in leases:
            work.submit(foundry, who, lease.id, {"answer": {"label": answer(lease)}})


def _stored(foundry, project):
    with foundry.db.read() as conn:
        return {r.item_id: r for r in conn.execute(select(records).where(
            records.c.project_id == project.id))}


class RecordWrites:
    """Rows sent in ``UPDATE records`` statements on the foundry's engine."""

    def __init__(self, foundry) -> None:
        self.rows = 0
        self.engine = foundry.db.engine
        event.listen(self.engine, "before_cursor_execute", self.count)

    def count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE RECORDS"):
            self.rows += len(parameters) if executemany else 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.count)


def test_a_refit_leaves_unchanged_records_alone_and_rewrites_changed_ones(
        foundry, make_org, make_worker, clock):
    org = make_org()
    project = _project(foundry, org, 12)
    ada, bob = (authenticate_contributor(foundry, make_worker(n).token) for n in ("ada", "bob"))
    _answer_all(foundry, ada, project, lambda lease: "yes")
    # bob disagrees on a third of the items, so the refit has something to learn
    _answer_all(foundry, bob, project,
                lambda lease: "no" if int(lease.external_id[1:]) % 3 == 0 else "yes")
    assert quality.refit(foundry, project.id) == 24
    first = _stored(foundry, project)
    assert len(first) == 12

    clock.advance(60)
    writes = RecordWrites(foundry)
    try:
        assert quality.refit(foundry, project.id) == 24  # the same labels: nothing to change
        assert writes.rows == 0
        again = _stored(foundry, project)
        assert {i: r.updated_at for i, r in again.items()} == \
            {i: r.updated_at for i, r in first.items()}

        # two records made stale behind the refit's back: those two, and only those, change
        stale = sorted(first)[:2]
        with foundry.db.write() as conn:
            conn.execute(update(records).where(records.c.item_id == stale[0]).values(
                confidence=0.5))
            conn.execute(update(records).where(records.c.item_id == stale[1]).values(
                answer={"label": "maybe"}))
        clock.advance(60)
        writes.rows = 0
        assert quality.refit(foundry, project.id) == 24
        assert writes.rows == 2
    finally:
        writes.close()
    after = _stored(foundry, project)
    for item_id, row in after.items():
        if item_id in stale:
            assert row.updated_at == clock.now
            assert (row.answer, row.confidence, row.details) == \
                (first[item_id].answer, first[item_id].confidence, first[item_id].details)
        else:
            assert row.updated_at == first[item_id].updated_at


def test_a_refit_rewrites_the_records_new_labels_change(foundry, make_org, make_worker, clock):
    """After an adversary's labels the posteriors move: every record ends as the fit says
    (to the confidence's tolerance), and exactly those it had to change carry its time."""
    from datafab.services.quality import method_of
    from datafab.services.quality.posteriors import _outcome

    org = make_org()
    project = _project(foundry, org, 12)
    ada = authenticate_contributor(foundry, make_worker("ada").token)
    _answer_all(foundry, ada, project, lambda lease: "yes")
    quality.refit(foundry, project.id)
    carl = authenticate_contributor(foundry, make_worker("carl").token)
    _answer_all(foundry, carl, project,
                lambda lease: "no" if int(lease.external_id[1:]) < 6 else "yes")
    before = _stored(foundry, project)
    clock.advance(60)
    fit = quality.fit_project(foundry, project.id)
    quality.apply_fit(foundry, fit)
    after = _stored(foundry, project)
    moved = 0
    for n, item_id in enumerate(fit.data.item_ids.tolist()):
        want = _outcome(fit.project, fit.estimator.probas_[n], method_of(fit.project))
        row, old = after[item_id], before[item_id]
        assert (row.answer, row.details) == (want.answer, want.details)
        assert abs(row.confidence - want.confidence) <= 1e-6
        same = (old.answer, old.details) == (want.answer, want.details) and \
            abs(old.confidence - want.confidence) <= 1e-6
        assert row.updated_at == (old.updated_at if same else clock.now)
        moved += not same
    assert 0 < moved  # the test means something only if some records moved
