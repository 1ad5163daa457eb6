"""The dashboard's SQL: items by status and counted labels per project, labels over time,
records by confidence, records against the answers behind them, the votes the cost/quality
curve replays, and the records browser. Rows, not figures: ``services/dashboard.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, Row, Text, cast, func, select

from datafab.store.tables import (
    contributor_skills,
    items,
    project_fits,
    projects,
    records,
    submissions,
)


def _floor(expr: Any, conn: Connection) -> Any:
    """floor() as an integer on both databases (PostgreSQL's CAST rounds; SQLite's truncates,
    which for the non-negative values here is floor)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(expr), Integer)
    return cast(expr, Integer)


# -- the overview --------------------------------------------------------------------------


def project_ids(conn: Connection, organization: int) -> list[int]:
    """The organization's projects, oldest first."""
    return list(conn.execute(select(projects.c.id).where(
        projects.c.organization_id == organization).order_by(projects.c.id)).scalars().all())


def items_by_status(conn: Connection, project_ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """(project_id, status, n) of these projects' items."""
    return list(conn.execute(
        select(items.c.project_id, items.c.status, func.count())
        .where(items.c.project_id.in_(project_ids))
        .group_by(items.c.project_id, items.c.status)).all())


def counted_labels(conn: Connection, project_ids: list[int]) -> dict[int, int]:
    """{project id: counted submissions} of these projects."""
    return dict(conn.execute(
        select(submissions.c.project_id, func.count())
        .where(submissions.c.project_id.in_(project_ids), submissions.c.counted)
        .group_by(submissions.c.project_id)).all())


# -- over time and by confidence -----------------------------------------------------------


def first_label_at(conn: Connection, project: int) -> float | None:
    return conn.execute(select(func.min(submissions.c.created_at))
                        .where(submissions.c.project_id == project)).scalar()


def labels_per_bucket(conn: Connection, project: int, start: float,
                      width: float) -> list[Row[*tuple[Any, ...]]]:
    """(bucket, n) of the project's submissions from ``start``, in buckets ``width`` wide."""
    bucket = _floor((submissions.c.created_at - start) / width, conn)
    return list(conn.execute(
        select(bucket, func.count())
        .where(submissions.c.project_id == project, submissions.c.created_at >= start)
        .group_by(bucket)).all())


def records_per_bin(conn: Connection, project: int, bins: int) -> list[Row[*tuple[Any, ...]]]:
    """(bin, n) of the project's records by confidence × ``bins``, floored."""
    b = _floor(records.c.confidence * bins, conn)
    return list(conn.execute(
        select(b, func.count()).where(records.c.project_id == project).group_by(b)).all())


def records_and_given(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(record answer, given) for each counted submission on an item with a record."""
    return list(conn.execute(
        select(records.c.answer, submissions.c.answer.label("given"))
        .join(submissions, submissions.c.item_id == records.c.item_id)
        .where(records.c.project_id == project, submissions.c.counted)).all())


# -- the cost/quality curve ----------------------------------------------------------------


def record_count(conn: Connection, project: int) -> int:
    return conn.execute(select(func.count()).select_from(records)
                        .where(records.c.project_id == project)).scalar_one()


def latest_records(conn: Connection, project: int, limit: int) -> list[Row[*tuple[Any, ...]]]:
    """(item_id, data) of the project's latest ``limit`` records, newest first."""
    return list(conn.execute(
        select(records.c.item_id, items.c.data)
        .join(items, items.c.id == records.c.item_id)
        .where(records.c.project_id == project)
        .order_by(records.c.id.desc()).limit(limit)).all())


def counted_votes(conn: Connection, item_ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """(item_id, contributor_id, answer) of the counted submissions on these items, in the
    order they came."""
    return list(conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer)
        .where(submissions.c.item_id.in_(item_ids), submissions.c.counted)
        .order_by(submissions.c.id)).all())


def class_prior(conn: Connection, project: int) -> Any:
    """The class prior of the project's latest fit (``None``: not fitted)."""
    return conn.execute(select(project_fits.c.class_prior)
                        .where(project_fits.c.project_id == project)).scalar()


def skill_counts(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(contributor_id, counts) of the project's contributor skills."""
    return list(conn.execute(
        select(contributor_skills.c.contributor_id, contributor_skills.c.counts)
        .where(contributor_skills.c.project_id == project)).all())


# -- the records browser -------------------------------------------------------------------


def records_page(conn: Connection, project: int, *, after: int, limit: int,
                 min_confidence: float | None, max_confidence: float | None,
                 status: str | None, disagreement: bool) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` of the project's records with ids above ``after``, oldest first, with
    their item's external_id, item_status and data, filtered; ``disagreement``: only those
    whose counted submissions do not all give the same answer."""
    query = (
        select(records, items.c.external_id, items.c.status.label("item_status"),
               items.c.data)
        .join(items, items.c.id == records.c.item_id)
        .where(records.c.project_id == project, records.c.id > after)
        .order_by(records.c.id).limit(limit)
    )
    if min_confidence is not None:
        query = query.where(records.c.confidence >= min_confidence)
    if max_confidence is not None:
        query = query.where(records.c.confidence <= max_confidence)
    if status:
        query = query.where(items.c.status == status)
    if disagreement:
        split = (
            select(submissions.c.item_id)
            .where(submissions.c.project_id == project, submissions.c.counted)
            .group_by(submissions.c.item_id)
            .having(func.count(func.distinct(cast(submissions.c.answer, Text))) > 1)
        )
        query = query.where(records.c.item_id.in_(split))
    return list(conn.execute(query).all())


def record_with_item(conn: Connection, project: int,
                     record_id: int) -> Row[*tuple[Any, ...]] | None:
    """The record, with its item's external_id, data and item_status."""
    return conn.execute(
        select(records, items.c.external_id, items.c.data, items.c.status.label("item_status"))
        .join(items, items.c.id == records.c.item_id)
        .where(records.c.id == record_id, records.c.project_id == project)).first()


def submissions_behind(conn: Connection, item_id: int) -> list[Row[*tuple[Any, ...]]]:
    """Every submission on the item, in the order they came."""
    return list(conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer,
               submissions.c.seconds_spent, submissions.c.created_at,
               submissions.c.guideline_version, submissions.c.counted)
        .where(submissions.c.item_id == item_id).order_by(submissions.c.id)).all())
