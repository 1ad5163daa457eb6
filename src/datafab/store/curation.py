"""The SQL behind auditing a project's labels and choosing what to label next: reading items
with their records, the runs (jobs) of audits and selections, raising item priorities, and
writing a reviewed correction into a record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from datafab.store.tables import curation_runs, items, records


def items_with_records(conn: Connection, project: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """Every item of the project that is not gold, with its record's answer (``None``: no
    record) — in item id order."""
    return conn.execute(
        select(items.c.id, items.c.external_id, items.c.data, items.c.meta, items.c.status,
               items.c.priority, records.c.answer, records.c.confidence, records.c.method,
               records.c.details, records.c.n_submissions)
        .select_from(items.outerjoin(records, records.c.item_id == items.c.id))
        .where(items.c.project_id == project, items.c.status != "gold")
        .order_by(items.c.id)).all()


def count_items(conn: Connection, project: int) -> int:
    return int(conn.execute(select(func.count()).select_from(items).where(
        items.c.project_id == project, items.c.status != "gold")).scalar_one())


def raise_priority(conn: Connection, item_priorities: dict[int, int]) -> None:
    """Set each item's priority (items leased first have the highest)."""
    for item_id, priority in item_priorities.items():
        conn.execute(update(items).where(items.c.id == item_id).values(priority=priority))


def top_priority(conn: Connection, project: int) -> int:
    return int(conn.execute(select(func.coalesce(func.max(items.c.priority), 0)).where(
        items.c.project_id == project)).scalar_one())


def correct_record(conn: Connection, item_id: int, answer: Any, confidence: float,
                   details: dict[str, Any], now: float) -> None:
    """Replace the item's record answer with a reviewed one (method ``review``)."""
    conn.execute(update(records).where(records.c.item_id == item_id).values(
        answer=answer, confidence=confidence, method="review", details=details,
        updated_at=now))


# -- runs -------------------------------------------------------------------------------------

def insert_run(conn: Connection, project: int, kind: str, status: str, total: int,
               now: float) -> int:
    return int(conn.execute(insert(curation_runs).values(
        project_id=project, kind=kind, status=status, done=0, total=total, created_at=now,
        updated_at=now).returning(curation_runs.c.id)).scalar_one())


def set_progress(conn: Connection, run: int, done: int, total: int, now: float) -> None:
    conn.execute(update(curation_runs).where(curation_runs.c.id == run).values(
        done=done, total=total, updated_at=now))


def finish_run(conn: Connection, run: int, status: str, result: dict[str, Any] | None,
               error: str | None, now: float) -> None:
    conn.execute(update(curation_runs).where(curation_runs.c.id == run).values(
        status=status, result=result, error=error, updated_at=now))


def fail_if_stale(conn: Connection, run: int, running: str, failed: str, error: str,
                  silent_since: float, now: float) -> None:
    """Settle a run still ``running`` with no progress since ``silent_since`` as failed."""
    conn.execute(update(curation_runs).where(
        curation_runs.c.id == run, curation_runs.c.status == running,
        curation_runs.c.updated_at < silent_since).values(
        status=failed, error=error, updated_at=now))


def get_run(conn: Connection, run: int) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(curation_runs).where(curation_runs.c.id == run)).first()


def latest_run(conn: Connection, project: int, kind: str) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(curation_runs).where(
        curation_runs.c.project_id == project, curation_runs.c.kind == kind,
        curation_runs.c.status == "done").order_by(curation_runs.c.id.desc()).limit(1)).first()
