"""The workbench's side of a material guideline change: acknowledge it from the guidelines
page, after a quiz of gold items when the change asks for one.

The quiz is taken one item at a time with the primitive's own form; the answers given so far
travel in a hidden field (they are scored on the server when the last one is in), so no
state is kept between steps.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import InvalidInput
from datafab.services import common_errors, dashboard, workbench
from datafab.services.guidelines import acknowledge, changes
from datafab.web.answers import answer_from
from datafab.web.guards import ContributorSession, PageFoundry, Posted, RequesterSession
from datafab.web.render import PageRoute, field_errors, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _given(form) -> list[dict[str, Any]]:
    try:
        raw = json.loads(str(form.get("given") or "[]"))
    except ValueError:
        return []
    if not isinstance(raw, list):
        return []
    return [g for g in raw if isinstance(g, dict) and isinstance(g.get("item_id"), int)
            and isinstance(g.get("answer"), dict)]


@router.get("/dashboard/projects/{project_id}/guidelines")
def roster_page(request: Request, project_id: int, org: RequesterSession,
                foundry: PageFoundry) -> Response:
    """The requester's view: the changelog, and who has acknowledged the latest material
    change (contributors under the project's pseudonyms)."""
    row = dashboard.project_row(foundry, org, project_id)
    return page(request, "dashboard/guidelines.html", title=f"Guidelines: {row.project.name}",
                row=row, history=changes.history(foundry, org, project_id),
                roster=acknowledge.roster(foundry, org, project_id))


@router.get("/work/{project_id}/errors")
def common_errors_page(request: Request, project_id: int, who: ContributorSession,
                       foundry: PageFoundry) -> Response:
    """What goes wrong most on the project, and the contributor's own mistakes."""
    project = workbench.project_for(foundry, who, project_id)
    return page(request, "work/common_errors.html", title=f"Common errors: {project.name}",
                project=project, digest=common_errors.for_contributor(foundry, who, project.id))


@router.post("/work/{project_id}/guidelines/acknowledge")
def acknowledge_page(request: Request, project_id: int, form: Posted, who: ContributorSession,
                     foundry: PageFoundry) -> Response:
    project = workbench.project_for(foundry, who, project_id)
    owed = acknowledge.pending(foundry, who, project.id)
    if owed is None:
        return redirect(request, f"/work/{project.id}")
    given = _given(form)
    step = len(given)
    if owed.quiz and form.get("item_id") is not None and step < len(owed.quiz):
        item = owed.quiz[step]
        try:
            answer = answer_from(project.primitive_name, form, item["data"],
                                 project.settings_raw)
        except InvalidInput as exc:
            return _quiz(request, project, owed, given, field_errors(exc), 422)
        given.append({"item_id": item["item_id"], "answer": answer})
        step += 1
    if owed.quiz and step < len(owed.quiz):
        return _quiz(request, project, owed, given, {})
    try:
        result = acknowledge.acknowledge(foundry, who, project.id,
                                         {"version": owed.version, "answers": given})
    except InvalidInput as exc:  # a quiz answer the primitive refuses: start again
        return _quiz(request, project, owed, [], field_errors(exc), 422)
    if result["acknowledged"]:
        return redirect(request, f"/work/{project.id}")
    return page(request, "work/quiz_result.html", title="Quiz result", project=project,
                owed=owed, result=result["quiz"])


def _quiz(request: Request, project, owed, given: list[dict[str, Any]], errors,
          status: int = 200) -> Response:
    item = owed.quiz[len(given)]
    return page(request, "work/quiz.html", status, title=f"Quiz: {project.name}",
                project=project, owed=owed, item=item, step=len(given) + 1,
                given=json.dumps(given), errors=errors)
