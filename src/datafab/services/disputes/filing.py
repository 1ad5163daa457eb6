"""A contributor disputes the verdict on one of their own answers to a gold item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import audit
from datafab.services.accounts import Contributor
from datafab.services.projects import load_project
from datafab.services.quality import gold_evidence
from datafab.store import disputes as sql


class DisputeIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    submission_id: int = Field(ge=1, description="Your answer to the check item.")
    reason: str = Field(min_length=1, max_length=2000, description="Why the expected "
                        "answer is wrong.")


@dataclass(frozen=True)
class Dispute:
    id: int
    project_id: int
    item_id: int
    submission_id: int
    status: str
    reason: str
    resolution: str | None
    created_at: float
    resolved_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _parse(raw: Any) -> DisputeIn:
    body = parse(DisputeIn, raw)
    if not body.reason.strip():
        raise InvalidInput("reason: say why the expected answer is wrong", field="reason")
    return body


def file_dispute(foundry: Foundry, contributor: Contributor, project_id: int,
                 raw: Any) -> Dispute:
    """Dispute the verdict on the contributor's own wrong answer to a gold item of the
    project. Another's answer, or one of another project: 404; an ordinary item's answer or
    one judged right: 422; disputed already: 409 — each naming ``submission_id``."""
    body = _parse(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        row = sql.answer_of(conn, body.submission_id)
        if row is None or row.contributor_id != contributor.id or row.project_id != project_id:
            raise NotFound(f"submission_id: no answer {body.submission_id} of yours in "
                           f"project {project_id}", field="submission_id")
        project = load_project(conn, None, project_id)
        if row.status != "gold":
            raise InvalidInput("submission_id: not an answer to a check item; only check "
                               "(gold) verdicts can be disputed", field="submission_id")
        if gold_evidence(project, row.answer, row.gold_answer)[0]:
            raise InvalidInput("submission_id: this answer was judged right; there is no "
                               "verdict against you to dispute", field="submission_id")
        if sql.exists_for(conn, row.id):
            raise Conflict(f"submission_id: answer {row.id} is disputed already",
                           field="submission_id")
        dispute_id = sql.add(conn, project=project.id, item=row.item_id, submission=row.id,
                             contributor=contributor.id, reason=body.reason.strip(), now=now)
        audit.record(conn, now, organization=project.organization_id,
                     actor=f"contributor {contributor.id}", action="dispute.filed",
                     target=f"item:{row.item_id}",
                     details={"dispute_id": dispute_id, "submission_id": row.id})
    return Dispute(dispute_id, project.id, row.item_id, row.id, "open", body.reason.strip(),
                   None, now, None)


def my_disputes(foundry: Foundry, contributor: Contributor) -> list[Dispute]:
    """The contributor's disputes, oldest first."""
    with foundry.db.read() as conn:
        rows = sql.listed(conn, status=None, contributor=contributor.id)
    return [Dispute(r.id, r.project_id, r.item_id, r.submission_id, r.status, r.reason,
                    r.resolution, r.created_at, r.resolved_at) for r in rows]
