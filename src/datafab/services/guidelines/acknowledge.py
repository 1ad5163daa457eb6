"""The contributor's side of a material change (what is owed, its quiz, the
acknowledgement) and the requester's roster of who has acknowledged."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import audit, confidentiality
from datafab.services.accounts import Contributor
from datafab.services.admission import owed, required_change
from datafab.services.projects import load_project
from datafab.services.quality import gold_evidence
from datafab.services.site_keys import Pseudonyms
from datafab.store import guideline_changes as sql

PASS_MARK = 0.8  # share of the quiz to get right


class QuizAnswer(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    item_id: int
    answer: dict[str, Any]


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    version: int | None = Field(None, ge=1, description="The guideline version read (the "
                                "current one when left out).")
    answers: list[QuizAnswer] = Field(default_factory=list, max_length=50,
                                      description="Answers to the quiz, when it has one.")


@dataclass(frozen=True)
class Pending:
    project_id: int
    version: int
    changelog: str
    quiz: list[dict[str, Any]]  # {"item_id", "data"}: gold items, answers withheld


def _quiz_ids(conn, project_id: int, contributor_id: int, version: int, n: int) -> list[int]:
    """The contributor's quiz: ``n`` of the project's gold items, the same on every ask."""
    ids = sql.gold_item_ids(conn, project_id)
    chosen = random.Random(f"{project_id}:{contributor_id}:{version}").sample(
        ids, min(n, len(ids)))
    return sorted(chosen)


def pending(foundry: Foundry, contributor: Contributor, project_id: int) -> Pending | None:
    """What this contributor has to acknowledge on a project they may see, with its quiz."""
    with foundry.db.read() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        change = owed(foundry, conn, project, contributor)
        if change is None:
            return None
        ids = _quiz_ids(conn, project.id, contributor.id, change.version, change.quiz_items)
        quiz = [{"item_id": r.id, "data": r.data} for r in sql.gold_items(conn, ids)]
    return Pending(project.id, change.version, change.changelog, quiz)


def acknowledge(foundry: Foundry, contributor: Contributor, project_id: int,
                raw: Any) -> dict[str, Any]:
    """Acknowledge a guideline version (the current one by default). With a quiz, the
    answers are scored first: below the pass mark nothing is recorded and the answer says
    which were wrong, with the expected answers."""
    body = _parse(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        version = body.version if body.version is not None else project.guideline_version
        if version > project.guideline_version or not sql.version_exists(conn, project.id,
                                                                          version):
            raise InvalidInput(f"version: project {project.id} has no guideline version "
                               f"{version} (the current one is {project.guideline_version})",
                               field="version")
        change = required_change(foundry, conn, project.id)
        quiz_n = change.quiz_items if change is not None and change.version <= version else 0
        result = _score(conn, project, contributor.id, change.version if change else 0,
                        quiz_n, body.answers)
        if result is not None and not result["passed"]:
            return {"project_id": project.id, "version": version, "acknowledged": False,
                    "quiz": result}
        seen, right = (result["total"], result["correct"]) if result else (0, 0)
        if sql.add_ack(conn, project=project.id, contributor=contributor.id, version=version,
                       quiz_seen=seen, quiz_correct=right, now=now):
            audit.record(conn, now, organization=project.organization_id,
                         actor=f"contributor {contributor.id}",
                         action="guidelines.acknowledged", target=f"project:{project.id}",
                         details={"version": version, "contributor_id": contributor.id,
                                  "quiz": [right, seen] if result else None})
    return {"project_id": project.id, "version": version, "acknowledged": True,
            "quiz": result}


def _parse(raw: Any) -> AcknowledgeIn:
    return parse(AcknowledgeIn, raw, missing_is_empty=True)


def _score(conn, project, contributor_id: int, version: int, n: int,
           answers: list[QuizAnswer]) -> dict[str, Any] | None:
    """The quiz's score, or None when there is no quiz; the answers must be exactly the
    quiz's items (``InvalidInput`` naming ``answers`` otherwise)."""
    if not n:
        return None
    ids = _quiz_ids(conn, project.id, contributor_id, version, n)
    given = {a.item_id: a.answer for a in answers}
    if sorted(given) != ids or len(given) != len(answers):
        raise InvalidInput(f"answers: answer each quiz item once (items {ids})",
                           field="answers")
    feedback = []
    for i, row in enumerate(sql.gold_items(conn, ids)):
        where = f"answers.{i}.answer"
        parsed = project.primitive.parse_answer(project.settings, row.data, given[row.id],
                                                where)
        correct, _ = gold_evidence(project, parsed, row.gold_answer)
        feedback.append({"item_id": row.id, "correct": bool(correct),
                         "expected": row.gold_answer,
                         "explanation": (row.meta or {}).get("gold_explanation")})
    right = sum(f["correct"] for f in feedback)
    passed = right >= math.ceil(PASS_MARK * len(feedback) - 1e-9)
    return {"total": len(feedback), "correct": right, "passed": passed, "items": feedback}


def roster(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    """Who must acknowledge the latest material change, and who has (requester's view,
    contributors under the project's pseudonyms)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        change = sql.latest_required(conn, project.id)
        if change is None:
            return {"project_id": project.id, "version": None, "changelog": None,
                    "contributors": []}
        rows = sql.roster(conn, project.id, change.version)
    pseudonym = Pseudonyms(foundry)  # requesters see contributors under pseudonyms
    return {"project_id": project.id, "version": change.version, "changelog": change.changelog,
            "contributors": [{"contributor": pseudonym(project.id, r.contributor_id),
                              "acknowledged_at": r.acknowledged_at,
                              "quiz_correct": r.quiz_correct, "quiz_seen": r.quiz_seen}
                             for r in rows]}
