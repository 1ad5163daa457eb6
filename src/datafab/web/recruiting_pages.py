"""Applying to a recruitment campaign in the workbench (``/work/apply/{referral code}``, the
campaign's link; someone without an account signs up first and comes back): the
questionnaire, the screening test one item at a time with the primitive's own form (the
answers so far ride in a hidden field and are scored on the server at the end), then the
credential upload for the campaign's expert skills."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.responses import Response

from datafab.errors import DatafabError, InvalidInput
from datafab.services.recruiting import applying, campaigns, credentials
from datafab.web.answers import answer_from
from datafab.web.guards import ContributorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, read_form, redirect

# Included before the workbench's router: its /work/{project_id} would take these paths.
router = APIRouter(prefix="/work/apply", route_class=PageRoute, include_in_schema=False)


def _state(foundry, who, code: str) -> dict[str, Any]:
    campaign = campaigns.by_code(foundry, code)
    mine = [a for a in applying.mine(foundry, who) if a["campaign_id"] == campaign["id"]]
    return {"campaign": campaign, "application": mine[0] if mine else None,
            "credentials": credentials.listed(foundry, None, who)}


def _show(request: Request, foundry, who, code: str, errors=None, status: int = 200,
          **extra: Any) -> Response:
    return page(request, "work/apply.html", status, title="Apply", code=code,
                errors=errors or {}, **_state(foundry, who, code), **extra)


@router.get("/{code}")
def apply_page(request: Request, code: str, who: ContributorSession,
               foundry: PageFoundry) -> Response:
    return _show(request, foundry, who, code)


@router.post("/{code}")
def apply(request: Request, code: str, form: Posted, who: ContributorSession,
          foundry: PageFoundry) -> Response:
    campaign = campaigns.by_code(foundry, code)
    answers = [str(form.get(f"answer-{i}") or "") for i in range(len(campaign["questionnaire"]))]
    try:
        applying.apply(foundry, who, campaign["id"], {"answers": answers,
                                                      "source": str(form.get("source")
                                                                    or "referral")})
    except DatafabError as exc:
        return _show(request, foundry, who, code, field_errors(exc), exc.status,
                     values=answers)
    return redirect(request, f"/work/apply/{code}")


@router.post("/{code}/screening")
def screening(request: Request, code: str, form: Posted, who: ContributorSession,
              foundry: PageFoundry) -> Response:
    campaign = campaigns.by_code(foundry, code)
    test = applying.screening_items(foundry, who, campaign["id"])
    given = _given(form)
    if form.get("item_id") is not None and len(given) < len(test):
        item = test[len(given)]
        try:
            given.append({"item_id": item["item_id"], "answer": answer_from(
                item["primitive"], form, item["data"], _settings(foundry, item))})
        except InvalidInput as exc:
            return _step(request, foundry, code, campaign, test, given, field_errors(exc),
                         422)
    if len(given) < len(test):
        return _step(request, foundry, code, campaign, test, given, {})
    try:
        result = applying.screen(foundry, who, campaign["id"], {"answers": given})
    except DatafabError as exc:
        return _show(request, foundry, who, code, field_errors(exc), exc.status)
    return _show(request, foundry, who, code, screened=result)


def _settings(foundry, item) -> dict[str, Any]:
    return applying.settings_of(foundry, item["item_id"])


def _given(form) -> list[dict[str, Any]]:
    try:
        raw = json.loads(str(form.get("given") or "[]"))
    except ValueError:
        return []
    return [g for g in raw if isinstance(g, dict) and isinstance(g.get("item_id"), int)
            and isinstance(g.get("answer"), dict)] if isinstance(raw, list) else []


def _step(request, foundry, code, campaign, test, given, errors,
          status: int = 200) -> Response:
    item = test[len(given)]
    return page(request, "work/screening.html", status, title="Screening test", code=code,
                campaign=campaign, item=item, step=len(given) + 1, total=len(test),
                given=json.dumps(given), errors=errors, settings=_settings(foundry, item))


@router.post("/{code}/credentials")
async def upload(request: Request, code: str, who: ContributorSession,
                 foundry: PageFoundry) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_form(request)
    upload = form.get("file")
    content = b""
    filename = ""
    if isinstance(upload, StarletteUpload):
        content = await upload.read(credentials.MAX_BYTES + 1)
        filename = upload.filename or ""
    try:
        await run_in_threadpool(credentials.upload, foundry, who, str(form.get("skill") or ""),
                                filename, content)
    except DatafabError as exc:
        return await run_in_threadpool(_show, request, foundry, who, code, field_errors(exc),
                                       exc.status)
    return redirect(request, f"/work/apply/{code}")
