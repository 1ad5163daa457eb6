"""The contamination guard's SQL: eval prompts' fingerprints, the projects that grade an eval
set, and the skills of the production projects a contributor has written for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from datafab.store.tables import eval_items, eval_projects, projects, submissions

GRADING = ("grade", "compare")  # the purposes of an eval set's grading projects


def held(conn: Connection, organization: int, prints: list[str]) -> dict[str, int]:
    """{fingerprint: eval set id} of these fingerprints that are the organization's eval
    prompts."""
    rows = conn.execute(
        select(eval_items.c.fingerprint, eval_items.c.eval_set_id).where(
            eval_items.c.organization_id == organization,
            eval_items.c.fingerprint.in_(prints),
        )
    )
    return {r.fingerprint: r.eval_set_id for r in rows}


def is_grading_project(conn: Connection, project_id: int) -> bool:
    return conn.execute(
        select(eval_projects.c.project_id).where(eval_projects.c.project_id == project_id,
                                                 eval_projects.c.purpose.in_(GRADING))
    ).first() is not None


def grading_skills(conn: Connection, project_id: int) -> list[str] | None:
    """The slice skills of the eval set the project grades (``None``: it grades none)."""
    link = conn.execute(
        select(eval_projects.c.skills).where(eval_projects.c.project_id == project_id,
                                             eval_projects.c.purpose.in_(GRADING))
    ).first()
    return list(link.skills or []) if link is not None else None


def written_skills(conn: Connection, contributor: int, organization: int) -> list[Any]:
    """The required skills of each production project of the organization the contributor
    has a submission in."""
    grading = select(eval_projects.c.project_id).where(eval_projects.c.purpose.in_(GRADING))
    return [row.required_skills for row in conn.execute(
        select(projects.c.required_skills).distinct().join(
            submissions, submissions.c.project_id == projects.c.id
        ).where(
            submissions.c.contributor_id == contributor,
            projects.c.organization_id == organization,
            projects.c.id.not_in(grading),
        )
    ).all()]
