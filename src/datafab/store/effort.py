"""Effort's SQL: people's labels and time, the routes of models' answers, model usage,
drafts people were shown, the answers on items models answered, and both over time.
Rows, not figures: the report is ``services/effort.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, text

from datafab.store.tables import Json

_PEOPLE = text(
    "SELECT count(*) AS labels, coalesce(sum(s.seconds_spent), 0) AS seconds, "
    "coalesce(sum(CASE WHEN i.status = 'gold' THEN 1 ELSE 0 END), 0) AS gold_labels "
    "FROM submissions s JOIN contributors c ON c.id = s.contributor_id "
    "JOIN items i ON i.id = s.item_id WHERE s.project_id = :p AND c.kind = 'human'"
)
_RECORDS = text(
    "SELECT count(*) FROM items WHERE project_id = :p AND status = 'done'"
)
_ROUTES = text(
    "SELECT s.contributor_id, c.name, coalesce(s.route, 'none') AS route, count(*) AS n "
    "FROM submissions s JOIN contributors c ON c.id = s.contributor_id "
    "WHERE s.project_id = :p AND c.kind = 'model' GROUP BY s.contributor_id, c.name, "
    "coalesce(s.route, 'none')"
)
_USAGE = text(
    "SELECT outcome, coalesce(sum(calls), 0) AS calls, "
    "coalesce(sum(prompt_tokens), 0) AS prompt_tokens, "
    "coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(cost), 0) AS cost, "
    "coalesce(sum(seconds), 0) AS seconds FROM model_usage WHERE project_id = :p "
    "GROUP BY outcome"
)
_DRAFTED = text(
    "SELECT s.answer, s.draft, s.seconds_spent FROM submissions s "
    "JOIN contributors c ON c.id = s.contributor_id "
    "WHERE s.project_id = :p AND c.kind = 'human' AND s.draft IS NOT NULL"
).columns(answer=Json, draft=Json)
_ALONGSIDE = text(  # every answer on the non-gold items a model answered
    "SELECT s.item_id, s.contributor_id, c.kind, s.answer FROM submissions s "
    "JOIN contributors c ON c.id = s.contributor_id JOIN items i ON i.id = s.item_id "
    "WHERE s.project_id = :p AND i.status <> 'gold' AND s.item_id IN ("
    "SELECT m.item_id FROM submissions m JOIN contributors mc ON mc.id = m.contributor_id "
    "WHERE m.project_id = :p AND mc.kind = 'model') ORDER BY s.id"
).columns(answer=Json)
_BUCKET = {
    "postgresql": "floor({col} / :b)",
    "sqlite": "CAST({col} / :b AS INTEGER)",  # times are positive: truncation is floor
}




def people(conn: Connection, project: int) -> Row[*tuple[Any, ...]]:
    """(labels, seconds, gold_labels) of people's submissions to the project."""
    return conn.execute(_PEOPLE, {"p": project}).one()


def records(conn: Connection, project: int) -> int:
    """How many of the project's items are done."""
    return int(conn.execute(_RECORDS, {"p": project}).scalar_one())


def routes(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(contributor_id, name, route, n) of models' answers to the project."""
    return list(conn.execute(_ROUTES, {"p": project}).all())


def usage(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """Model usage of the project summed per outcome."""
    return list(conn.execute(_USAGE, {"p": project}).all())


def drafted(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(answer, draft, seconds_spent) of people's answers that started from a draft."""
    return list(conn.execute(_DRAFTED, {"p": project}).all())


def alongside(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(item_id, contributor_id, kind, answer) of every answer on the non-gold items a model
    answered, in order."""
    return list(conn.execute(_ALONGSIDE, {"p": project}).all())


def work_series(conn: Connection, project_id: int, bucket: int) -> list[Row[*tuple[Any, ...]]]:
    """Submissions per ``bucket`` seconds: people's labels and time, models' answers, the
    auto-accepted."""
    expr = _BUCKET[conn.dialect.name]
    return list(conn.execute(text(
        f"SELECT {expr.format(col='s.created_at')} AS bucket, "
        "sum(CASE WHEN c.kind = 'human' THEN 1 ELSE 0 END) AS human_labels, "
        "coalesce(sum(CASE WHEN c.kind = 'human' THEN s.seconds_spent END), 0) AS human_seconds, "
        "sum(CASE WHEN c.kind = 'model' THEN 1 ELSE 0 END) AS model_answers, "
        "sum(CASE WHEN s.route = 'accepted' THEN 1 ELSE 0 END) AS auto_accepted "
        "FROM submissions s JOIN contributors c ON c.id = s.contributor_id "
        "WHERE s.project_id = :p GROUP BY 1 ORDER BY 1"
    ), {"p": project_id, "b": bucket}).all())


def spend_series(conn: Connection, project_id: int, bucket: int) -> list[Row[*tuple[Any, ...]]]:
    """Model calls and cost per ``bucket`` seconds."""
    expr = _BUCKET[conn.dialect.name]
    return list(conn.execute(text(
        f"SELECT {expr.format(col='created_at')} AS bucket, coalesce(sum(calls), 0) AS calls, "
        "coalesce(sum(cost), 0) AS cost FROM model_usage WHERE project_id = :p "
        "GROUP BY 1 ORDER BY 1"
    ), {"p": project_id, "b": bucket}).all())
