"""Applying to a campaign: the questionnaire, then the screening test (gold items per skill,
scored at once against their gold answers)."""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services.accounts import Contributor
from datafab.services.projects import load_project
from datafab.services.quality import gold_evidence
from datafab.store import recruiting as sql
from datafab.store.handles import IntegrityError


class ApplicationIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    answers: list[str] = Field(default_factory=list, max_length=20, description="One answer "
                               "per question of the questionnaire, in order.")
    source: str = Field("direct", pattern=r"^[a-z0-9_-]{1,64}$", description="Where the "
                        "applicant came from (referral when they used the campaign's link).")


class ScreeningAnswer(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    item_id: int
    answer: dict[str, Any]


class ScreeningIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    answers: list[ScreeningAnswer] = Field(max_length=400)


def apply(foundry: Foundry, contributor: Contributor, campaign_id: int,
          raw: Any) -> dict[str, Any]:
    body: ApplicationIn = parse(ApplicationIn, raw)
    try:
        with foundry.db.write() as conn:
            campaign = _open(conn, campaign_id)
            questions = campaign.spec.get("questionnaire") or []
            if len(body.answers) != len(questions):
                raise InvalidInput(f"answers: answer each of the {len(questions)} questions",
                                   field="answers")
            for i, text in enumerate(body.answers):
                if not text.strip():
                    raise InvalidInput(f"answers.{i}: answer the question", field=f"answers.{i}")
            app_id = sql.add_application(conn, campaign_id=campaign.id,
                                         contributor=contributor.id, source=body.source,
                                         answers=[a.strip() for a in body.answers],
                                         now=foundry.now())
    except IntegrityError as exc:
        raise Conflict("campaign_id: you applied to this campaign already",
                       field="campaign_id") from exc
    return {"id": app_id, "campaign_id": campaign_id, "source": body.source,
            "screening": screening_items(foundry, contributor, campaign_id)}


def _open(conn, campaign_id: int):
    row = sql.campaign(conn, campaign_id)
    if row is None or row.status != "open":
        raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")
    return row


def _test_ids(conn, campaign, contributor_id: int) -> list[int]:
    chosen: list[int] = []
    for part in campaign.spec.get("screening") or []:
        ids = sql.gold_ids(conn, part["project_id"])
        rng = random.Random(f"{campaign.id}:{contributor_id}:{part['project_id']}")
        chosen += rng.sample(ids, min(part["items"], len(ids)))
    return sorted(set(chosen))


def screening_items(foundry: Foundry, contributor: Contributor,
                    campaign_id: int) -> list[dict[str, Any]]:
    """The applicant's screening test: gold items (their answers withheld)."""
    with foundry.db.read() as conn:
        campaign = _open(conn, campaign_id)
        rows = sql.gold_rows(conn, _test_ids(conn, campaign, contributor.id))
        primitives = {r.project_id: load_project(conn, None, r.project_id).primitive_name
                      for r in rows}
    return [{"item_id": r.id, "primitive": primitives[r.project_id], "data": r.data}
            for r in rows]


def screen(foundry: Foundry, contributor: Contributor, campaign_id: int,
           raw: Any) -> dict[str, Any]:
    """Score the screening test: passed at the campaign's pass mark (the stage is reached
    then); the score is kept either way, and the test is taken once."""
    body: ScreeningIn = parse(ScreeningIn, raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        campaign = _open(conn, campaign_id)
        application = sql.application(conn, campaign.id, contributor.id)
        if application is None:
            raise NotFound("campaign_id: apply to the campaign first", field="campaign_id")
        if application.screening_score is not None:
            raise Conflict("answers: the screening test was taken already", field="answers")
        ids = _test_ids(conn, campaign, contributor.id)
        given = {a.item_id: a.answer for a in body.answers}
        if sorted(given) != ids or len(given) != len(body.answers):
            raise InvalidInput(f"answers: answer each test item once (items {ids})",
                               field="answers")
        right = 0
        for i, row in enumerate(sql.gold_rows(conn, ids)):
            project = load_project(conn, None, row.project_id)
            answer = project.primitive.parse_answer(project.settings, row.data, given[row.id],
                                                    f"answers.{i}.answer")
            right += bool(gold_evidence(project, answer, row.gold_answer)[0])
        score = right / len(ids) if ids else 1.0
        passed = score >= campaign.spec.get("pass_mark", 0.8) - 1e-9
        sql.set_screening(conn, application.id, score, now if passed else None)
    return {"campaign_id": campaign_id, "score": score, "passed": passed,
            "correct": right, "total": len(ids)}


def mine(foundry: Foundry, contributor: Contributor) -> list[dict[str, Any]]:
    """The contributor's applications: campaign, source, screening score and stages kept."""
    with foundry.db.read() as conn:
        rows = sql.applications_of(conn, contributor.id)
    return [{"id": r.id, "campaign_id": r.campaign_id, "source": r.source,
             "screening_score": r.screening_score, "screened_at": r.screened_at,
             "credential_at": r.credential_at, "applied_at": r.applied_at} for r in rows]


def settings_of(foundry: Foundry, item_id: int) -> dict[str, Any]:
    """The settings of the project a screening item belongs to (for its answer form)."""
    with foundry.db.read() as conn:
        rows = sql.gold_rows(conn, [item_id])
        if not rows:
            raise NotFound(f"item {item_id} not found", field="item_id")
        return dict(load_project(conn, None, rows[0].project_id).settings_raw)
