"""The budget planner's SQL: a project's recorded labels with who gave them (person or
model), its gold, its item count and pay rate; applied plans; the accuracy records reached
since a plan was applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from .tables import (
    contributors,
    items,
    project_plans,
    projects,
    records,
    submissions,
    workforce_policies,
)


@dataclass(frozen=True)
class LabelRow:
    item_id: int
    contributor_id: int
    answer: Any
    model: bool  # given by a model contributor
    confidence: float | None  # the model's stated confidence


def label_rows(conn: Connection, project_id: int) -> list[LabelRow]:
    """Every counted submission and every model answer, in the order they arrived."""
    rows = conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer,
               submissions.c.confidence, contributors.c.kind)
        .join(contributors, contributors.c.id == submissions.c.contributor_id)
        .where(submissions.c.project_id == project_id,
               submissions.c.counted | (contributors.c.kind == "model"))
        .order_by(submissions.c.id)
    ).all()
    return [LabelRow(int(r.item_id), int(r.contributor_id), r.answer, r.kind == "model",
                     None if r.confidence is None else float(r.confidence)) for r in rows]


def gold_answers(conn: Connection, project_id: int) -> list[tuple[int, Any]]:
    """(item id, gold answer) of the project's gold items."""
    rows = conn.execute(select(items.c.id, items.c.gold_answer).where(
        items.c.project_id == project_id, items.c.status == "gold")).all()
    return [(int(r.id), r.gold_answer) for r in rows]


def work_items(conn: Connection, project_id: int) -> int:
    """The project's items that become records (gold excluded)."""
    return int(conn.execute(select(func.count()).select_from(items).where(
        items.c.project_id == project_id, items.c.status != "gold")).scalar_one())


def workforce_policy(conn: Connection, project_id: int) -> tuple[dict[str, Any], str] | None:
    """The project's workforce policy body and currency, if it has one."""
    row = conn.execute(select(workforce_policies.c.policy, workforce_policies.c.currency)
                       .where(workforce_policies.c.project_id == project_id)).first()
    return None if row is None else (dict(row.policy), str(row.currency))


def set_quality_policy(conn: Connection, project_id: int, policy: dict[str, Any],
                       now: float) -> None:
    conn.execute(update(projects).where(projects.c.id == project_id)
                 .values(policy=policy, updated_at=now))


def set_workforce_body(conn: Connection, project_id: int, body: dict[str, Any],
                       now: float) -> None:
    conn.execute(update(workforce_policies).where(workforce_policies.c.project_id == project_id)
                 .values(policy=body, updated_at=now))


def insert_plan(conn: Connection, project_id: int, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(project_plans).values(project_id=project_id, **values)
                            .returning(project_plans.c.id)).scalar_one())


def latest_plan(conn: Connection, project_id: int) -> RowMapping | None:
    row = conn.execute(select(project_plans).where(project_plans.c.project_id == project_id)
                       .order_by(project_plans.c.id.desc()).limit(1)).first()
    return None if row is None else row._mapping


def records_since(conn: Connection, project_id: int, since: float) -> tuple[int, float | None]:
    """Records made or remade since ``since``: how many, and their mean confidence."""
    row = conn.execute(select(func.count(), func.avg(records.c.confidence)).where(
        records.c.project_id == project_id, records.c.updated_at >= since)).one()
    return int(row[0]), None if row[1] is None else float(row[1])
