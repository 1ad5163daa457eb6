"""The contributor workbench: pick a project, work its tasks from the keyboard, skip or flag
an item, see feedback after gold items, and look back at one's own work.

A turn: the page shows the task on screen and holds the next one (already leased) hidden, so
answering swaps it in at once while the answer is posted; the reply brings feedback (after a
gold item) and the task after that. Without JavaScript the same forms post and redirect.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError, InvalidInput
from datafab.services import item_flags, projects, work, workbench
from datafab.services.guidelines import acknowledge
from datafab.services.messages import questions
from datafab.services.workbench import Task
from datafab.web import sessions
from datafab.web.declarative_form import answer_for
from datafab.web.guards import ContributorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect, templates

router = APIRouter(prefix="/work", route_class=PageRoute, include_in_schema=False)

_WORD = re.compile(r"\S+")


def text_segments(text: str) -> list[tuple[str, int, int, bool]]:
    """The text cut into words and the gaps between them: (text, start, end, is_word), in
    Python string offsets, so spans marked on words carry the offsets the primitive checks."""
    out, at = [], 0
    for match in _WORD.finditer(text):
        if match.start() > at:
            out.append((text[at:match.start()], at, match.start(), False))
        out.append((match.group(), match.start(), match.end(), True))
        at = match.end()
    if at < len(text):
        out.append((text[at:], at, len(text), False))
    return out


templates.env.globals["text_segments"] = text_segments
templates.env.globals["skip_reasons"] = workbench.SKIP_REASONS
templates.env.globals["flag_reasons"] = item_flags.REASONS


def _is_turn(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


@router.get("")
def projects_page(request: Request, who: ContributorSession, foundry: PageFoundry) -> Response:
    return page(request, "work/projects.html", title="Start working",
                offers=workbench.offers(foundry, who), who=who)


@router.get("/next")
def next_task(request: Request, who: ContributorSession, foundry: PageFoundry) -> Response:
    """Straight to work: the first project open to the contributor that has work for them."""
    for offer in workbench.offers(foundry, who):
        if offer.open_items or offer.held:
            return redirect(request, f"/work/{offer.project.id}")
    return redirect(request, "/work")


@router.get("/mine")
def my_work(request: Request, who: ContributorSession, foundry: PageFoundry) -> Response:
    return page(request, "work/mine.html", title="My work", who=who,
                answered=workbench.history(foundry, who),
                gold=workbench.gold_record(foundry, who))


def _address(request: Request) -> str:
    """The connection's address (a forwarded one only from ``DATAFAB_TRUSTED_PROXIES``)."""
    return request.client.host if request.client else "unknown"


@router.get("/{project_id}")
def workbench_page(request: Request, project_id: int, who: ContributorSession,
                   foundry: PageFoundry) -> Response:
    if acknowledge.pending(foundry, who, project_id) is not None:  # read the change first
        return redirect(request, f"/work/{project_id}/guidelines")
    tasks = workbench.queue(foundry, who, project_id, address=_address(request))
    project = workbench.project_for(foundry, who, project_id)
    return _bench(request, foundry, project, tasks, feedback=None, errors={})


@router.get("/{project_id}/guidelines")
def guidelines_page(request: Request, project_id: int, who: ContributorSession,
                    foundry: PageFoundry) -> Response:
    project = workbench.project_for(foundry, who, project_id)
    return _sealed(request, foundry, project, page(
        request, "work/guidelines.html", title=f"Guidelines: {project.name}",
        project=project, guidelines=projects.guideline_text(foundry, None, project.id),
        owed=acknowledge.pending(foundry, who, project.id),
        faq=questions.faq(foundry, who, project.id)))


def _sealed(request, foundry, project, response: Response) -> Response:
    """A restricted project's pages (its items, its guidelines) stay out of every cache, and
    the session showing them ends after a short idle time."""
    if workbench.sensitivity(foundry, project) == "restricted":
        response.headers["Cache-Control"] = "no-store"
        sessions.idle_limit(request, sessions.RESTRICTED_IDLE_SECONDS)
    return response


def _bench(request, foundry, project, tasks: list[Task], feedback, errors, status=200):
    return _sealed(request, foundry, project, page(
        request, "work/bench.html", status, title=f"Working: {project.name}",
        project=project, tasks=tasks, feedback=feedback, errors=errors,
        guidelines=projects.guideline_text(foundry, None, project.id)))


def _turn(request, foundry, who, project_id: int, feedback, errors=None, retry: Task | None = None,
          status: int = 200) -> Response:
    """The reply to an answer or a skip: feedback, then the task now on screen and the next."""
    if retry is not None:
        queued = workbench.queue(foundry, who, project_id, address=_address(request))
        tasks = [retry] + [t for t in queued
                           if t.lease_id != retry.lease_id][:1]
    else:
        tasks = workbench.queue(foundry, who, project_id, address=_address(request))
    project = workbench.project_for(foundry, who, project_id)
    if not _is_turn(request):
        return _bench(request, foundry, project, tasks, feedback, errors or {}, status)
    return _sealed(request, foundry, project, page(
        request, "work/turn.html", status, project=project, tasks=tasks, feedback=feedback,
        errors=errors or {}))


@router.post("/leases/{lease_id}/submit")
def submit(request: Request, lease_id: int, form: Posted, who: ContributorSession,
           foundry: PageFoundry) -> Response:
    held = workbench.task(foundry, who, lease_id)
    project = held.project
    try:
        answer = answer_for(project, form, held.data)
        body: dict[str, Any] = {"answer": answer}
        seconds = _seconds(form.get("seconds_spent"))
        if seconds is not None:
            body["seconds_spent"] = seconds
        receipt = work.submit(foundry, who, lease_id, body)
    except InvalidInput as exc:
        return _turn(request, foundry, who, project.id, None, field_errors(exc), retry=held,
                     status=422)
    feedback = receipt.feedback
    if feedback is not None:
        feedback = {**feedback, "item": held.data, "external_id": held.external_id,
                    "submission_id": receipt.submission_id, "project_id": project.id}
    return _turn(request, foundry, who, project.id, feedback)


def _seconds(raw) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= 86_400 else None


@router.post("/leases/{lease_id}/skip")
def skip(request: Request, lease_id: int, form: Posted, who: ContributorSession,
         foundry: PageFoundry) -> Response:
    held = workbench.task(foundry, who, lease_id)
    reason, note = str(form.get("reason") or ""), str(form.get("note") or "")
    try:
        workbench.skip(foundry, who, lease_id, reason, note)
    except InvalidInput as exc:
        errors = {f"skip.{k}": v for k, v in field_errors(exc).items()}
        return _turn(request, foundry, who, held.project.id, None, errors, retry=held,
                     status=422)
    return _turn(request, foundry, who, held.project.id, {"skipped": True})


@router.post("/leases/{lease_id}/flag")
def flag(request: Request, lease_id: int, form: Posted, who: ContributorSession,
         foundry: PageFoundry) -> Response:
    reason, note = str(form.get("reason") or ""), str(form.get("note") or "")
    try:
        item_flags.raise_flag(foundry, who, lease_id, reason, note)
    except DatafabError as exc:
        return page(request, "work/_flag_form.html", 422, lease_id=lease_id,
                    errors=field_errors(exc), values={"reason": reason, "note": note})
    if not _is_turn(request):
        held = workbench.task(foundry, who, lease_id)
        return redirect(request, f"/work/{held.project.id}")
    return page(request, "work/_flag_form.html", lease_id=lease_id, errors={}, values={},
                flagged=True)
