"""The requester's messages page for a project: post an announcement to its contributors,
and answer their questions on items (optionally into the guidelines' FAQ)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError
from datafab.services import dashboard
from datafab.services.messages import announcements, questions
from datafab.web.guards import PageFoundry, Posted, RequesterSession
from datafab.web.render import PageRoute, field_errors, page, redirect

router = APIRouter(prefix="/dashboard", route_class=PageRoute, include_in_schema=False)

ACTOR = "dashboard session"


def _page(request: Request, foundry, org: int, project_id: int, errors=None,
          status: int = 200, values=None, failed: int | None = None, sent=None) -> Response:
    row = dashboard.project_row(foundry, org, project_id)
    return page(request, "dashboard/messages.html", status, title=f"Messages: {row.project.name}",
                row=row, questions=questions.questions(foundry, org, project_id),
                errors=errors or {}, values=values or {}, failed=failed, sent=sent)


@router.get("/projects/{project_id}/messages")
def messages_page(request: Request, project_id: int, org: RequesterSession,
                  foundry: PageFoundry) -> Response:
    return _page(request, foundry, org, project_id)


@router.post("/projects/{project_id}/announcements")
def announce(request: Request, project_id: int, form: Posted, org: RequesterSession,
             foundry: PageFoundry) -> Response:
    values = {k: str(form.get(k) or "") for k in ("subject", "body")}
    try:
        sent = announcements.announce(foundry, org, project_id, values, actor=ACTOR)
    except DatafabError as exc:
        return _page(request, foundry, org, project_id, field_errors(exc), exc.status, values)
    return _page(request, foundry, org, project_id, sent=sent)


@router.post("/questions/{question_id}/answer")
def answer(request: Request, question_id: int, form: Posted, org: RequesterSession,
           foundry: PageFoundry) -> Response:
    project_id = int(str(form.get("project_id") or "0") or 0)
    body = {"body": str(form.get("body") or ""), "faq": form.get("faq") == "on"}
    try:
        questions.answer(foundry, org, question_id, body, actor=ACTOR)
    except DatafabError as exc:
        return _page(request, foundry, org, project_id, field_errors(exc), exc.status,
                     failed=question_id)
    return redirect(request, f"/dashboard/projects/{project_id}/messages")
