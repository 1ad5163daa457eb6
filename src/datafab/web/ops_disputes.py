"""The ops console's dispute queue: each disputed gold verdict with the item, the disputed
answer, the gold answer and the contributor's reason; uphold (with the corrected answer) or
reject, with a reason the contributor reads."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError, InvalidInput
from datafab.services.disputes import review
from datafab.web.guards import OperatorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect

router = APIRouter(prefix="/ops", route_class=PageRoute, include_in_schema=False)


def _queue(request: Request, foundry, status: str, errors=None, failed: int | None = None,
           code: int = 200, resolved=None) -> Response:
    shown = review.list_disputes(foundry, None if status == "all" else status)
    return page(request, "ops/disputes.html", code, title="Disputes", disputes=shown,
                showing=status, errors=errors or {}, failed=failed, resolved=resolved)


@router.get("/disputes")
def disputes(request: Request, _: OperatorSession, foundry: PageFoundry,
             status: str = "open") -> Response:
    return _queue(request, foundry, status)


@router.post("/disputes/{dispute_id}/resolve")
def resolve(request: Request, dispute_id: int, form: Posted, _: OperatorSession,
            foundry: PageFoundry) -> Response:
    body: dict = {"decision": str(form.get("decision") or ""),
                  "reason": str(form.get("reason") or "")}
    try:
        raw = str(form.get("corrected_answer") or "").strip()
        if raw and body["decision"] == "upheld":
            try:
                body["corrected_answer"] = json.loads(raw)
            except ValueError:
                raise InvalidInput("corrected_answer: not valid JSON, e.g. "
                                   '{"label": "cat"}', field="corrected_answer") from None
        done = review.resolve(foundry, dispute_id, body, actor="operator (ops console)")
    except DatafabError as exc:
        return _queue(request, foundry, "open", field_errors(exc), dispute_id, exc.status)
    if request.headers.get("hx-request"):
        return _queue(request, foundry, "open", resolved=done)
    return redirect(request, "/ops/disputes")
