"""The ops console's recruitment pages: each campaign's funnel (overall and per source, with
conversion and median time per stage) and the credential queue (open the document, approve
or reject with a reason)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.errors import DatafabError
from datafab.services.recruiting import campaigns, credentials, funnel
from datafab.web import svg
from datafab.web.guards import OperatorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect

router = APIRouter(prefix="/ops", route_class=PageRoute, include_in_schema=False)

SHORT = {"credential_checked": "credential"}  # a chart label that fits under its bar


@router.get("/recruiting")
def recruiting(request: Request, _: OperatorSession, foundry: PageFoundry) -> Response:
    shown = []
    for campaign in campaigns.listed(foundry):
        got = funnel.funnel(foundry, campaign["id"])
        chart = svg.bar_chart([float(s["count"]) for s in got["stages"]],
                              [SHORT.get(s["stage"], s["stage"]) for s in got["stages"]],
                              title=f"Funnel of {campaign['name']}", x_label="stage",
                              y_label="applicants", height=180,
                              y_format=lambda v: f"{v:.0f}")
        shown.append({"campaign": campaign, "funnel": got, "chart": chart})
    return page(request, "ops/recruiting.html", title="Recruiting", shown=shown)


@router.get("/credentials")
def credential_queue(request: Request, _: OperatorSession, foundry: PageFoundry,
                     status: str = "pending") -> Response:
    return _queue(request, foundry, status)


def _queue(request, foundry, status: str, errors=None, failed=None, code: int = 200):
    return page(request, "ops/credentials.html", code, title="Credentials",
                rows=credentials.listed(foundry, None if status == "all" else status),
                showing=status, errors=errors or {}, failed=failed)


@router.get("/credentials/{credential_id}/document")
def document(credential_id: int, _: OperatorSession, foundry: PageFoundry) -> Response:
    name, kind, content = credentials.document(foundry, credential_id)
    return Response(content, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="credential-{credential_id}"'})


@router.post("/credentials/{credential_id}/review")
def review(request: Request, credential_id: int, form: Posted, _: OperatorSession,
           foundry: PageFoundry) -> Response:
    body = {"decision": str(form.get("decision") or ""), "reason": str(form.get("reason") or "")}
    try:
        credentials.review(foundry, credential_id, body, actor="operator (ops console)")
    except DatafabError as exc:
        return _queue(request, foundry, "pending", field_errors(exc), credential_id,
                      exc.status)
    return redirect(request, "/ops/credentials")
