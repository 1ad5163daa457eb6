"""Ingest runs and what a redaction review samples: a run's row and its report, a project's
recent runs, and the ingested items a review draws from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from datafab.store.tables import ingest_runs, items


def start_run(conn: Connection, project_id: int, now: float) -> int:
    """A new run of the project, its report empty; its id."""
    return int(conn.execute(insert(ingest_runs).values(
        project_id=project_id, report={}, created_at=now)
        .returning(ingest_runs.c.id)).scalar_one())


def save_report(conn: Connection, run_id: int, report: dict[str, Any]) -> None:
    conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id).values(report=report))


def recent_runs(conn: Connection, project_id: int, limit: int = 100) -> list[Row[Any]]:
    return list(conn.execute(select(ingest_runs).where(ingest_runs.c.project_id == project_id)
                             .order_by(ingest_runs.c.id.desc()).limit(limit)).all())


def reviewable_ids(conn: Connection, project_id: int) -> list[int]:
    """The project's items that were published (not staged) and are not gold."""
    return list(conn.execute(select(items.c.id).where(
        items.c.project_id == project_id, items.c.status.not_like("staged:%"),
        items.c.status != "gold")).scalars())


def items_with_meta(conn: Connection, ids: list[int]) -> list[Row[Any, Any, Any]]:
    """``id``, ``data`` and ``meta`` of the items ``ids``."""
    if not ids:
        return []
    return list(conn.execute(select(items.c.id, items.c.data, items.c.meta)
                             .where(items.c.id.in_(ids))).all())
