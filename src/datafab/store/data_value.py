"""What a data project cost to make: people's labels and time, their pay, and the model
calls made for it — the denominators of the dataset-value table (``services/evals``).

Hours count every human submission, gold included, as the effort report does
(``services/effort.py``); pay is the pay ledger's entries for the project (tasks, bonuses,
reversals), per currency, in minor units; model cost is what the model workers reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, func, select

from datafab.store.tables import contributors, earnings, model_usage, projects, submissions


def people_effort(conn: Connection, project_ids: Iterable[int]) -> list[Row[Any]]:
    """(project_id, name, labels, seconds) per project, people's submissions only."""
    ids = list(project_ids)
    people = (
        select(submissions.c.project_id, func.count().label("labels"),
               func.coalesce(func.sum(submissions.c.seconds_spent), 0.0).label("seconds"))
        .join(contributors, contributors.c.id == submissions.c.contributor_id)
        .where(submissions.c.project_id.in_(ids), contributors.c.kind == "human")
        .group_by(submissions.c.project_id).subquery())
    return list(conn.execute(
        select(projects.c.id.label("project_id"), projects.c.name,
               func.coalesce(people.c.labels, 0).label("labels"),
               func.coalesce(people.c.seconds, 0.0).label("seconds"))
        .outerjoin(people, people.c.project_id == projects.c.id)
        .where(projects.c.id.in_(ids)).order_by(projects.c.id)))


def pay(conn: Connection, project_ids: Iterable[int]) -> list[Row[Any]]:
    """(project_id, currency, amount_minor) summed over the pay ledger's entries."""
    return list(conn.execute(
        select(earnings.c.project_id, earnings.c.currency,
               func.sum(earnings.c.amount_minor).label("amount_minor"))
        .where(earnings.c.project_id.in_(list(project_ids)))
        .group_by(earnings.c.project_id, earnings.c.currency)))


def model_cost(conn: Connection, project_ids: Iterable[int]) -> dict[int, float]:
    """Project id -> the cost model workers reported for it."""
    return {r.project_id: float(r.cost) for r in conn.execute(
        select(model_usage.c.project_id, func.sum(model_usage.c.cost).label("cost"))
        .where(model_usage.c.project_id.in_(list(project_ids)))
        .group_by(model_usage.c.project_id))}
