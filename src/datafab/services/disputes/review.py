"""An operator reviews disputes: the queue, and a decision — upheld (the gold answer was
wrong: it is corrected and everyone who answered the item is re-scored) or rejected (it
stands) — with a reason the contributor reads in their inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import audit, quality
from datafab.services.disputes import DisputeStatus
from datafab.services.disputes.rescoring import rescore
from datafab.services.messages import inbox, mail
from datafab.services.projects import load_project
from datafab.services.quality import gold_evidence
from datafab.store import disputes as sql


class ResolutionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    decision: DisputeStatus = Field(strict=False, description="upheld (the gold answer "
                                    "was wrong) or rejected (it stands).")
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the "
                        "contributor.")
    corrected_answer: dict[str, Any] | None = Field(
        None, description="With upheld: the right answer (the disputed answer when left out).")
    explanation: str | None = Field(None, max_length=2000, description="With upheld: the "
                                    "gold item's new explanation (the reason when left out).")


@dataclass(frozen=True)
class QueuedDispute:
    id: int
    project_id: int
    project_name: str
    item_id: int
    submission_id: int
    external_id: str
    data: dict[str, Any]
    contributor_id: int
    contributor_name: str
    answer: dict[str, Any]
    gold_answer: dict[str, Any] | None
    explanation: str | None
    reason: str
    status: str
    resolution: str | None
    corrected_answer: dict[str, Any] | None
    resolved_by: str | None
    resolved_at: float | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _queued(r) -> QueuedDispute:
    return QueuedDispute(r.id, r.project_id, r.project_name, r.item_id, r.submission_id,
                         r.external_id, r.data,
                         r.contributor_id, r.contributor_name, r.answer, r.gold_answer,
                         (r.meta or {}).get("gold_explanation"), r.reason, r.status,
                         r.resolution, r.corrected_answer, r.resolved_by, r.resolved_at,
                         r.created_at)


def list_disputes(foundry: Foundry, status: str | None = "open") -> list[QueuedDispute]:
    """Disputes across the foundry (operators), oldest first; ``status`` None: all."""
    if status is not None and status not in set(DisputeStatus):
        raise InvalidInput(f"status: one of {', '.join(DisputeStatus)}", field="status")
    with foundry.db.read() as conn:
        return [_queued(r) for r in sql.listed(conn, status=status)]


def _parse(raw: Any) -> ResolutionIn:
    body = parse(ResolutionIn, raw)
    if body.decision == DisputeStatus.OPEN:
        raise InvalidInput("decision: upheld or rejected", field="decision")
    if not body.reason.strip():
        raise InvalidInput("reason: say why, for the contributor", field="reason")
    if body.decision == DisputeStatus.REJECTED and body.corrected_answer is not None:
        raise InvalidInput("corrected_answer: only when the dispute is upheld",
                           field="corrected_answer")
    return body


def resolve(foundry: Foundry, dispute_id: int, raw: Any, *,
            actor: str = "operator") -> dict[str, Any]:
    """Decide a dispute, in one transaction: close it; if upheld, correct the gold item,
    close as upheld the other open disputes of the item that the correction proves right,
    and re-score everyone who answered it; tell the contributor. What changed."""
    body = _parse(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        row = sql.get(conn, dispute_id)
        if row is None:
            raise NotFound(f"dispute {dispute_id} not found", field="dispute_id")
        if row.status != DisputeStatus.OPEN:
            raise Conflict(f"dispute {dispute_id} was {row.status} already", field="dispute_id")
        project = load_project(conn, None, row.project_id)
        reason = body.reason.strip()
        corrected = None
        if body.decision == DisputeStatus.UPHELD:
            given = body.corrected_answer if body.corrected_answer is not None else row.answer
            corrected = project.primitive.parse_answer(project.settings, row.data, given,
                                                       "corrected_answer")
        sql.close(conn, dispute_id, status=body.decision, resolution=reason,
                  corrected=corrected, by=actor, now=now)
        changes: list[dict[str, Any]] = []
        closed = [row]
        if corrected is not None:
            meta = {**(row.meta or {}), "gold_explanation": (body.explanation or reason).strip()}
            sql.set_gold(conn, row.item_id, corrected, meta)
            closed += _close_proven(conn, project, row.item_id, corrected, reason, actor, now)
            changes = rescore(foundry, conn, project, sql.answerers(conn, row.item_id), now,
                              actor=actor, dispute_id=dispute_id)
        for done in closed:
            _tell(conn, project, done, body.decision, reason, now)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action=f"dispute.{body.decision}", target=f"item:{row.item_id}",
                     details={"dispute_id": dispute_id, "reason": reason,
                              "gold_before": row.gold_answer, "gold_after": corrected,
                              "rescored": [c["contributor_id"] for c in changes]})
    if corrected is not None:
        quality.refit(foundry, project.id)  # the quality engine's fit weighs gold too
    mail.send_pending(foundry)
    return {"id": dispute_id, "status": str(body.decision), "corrected_answer": corrected,
            "closed": [d.id for d in closed], "changes": changes}


def _close_proven(conn, project, item_id: int, corrected: dict[str, Any], reason: str,
                  actor: str, now: float) -> list:
    """The item's other open disputes whose answers the corrected gold proves right."""
    proven = []
    for other in sql.listed(conn, status=DisputeStatus.OPEN):
        if other.item_id == item_id and gold_evidence(project, other.answer, corrected)[0]:
            sql.close(conn, other.id, status=DisputeStatus.UPHELD, resolution=reason,
                      corrected=corrected, by=actor, now=now)
            proven.append(other)
    return proven


def _tell(conn, project, dispute, decision: str, reason: str, now: float) -> None:
    verdict = ("upheld: the expected answer was wrong and has been corrected"
              if decision == DisputeStatus.UPHELD else "rejected: the expected answer stands")
    inbox.notify(conn, dispute.contributor_id, project_id=project.id, now=now,
                 subject=f"Your dispute on {dispute.external_id} was {decision}",
                 body=f"Your dispute of the check item {dispute.external_id} in "
                      f"{project.name} was {verdict}. {reason}")
