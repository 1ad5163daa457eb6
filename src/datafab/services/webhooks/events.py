"""The line's events: ``record.finished`` when an item's record becomes final and
``project.finished`` when a project has no work left, written in the transaction that
finished them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datafab.foundry import Foundry
from datafab.services.webhooks.outbox import emit, emit_many
from datafab.store import outbox
from datafab.store import webhooks as queries
from datafab.store.handles import Connection, Row
from datafab.store.webhooks import PROJECT_LOCK_SPACE

__all__ = ["PROJECT_LOCK_SPACE", "items_finished", "projects_finished", "record_finished",
           "records_finished"]


def _finished(project_id: int, item_id: int, row: Row[Any]) -> dict[str, Any]:
    return {"project_id": project_id, "item_id": item_id, "external_id": row.external_id,
            "record": {"id": row.id, "answer": row.answer, "confidence": row.confidence,
                       "method": row.method, "n_submissions": row.n_submissions}}


def record_finished(conn: Connection, organization: int, project_id: int, item_id: int,
                    now: float) -> None:
    """An item's record became final (inside the transaction that finished it): emit
    ``record.finished``."""
    row = queries.finished_record(conn, item_id)
    if row is None:
        return
    emit(conn, organization, "record.finished", f"item:{item_id}",
         _finished(project_id, item_id, row), now)


def records_finished(foundry: Foundry, conn: Connection, organization: int, project_id: int,
                     item_ids: list[int], now: float) -> None:
    """Items' records became final (inside the transaction that finished them):
    ``record.finished`` for each, written in one go (``emit_many``)."""
    found = outbox.finished_records(conn, item_ids)
    emit_many(foundry, conn, organization, "record.finished", [
        (f"item:{item_id}", _finished(project_id, item_id, row))
        for item_id in item_ids if (row := found.get(item_id)) is not None], now)


def projects_finished(conn: Connection, projects: Iterable[tuple[int, int]],
                      now: float) -> None:
    """After items of these (organization, project) pairs finished, at the end of the
    transaction that finished them: ``project.finished`` for each project with no work left
    (once, until new items arrive). On PostgreSQL an advisory lock per project, taken in
    project order, makes two transactions that finish a project's last two items see each
    other's work (the second waits for the first to commit), so neither misses it. Before
    it, one statement locks an open item nobody else holds (``holds_open_item``): the
    project cannot finish before this transaction commits, and the lock — which would line
    up every submit's commit on the project — is not needed."""
    for organization, project_id in sorted(set(projects), key=lambda p: p[1]):
        if queries.holds_open_item(conn, project_id):
            continue
        queries.lock_project(conn, project_id)
        if queries.has_work_left(conn, project_id):
            continue
        subject = f"project:{project_id}"
        if not queries.finish_announced(conn, organization, subject, project_id):
            emit(conn, organization, "project.finished", subject,
                 {"project_id": project_id}, now)


def items_finished(conn: Connection, project: Any, item_ids: list[int], now: float) -> None:
    """A refit finished these items (those it could: an item answered meanwhile kept its
    state): ``record.finished`` for each that is now done."""
    for item_id in queries.done_items(conn, item_ids):
        record_finished(conn, project.organization_id, project.id, item_id, now)
    projects_finished(conn, [(project.organization_id, project.id)], now)
