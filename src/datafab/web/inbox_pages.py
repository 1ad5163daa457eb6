"""The contributor's inbox (notices, announcements, answers to their questions) and their
disputes of gold verdicts: filed from the feedback after a check item they got wrong."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError
from datafab.services.disputes import filing
from datafab.services.messages import inbox, questions
from datafab.web.guards import ContributorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect

# Included before the workbench's router: its /work/{project_id} would take these paths.
router = APIRouter(prefix="/work", route_class=PageRoute, include_in_schema=False)


def _inbox(request: Request, foundry, who, errors=None, status: int = 200,
           values=None) -> Response:
    return page(request, "work/inbox.html", status, title="Inbox", who=who,
                messages=inbox.messages_of(foundry, who),
                disputes=filing.my_disputes(foundry, who), errors=errors or {},
                values=values or {})


@router.get("/inbox")
def inbox_page(request: Request, who: ContributorSession, foundry: PageFoundry) -> Response:
    return _inbox(request, foundry, who)


@router.post("/inbox/{message_id}/read")
def read(request: Request, message_id: int, form: Posted, who: ContributorSession,
         foundry: PageFoundry) -> Response:
    inbox.mark_read(foundry, who, message_id)
    return redirect(request, "/work/inbox")


@router.post("/disputes")
def file_dispute(request: Request, form: Posted, who: ContributorSession,
                 foundry: PageFoundry) -> Response:
    values = {k: str(form.get(k) or "") for k in ("project_id", "submission_id", "reason")}
    try:
        project_id, submission_id = int(values["project_id"]), int(values["submission_id"])
    except ValueError:
        return _inbox(request, foundry, who, {"submission_id": "Dispute an answer of yours"},
                      422, values)
    try:
        filing.file_dispute(foundry, who, project_id,
                            {"submission_id": submission_id, "reason": values["reason"]})
    except DatafabError as exc:
        return _inbox(request, foundry, who, field_errors(exc), exc.status, values)
    return redirect(request, "/work/inbox?disputed=1")


@router.post("/questions")
def ask(request: Request, form: Posted, who: ContributorSession,
        foundry: PageFoundry) -> Response:
    """A question on an item the contributor holds; back to the work, or the error."""
    values = {k: str(form.get(k) or "") for k in ("project_id", "item_id", "body")}
    try:
        project_id, item_id = int(values["project_id"]), int(values["item_id"])
        questions.ask(foundry, who, project_id, {"item_id": item_id, "body": values["body"]})
    except ValueError:
        return page(request, "work/question_sent.html", 422, title="Question not sent",
                    errors={"item_id": "Ask about an item you hold"}, values=values)
    except DatafabError as exc:
        return page(request, "work/question_sent.html", exc.status, title="Question not sent",
                    errors=field_errors(exc), values=values)
    return page(request, "work/question_sent.html", title="Question sent", errors={},
                values=values)
