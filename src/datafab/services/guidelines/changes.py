"""A guideline version's changelog, recorded in the transaction that makes the version."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services.projects import load_project
from datafab.store import guideline_changes as sql
from datafab.store.handles import Connection

MAX_QUIZ_ITEMS = 20


class ChangeFields(BaseModel):
    """The fields of ``PATCH /v1/projects/{id}`` that go with new ``guidelines``."""

    model_config = ConfigDict(strict=True, extra="ignore")

    guidelines: str | None = None
    changelog: str | None = Field(None, max_length=20_000)
    requires_acknowledgement: bool | None = None
    quiz_items: int | None = Field(None, ge=0, le=MAX_QUIZ_ITEMS)


def check(patch: ChangeFields) -> None:
    """Bad combinations, before anything is written (``InvalidInput`` naming the field)."""
    if patch.guidelines is None:
        for name in ("changelog", "requires_acknowledgement", "quiz_items"):
            if getattr(patch, name) is not None:
                raise InvalidInput(f"{name}: only with new guidelines", field=name)
        return
    if patch.requires_acknowledgement and not (patch.changelog or "").strip():
        raise InvalidInput("changelog: a change contributors must acknowledge needs a "
                           "changelog saying what changed", field="changelog")
    if patch.quiz_items and not patch.requires_acknowledgement:
        raise InvalidInput("quiz_items: a quiz goes with requires_acknowledgement: true",
                           field="quiz_items")


def record(foundry: Foundry, conn: Connection, project_id: int, version: int,
           patch: ChangeFields, now: float) -> None:
    """In the patch's transaction: the new version's changelog (and its quiz size, checked
    against the project's gold items)."""
    quiz = patch.quiz_items or 0
    if quiz and len(sql.gold_item_ids(conn, project_id, limit=quiz)) < quiz:
        raise InvalidInput(f"quiz_items: the project has fewer than {quiz} gold items",
                           field="quiz_items")
    sql.add_change(conn, project=project_id, version=version,
                   changelog=(patch.changelog or "").strip(),
                   requires_ack=bool(patch.requires_acknowledgement), quiz_items=quiz, now=now)
    foundry.cache.forget(("guidelines_ack", project_id))


def history(foundry: Foundry, organization: int | None, project_id: int) -> list[dict[str, Any]]:
    """The project's changelog, newest first (``NotFound`` for another organization's)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        return [asdict(c) for c in sql.changes(conn, project.id)]
