"""The ops console: the contributor pool (search by skill, status and accuracy; probation,
removal, reinstatement), gold items (add, and see which ones many get wrong), and the flags
contributors raise. Opened with the operator token (``DATAFAB_OPERATOR_TOKEN``)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError, InvalidInput
from datafab.services import contributor_standing, gold_items, item_flags
from datafab.web.guards import OperatorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect

router = APIRouter(prefix="/ops", route_class=PageRoute, include_in_schema=False)

ACTIONS = {"probation": "Put on probation", "removed": "Remove", "active": "Reinstate"}


def _number(raw: str, name: str) -> float | None:
    raw = (raw or "").strip().rstrip("%")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name}: a share such as 0.8", field=name) from None
    return value / 100 if value > 1 else value


@router.get("")
def pool(request: Request, _: OperatorSession, foundry: PageFoundry) -> Response:
    q = request.query_params
    values = {k: q.get(k, "") for k in ("text", "skill", "status", "min_accuracy",
                                         "max_accuracy")}
    errors, members = {}, []
    try:
        members = contributor_standing.search(
            foundry, text=values["text"], skill=values["skill"], status=values["status"],
            min_accuracy=_number(values["min_accuracy"], "min_accuracy"),
            max_accuracy=_number(values["max_accuracy"], "max_accuracy"))
    except InvalidInput as exc:
        errors = field_errors(exc)
    return page(request, "ops/pool.html", 422 if errors else 200, title="Contributors",
                members=members, values=values, errors=errors, actions=ACTIONS,
                statuses=contributor_standing.STATUSES)


@router.post("/contributors/{contributor_id}/status")
def set_status(request: Request, contributor_id: int, form: Posted, _: OperatorSession,
               foundry: PageFoundry) -> Response:
    status = str(form.get("status") or "")
    released = contributor_standing.set_status(foundry, contributor_id, status)
    if not request.headers.get("hx-request"):
        return redirect(request, "/ops")
    member = contributor_standing.member(foundry, contributor_id)
    return page(request, "ops/_member_row.html", m=member, actions=ACTIONS, released=released)


@router.get("/gold")
def gold(request: Request, _: OperatorSession, foundry: PageFoundry,
         project_id: int | None = None) -> Response:
    return _gold_page(request, foundry, project_id, {}, {})


def _gold_page(request, foundry, project_id, errors, values, status=200, added=None):
    choices = gold_items.all_projects(foundry)
    if project_id is None and choices:
        project_id = choices[0].id
    chosen = gold_items.project(foundry, project_id) if project_id else None
    results = gold_items.report(foundry, project_id) if project_id else []
    return page(request, "ops/gold.html", status, title="Gold items", choices=choices,
                chosen=chosen, results=results, errors=errors, values=values, added=added)


def _json(raw: str, name: str):
    raw = (raw or "").strip()
    if not raw:
        raise InvalidInput(f"{name}: write it as JSON, e.g. " + (
            '{"label": "cat"}' if name == "answer" else '{"text": "…"}'), field=name)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name}: not valid JSON ({exc.msg} at character {exc.pos})",
                           field=name) from None


@router.post("/gold")
def add_gold(request: Request, form: Posted, _: OperatorSession,
             foundry: PageFoundry) -> Response:
    values = {k: str(form.get(k) or "") for k in ("project_id", "mode", "external_id", "data",
                                                  "answer", "explanation")}
    try:
        project_id = int(values["project_id"])
    except ValueError:
        return _gold_page(request, foundry, None, {"project_id": "Pick a project"}, values, 422)
    try:
        answer = _json(values["answer"], "answer")
        if values["mode"] == "new":
            data = _json(values["data"], "data")
            gold_items.add_gold_item(foundry, project_id, values["external_id"], data, answer,
                                     values["explanation"])
        else:
            gold_items.make_gold(foundry, project_id, values["external_id"], answer,
                                 values["explanation"])
    except DatafabError as exc:
        errors = {f"{values['mode'] or 'existing'}.{k}": v for k, v in field_errors(exc).items()}
        return _gold_page(request, foundry, project_id, errors, values, 422)
    return _gold_page(request, foundry, project_id, {}, {}, added=values["external_id"])


@router.get("/flags")
def flags(request: Request, _: OperatorSession, foundry: PageFoundry,
          status: str = "open") -> Response:
    shown = item_flags.list_flags(foundry, status or None)
    return page(request, "ops/flags.html", title="Flags", flags=shown, showing=status,
                reasons=item_flags.REASONS)


@router.post("/flags/{flag_id}/resolve")
def resolve_flag(request: Request, flag_id: int, form: Posted, _: OperatorSession,
                 foundry: PageFoundry) -> Response:
    item_flags.resolve(foundry, flag_id)
    if request.headers.get("hx-request"):
        return Response('<td colspan="6" class="success">Resolved.</td>', media_type="text/html")
    return redirect(request, "/ops/flags")
