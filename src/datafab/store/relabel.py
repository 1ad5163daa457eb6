"""The SQL behind renaming a project's labels: find every stored answer that names a label
(submissions, gold and prior answers on items) and the quality state indexed by label code
(contributors' confusion counts, the last fit's class prior), and write them back rewritten.
Counting and reading only; the mapping itself is the caller's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, Row, bindparam, exists, or_, select, text

from datafab.store.tables import Json, contributor_skills, items, project_fits, submissions


def has_answers(conn: Connection, project: int) -> bool:
    """Whether anything stored under the project names one of its labels."""
    answered = select(exists().where(submissions.c.project_id == project))
    keyed = select(exists().where(
        items.c.project_id == project,
        or_(items.c.gold_answer.is_not(None), items.c.prior_answer.is_not(None))))
    return bool(conn.execute(answered).scalar()) or bool(conn.execute(keyed).scalar())


def submission_answers(conn: Connection, project: int) -> Sequence[Row[*tuple[Any, ...]]]:
    return conn.execute(
        select(submissions.c.id, submissions.c.answer, submissions.c.draft)
        .where(submissions.c.project_id == project).order_by(submissions.c.id)).all()


_SET_SUBMISSION = text(
    "UPDATE submissions SET answer = :answer, draft = :draft WHERE id = :id"
).bindparams(bindparam("answer", type_=Json), bindparam("draft", type_=Json))


def set_submission_answers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_SET_SUBMISSION, rows)


def item_answers(conn: Connection, project: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """Items with a gold or prior answer, locked in id order (the order a submit takes)."""
    query = (select(items.c.id, items.c.data, items.c.meta, items.c.content_hash,
                    items.c.gold_answer, items.c.prior_answer)
             .where(items.c.project_id == project,
                    or_(items.c.gold_answer.is_not(None), items.c.prior_answer.is_not(None)))
             .order_by(items.c.id))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).all()


_SET_ITEM = text(
    "UPDATE items SET gold_answer = :gold, prior_answer = :prior, content_hash = :hash "
    "WHERE id = :id"
).bindparams(bindparam("gold", type_=Json), bindparam("prior", type_=Json))


def set_item_answers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_SET_ITEM, rows)


def skill_counts(conn: Connection, project: int) -> Sequence[Row[*tuple[Any, ...]]]:
    return conn.execute(
        select(contributor_skills.c.contributor_id, contributor_skills.c.counts)
        .where(contributor_skills.c.project_id == project)).all()


_SET_COUNTS = text(
    "UPDATE contributor_skills SET counts = :counts WHERE project_id = :project "
    "AND contributor_id = :contributor"
).bindparams(bindparam("counts", type_=Json))


def set_skill_counts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_SET_COUNTS, rows)


def class_prior(conn: Connection, project: int) -> list[float] | None:
    return conn.execute(select(project_fits.c.class_prior)
                        .where(project_fits.c.project_id == project)).scalar()


_SET_PRIOR = text(
    "UPDATE project_fits SET class_prior = :prior WHERE project_id = :project"
).bindparams(bindparam("prior", type_=Json))


def set_class_prior(conn: Connection, project: int, prior: list[float]) -> None:
    conn.execute(_SET_PRIOR, {"project": project, "prior": prior})


_RECORDED_ITEMS = text(
    "SELECT r.item_id FROM records r WHERE r.project_id = :project ORDER BY r.item_id")


def recorded_items(conn: Connection, project: int) -> list[int]:
    return list(conn.execute(_RECORDED_ITEMS, {"project": project}).scalars())


_REVIEWED = text(
    "SELECT item_id, answer FROM records WHERE project_id = :project AND method = 'review' "
    "ORDER BY item_id").columns(item_id=Integer, answer=Json)
_SET_REVIEWED = text(
    "UPDATE records SET answer = :answer WHERE item_id = :item AND method = 'review'"
).bindparams(bindparam("answer", type_=Json))


def reviewed_answers(conn: Connection, project: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """(item_id, answer) of the records an audit review set (a recompute leaves them)."""
    return conn.execute(_REVIEWED, {"project": project}).all()


def set_reviewed_answers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Rewrite reviewed records' answers: {item, answer} each."""
    if rows:
        conn.execute(_SET_REVIEWED, rows)
