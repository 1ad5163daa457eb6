"""Evaluations' rows: eval sets and their items, runs, responses, grades, and the projects
an eval set links to (grading, and data ordered from a gap).

Named queries only; what they mean (which score stands for a response, what a gap is) is
decided in ``services/evals/``. Every function takes the caller's connection, so a service
composes several of them inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from datafab.store.tables import (
    eval_grades,
    eval_items,
    eval_projects,
    eval_responses,
    eval_run_data,
    eval_runs,
    eval_sets,
    items,
    projects,
    records,
)

# -- eval sets and their items ------------------------------------------------------------------


def load_set(conn: Connection, organization: int, set_id: int) -> Row[Any] | None:
    return conn.execute(select(eval_sets).where(
        eval_sets.c.id == set_id, eval_sets.c.organization_id == organization)).first()


def set_ids(conn: Connection, organization: int) -> list[int]:
    return list(conn.execute(select(eval_sets.c.id).where(
        eval_sets.c.organization_id == organization).order_by(eval_sets.c.id)).scalars())


def insert_set(conn: Connection, organization: int, name: str, description: str,
               now: float) -> int:
    """A taken name raises ``IntegrityError`` (the caller's transaction writes nothing)."""
    set_id: int = conn.execute(insert(eval_sets).values(
        organization_id=organization, name=name, description=description,
        created_at=now).returning(eval_sets.c.id)).scalar_one()
    return set_id


def insert_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Eval items, each row naming its ``eval_set_id``."""
    if rows:
        conn.execute(insert(eval_items), list(rows))


def item_contents(conn: Connection, set_id: int) -> list[Row[Any]]:
    """What each stored item says (to tell a re-sent item from a changed one)."""
    return list(conn.execute(
        select(eval_items.c.external_id, eval_items.c.prompt, eval_items.c.reference,
               eval_items.c.slices).where(eval_items.c.eval_set_id == set_id)))


def item_shapes(conn: Connection, set_id: int) -> list[Row[Any]]:
    """Each item's reference and slices (to count kinds and slices)."""
    return list(conn.execute(select(eval_items.c.reference, eval_items.c.slices).where(
        eval_items.c.eval_set_id == set_id)))


def count_items(conn: Connection, set_id: int) -> int:
    n: int = conn.execute(select(func.count()).where(
        eval_items.c.eval_set_id == set_id)).scalar_one()
    return n


def references(conn: Connection, set_id: int, item_ids: Iterable[int]) -> dict[int, Any]:
    """Item id -> reference, for the listed items that belong to the set."""
    return {r.id: r.reference for r in conn.execute(
        select(eval_items.c.id, eval_items.c.reference).where(
            eval_items.c.eval_set_id == set_id, eval_items.c.id.in_(list(item_ids))))}


# -- runs ---------------------------------------------------------------------------------------


def load_run(conn: Connection, organization: int, run_id: int) -> Row[Any] | None:
    """The run, if its eval set belongs to ``organization``."""
    return conn.execute(
        select(eval_runs, eval_sets.c.organization_id)
        .join(eval_sets, eval_sets.c.id == eval_runs.c.eval_set_id)
        .where(eval_runs.c.id == run_id, eval_sets.c.organization_id == organization)
    ).first()


def run_by_name(conn: Connection, set_id: int, name: str) -> Row[Any] | None:
    return conn.execute(select(eval_runs).where(eval_runs.c.eval_set_id == set_id,
                                                eval_runs.c.name == name)).first()


def insert_run(conn: Connection, set_id: int, *, name: str, model: str, backend: str,
               params: dict[str, Any], now: float, family: str | None = None) -> int:
    run_id: int = conn.execute(insert(eval_runs).values(
        eval_set_id=set_id, name=name, model=model, backend=backend, params=params,
        family=family, created_at=now).returning(eval_runs.c.id)).scalar_one()
    return run_id


def link_training_data(conn: Connection, run_id: int, project_ids: Iterable[int]) -> None:
    """Name the data projects the run's model was trained on."""
    rows = [{"run_id": run_id, "project_id": p} for p in project_ids]
    if rows:
        conn.execute(insert(eval_run_data), rows)


def training_data(conn: Connection, run_ids: Iterable[int]) -> dict[int, list[int]]:
    """Run id -> the project ids it was trained on (ascending); runs naming none: absent."""
    out: dict[int, list[int]] = {}
    for row in conn.execute(select(eval_run_data.c.run_id, eval_run_data.c.project_id)
                            .where(eval_run_data.c.run_id.in_(list(run_ids)))
                            .order_by(eval_run_data.c.run_id, eval_run_data.c.project_id)):
        out.setdefault(row.run_id, []).append(row.project_id)
    return out


def projects_of(conn: Connection, organization: int, project_ids: Iterable[int]) -> set[int]:
    """Which of these projects belong to the organization."""
    return set(conn.execute(select(projects.c.id).where(
        projects.c.organization_id == organization,
        projects.c.id.in_(list(project_ids)))).scalars())


def runs_of_set(conn: Connection, set_id: int) -> list[Row[Any]]:
    """The set's runs, oldest first."""
    return list(conn.execute(select(eval_runs).where(eval_runs.c.eval_set_id == set_id)
                             .order_by(eval_runs.c.id)))


def runs_with_counts(conn: Connection, set_id: int) -> list[Row[Any]]:
    """(id, name, model, responses) per run of the set, oldest first."""
    return list(conn.execute(
        select(eval_runs.c.id, eval_runs.c.name, eval_runs.c.model,
               func.count(eval_responses.c.id).label("responses"))
        .outerjoin(eval_responses, eval_responses.c.run_id == eval_runs.c.id)
        .where(eval_runs.c.eval_set_id == set_id)
        .group_by(eval_runs.c.id, eval_runs.c.name, eval_runs.c.model)
        .order_by(eval_runs.c.id)))


def count_responses(conn: Connection, run_id: int) -> int:
    n: int = conn.execute(select(func.count()).where(
        eval_responses.c.run_id == run_id)).scalar_one()
    return n


def _answered(run_id: int) -> Any:
    return select(eval_responses.c.item_id).where(eval_responses.c.run_id == run_id)


def unanswered_items(conn: Connection, set_id: int, run_id: int, *, after: int,
                     limit: int) -> list[Row[Any]]:
    """The set's items the run has no response for, after item id ``after``."""
    return list(conn.execute(
        select(eval_items.c.id, eval_items.c.external_id, eval_items.c.prompt)
        .where(eval_items.c.eval_set_id == set_id, eval_items.c.id > after,
               eval_items.c.id.not_in(_answered(run_id)))
        .order_by(eval_items.c.id).limit(limit)))


def count_unanswered(conn: Connection, set_id: int, run_id: int) -> int:
    n: int = conn.execute(select(func.count()).where(
        eval_items.c.eval_set_id == set_id,
        eval_items.c.id.not_in(_answered(run_id)))).scalar_one()
    return n


# -- responses and grades -----------------------------------------------------------------------


def answered_among(conn: Connection, run_id: int, item_ids: Iterable[int]) -> set[int]:
    """Which of these items the run has a response for."""
    return set(conn.execute(select(eval_responses.c.item_id).where(
        eval_responses.c.run_id == run_id,
        eval_responses.c.item_id.in_(list(item_ids)))).scalars())


def insert_response(conn: Connection, run_id: int, values: dict[str, Any], now: float
                    ) -> int:
    rid: int = conn.execute(insert(eval_responses).values(
        run_id=run_id, created_at=now, **values).returning(eval_responses.c.id)).scalar_one()
    return rid


def insert_grades(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Grades: {response_id, source, score, details, created_at} each."""
    if rows:
        conn.execute(insert(eval_grades), list(rows))


def responses_of_runs(conn: Connection, run_ids: Sequence[int]) -> list[Row[Any]]:
    """The runs' responses with their items, by item then run."""
    return list(conn.execute(
        select(eval_responses.c.id, eval_responses.c.run_id, eval_responses.c.text,
               eval_items.c.id.label("item_id"), eval_items.c.external_id,
               eval_items.c.prompt, eval_items.c.reference, eval_items.c.slices)
        .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
        .where(eval_responses.c.run_id.in_(list(run_ids)))
        .order_by(eval_items.c.id, eval_responses.c.run_id)))


def _set_response_ids(set_id: int) -> Any:
    return select(eval_responses.c.id).join(
        eval_runs, eval_runs.c.id == eval_responses.c.run_id).where(
        eval_runs.c.eval_set_id == set_id)


def responses_in_set(conn: Connection, set_id: int, response_ids: Iterable[int]) -> set[int]:
    """Which of these responses answer items of the set."""
    return set(conn.execute(_set_response_ids(set_id).where(
        eval_responses.c.id.in_(list(response_ids)))).scalars())


def graded_by(conn: Connection, source: str, response_ids: Iterable[int]) -> set[int]:
    """Which of these responses ``source`` has graded."""
    return set(conn.execute(select(eval_grades.c.response_id).where(
        eval_grades.c.source == source,
        eval_grades.c.response_id.in_(list(response_ids)))).scalars())


def ungraded_by(conn: Connection, set_id: int, source: str, *, after: int) -> list[Row[Any]]:
    """The set's responses ``source`` has not graded, after response id ``after``."""
    done = select(eval_grades.c.response_id).where(eval_grades.c.source == source)
    return list(conn.execute(
        select(eval_responses.c.id, eval_responses.c.text, eval_items.c.prompt,
               eval_items.c.reference)
        .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
        .join(eval_runs, eval_runs.c.id == eval_responses.c.run_id)
        .where(eval_runs.c.eval_set_id == set_id, eval_responses.c.id > after,
               eval_responses.c.id.not_in(done))
        .order_by(eval_responses.c.id)))


def set_responses(conn: Connection, set_id: int) -> list[Row[Any]]:
    """Every response to the set, with its item."""
    return list(conn.execute(
        select(eval_responses.c.id, eval_responses.c.run_id, eval_responses.c.item_id,
               eval_responses.c.text, eval_items.c.external_id, eval_items.c.prompt,
               eval_items.c.reference, eval_items.c.slices)
        .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
        .join(eval_runs, eval_runs.c.id == eval_responses.c.run_id)
        .where(eval_runs.c.eval_set_id == set_id)))


def set_grades(conn: Connection, set_id: int) -> list[Row[Any]]:
    """(response_id, source, score) of every grade of the set's responses."""
    return list(conn.execute(
        select(eval_grades.c.response_id, eval_grades.c.source, eval_grades.c.score)
        .where(eval_grades.c.response_id.in_(_set_response_ids(set_id)))))


# -- projects linked to an eval set -------------------------------------------------------------


def link_project(conn: Connection, project_id: int, set_id: int, *, purpose: str,
                 run_id: int | None, slice_key: str | None, skills: list[str],
                 now: float) -> None:
    conn.execute(insert(eval_projects).values(
        project_id=project_id, eval_set_id=set_id, purpose=purpose, run_id=run_id,
        slice=slice_key, skills=skills, created_at=now))


def linked_project_names(conn: Connection, set_id: int) -> set[str]:
    return set(conn.execute(
        select(projects.c.name)
        .join(eval_projects, eval_projects.c.project_id == projects.c.id)
        .where(eval_projects.c.eval_set_id == set_id)).scalars())


def insert_work_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Checked rows of the ordinary ``items`` table (a linked project's items)."""
    if rows:
        conn.execute(insert(items), list(rows))


def people_judgments(conn: Connection, set_id: int, purposes: Sequence[str]
                     ) -> list[Row[Any]]:
    """(external_id, answer, n_submissions, purpose) of every finished record of the set's
    grading projects of these purposes."""
    return list(conn.execute(
        select(items.c.external_id, records.c.answer, records.c.n_submissions,
               eval_projects.c.purpose)
        .join(records, records.c.item_id == items.c.id)
        .join(eval_projects, eval_projects.c.project_id == items.c.project_id)
        .where(eval_projects.c.eval_set_id == set_id, items.c.status == "done",
               eval_projects.c.purpose.in_(list(purposes)))))
