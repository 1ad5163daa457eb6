"""Recruitment campaigns, opened by operators."""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services.projects import load_project
from datafab.services.workforce import Requirement
from datafab.store import recruiting as sql
from datafab.store.handles import IntegrityError


class ScreeningPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill: str = Field(min_length=1, max_length=128, description="The skill it screens.")
    project_id: int = Field(ge=1, description="The project whose gold items make the test.")
    items: int = Field(3, ge=1, le=20, description="Gold items drawn from it.")


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    skills: list[Requirement] = Field(default_factory=list, max_length=50,
                                      description="Skills and languages wanted.")
    questionnaire: list[str] = Field(default_factory=list, max_length=20,
                                     description="Questions every applicant answers.")
    screening: list[ScreeningPart] = Field(default_factory=list, max_length=20)
    pass_mark: float = Field(0.8, ge=0.0, le=1.0, description="Share of the screening test "
                             "to get right.")
    expert_skills: list[str] = Field(default_factory=list, max_length=20, description=
                                     "Skills whose applicants upload a credential.")
    referral_code: str | None = Field(None, pattern=r"^[a-z0-9-]{3,64}$", description="The "
                                      "code in the campaign's link (made when left out).")

    @field_validator("expert_skills")
    @classmethod
    def _known_skills(cls, value: list[str], info: ValidationInfo) -> list[str]:
        wanted = {r.name for r in info.data.get("skills") or []}
        for i, name in enumerate(value):
            if name not in wanted:
                raise ValueError(f"item {i}: {name!r} is not among the skills")
        return value


def create(foundry: Foundry, raw: Any) -> dict[str, Any]:
    """Open a campaign (``InvalidInput`` naming the field; nothing written)."""
    spec = parse(CampaignIn, raw)
    code = spec.referral_code or secrets.token_hex(4)
    try:
        with foundry.db.write() as conn:
            for i, part in enumerate(spec.screening):
                _project_of(conn, part.project_id, f"screening.{i}.project_id")
                if len(sql.gold_ids(conn, part.project_id)) < part.items:
                    raise InvalidInput(f"screening.{i}.items: project {part.project_id} has "
                                       f"fewer than {part.items} gold items",
                                       field=f"screening.{i}.items")
            body = spec.model_dump(mode="json", exclude={"name", "referral_code"})
            campaign_id = sql.add_campaign(conn, name=spec.name, spec=body, code=code,
                                           now=foundry.now())
    except IntegrityError as exc:
        raise Conflict("name: a campaign with this name or referral code exists",
                       field="name") from exc
    return get(foundry, campaign_id)


def _project_of(conn, project_id: int, field: str) -> None:
    try:
        load_project(conn, None, project_id)
    except NotFound as exc:
        raise InvalidInput(f"{field}: {exc.message}", field=field) from exc


def _out(row) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "referral_code": row.referral_code,
            "status": row.status, "created_at": row.created_at, **row.spec}


def get(foundry: Foundry, campaign_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = sql.campaign(conn, campaign_id)
    if row is None:
        raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")
    return _out(row)


def by_code(foundry: Foundry, code: str) -> dict[str, Any]:
    """The open campaign behind a referral code (its questionnaire; never its test's
    answers)."""
    with foundry.db.read() as conn:
        row = sql.campaign_by_code(conn, code)
    if row is None or row.status != "open":
        raise NotFound("referral_code: no open campaign with this code", field="referral_code")
    return _out(row)


def listed(foundry: Foundry) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        return [_out(r) for r in sql.campaigns(conn)]
