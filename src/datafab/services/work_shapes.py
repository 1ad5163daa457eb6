"""What the work service takes and gives back: a lease, a batch of them with the state of the
contributor's access, a receipt for a submission, and the bodies of a submit and a release.
``services.work`` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab import json_limits
from datafab.services import hybrid


@dataclass(frozen=True)
class Lease:
    id: int
    project_id: int
    item_id: int
    external_id: str
    data: dict[str, Any]
    expires_at: float
    guideline_version: int
    suggestion: dict[str, Any] | None = None  # a model's answer, where the project shows it

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "project_id": self.project_id,
            "expires_at": self.expires_at,
            "guideline_version": self.guideline_version,
            "item": {"id": self.item_id, "external_id": self.external_id, "data": self.data},
        }
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        return out


@dataclass(frozen=True)
class Receipt:
    """What a contributor gets back for a stored submission; ``feedback`` after a gold item."""

    submission_id: int
    lease_id: int | None  # None: an answer that came without a lease (an imported prior answer)
    item_id: int
    item_done: bool
    feedback: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "submission_id": self.submission_id,
            "lease_id": self.lease_id,
            "item_id": self.item_id,
            "item_done": self.item_done,
        }
        if self.feedback is not None:
            out["feedback"] = self.feedback
        return out




class SubmissionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    answer: dict[str, Any]
    seconds_spent: float | None = Field(None, ge=0, le=86_400)
    draft: json_limits.FreeForm = Field(
        None, description=f"Up to {json_limits.MAX_FREE_FORM_BYTES:,} bytes as JSON.")
    confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="A model's calibrated confidence in its answer."
    )
    usage: hybrid.UsageIn | None = Field(None, description="What a model's answer cost.")


class BatchSubmissionIn(SubmissionIn):
    lease_id: int


class ReleaseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reason: str = Field("skipped", pattern="^(skipped|malformed|failed)$",
                        description="Why the lease comes back: skipped, malformed, failed.")
    usage: hybrid.UsageIn | None = Field(None, description="What a model's failed try cost.")


@dataclass(frozen=True)
class LeaseBatch:
    """Leases granted by one call, and the state of the contributor's access to the project:
    ``open`` (``reason`` empty), ``qualifying`` or ``probation`` while work still flows, or
    why nothing will come for now (``budget_reached``, ``budget_reserved`` — the rest of the
    budget is held by leases out, ask again later —, ``share_reached``). A project the
    contributor may not see (paused, skills they lack, a private pool they are not in,
    removed, a failed qualification, an eval set's grading barred to them) is not found at
    all (``confidentiality``). On a budgeted
    project a batch may be shorter than asked: each lease reserves the price of its task,
    and only what the budget left pays for is granted."""

    leases: list[Lease]
    state: str = "open"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"leases": [lease.to_dict() for lease in self.leases], "state": self.state,
                "reason": self.reason}
