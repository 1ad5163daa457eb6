"""The requester dashboard: projects with progress and spend, a project's quality (agreement,
confidence, contributor accuracy, the cost/quality curve, a confusion matrix), the records
browser, and export downloads. The requester signs in with an API key; the session keeps
only the key's digest."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from datafab.api.downloads import export_download
from datafab.errors import InvalidInput
from datafab.services import (
    access_log,
    billing,
    contributor_value,
    dashboard,
    quality,
)
from datafab.web import plan_charts, svg
from datafab.web.guards import PageFoundry, RequesterSession
from datafab.web.render import PageRoute, field_errors, page

router = APIRouter(prefix="/dashboard", route_class=PageRoute, include_in_schema=False)


def _clock(ts: float, width: float) -> str:
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return moment.strftime("%H:%M" if width < 86_400 else "%m-%d")


@router.get("")
def projects_page(request: Request, org: RequesterSession, foundry: PageFoundry) -> Response:
    rows = dashboard.overview(foundry, org)
    lines = {}
    for row in rows:
        series = dashboard.throughput(foundry, org, row.project.id, buckets=12)
        lines[row.project.id] = svg.sparkline(
            series.counts, title=f"Labels over time for {row.project.name}: "
                                 + ", ".join(map(str, series.counts)))
    return page(request, "dashboard/projects.html", title="Projects", rows=rows, lines=lines)


@router.get("/projects/{project_id}")
def project_page(request: Request, project_id: int, org: RequesterSession,
                 foundry: PageFoundry) -> Response:
    row = dashboard.project_row(foundry, org, project_id)
    summary = quality.summary(foundry, org, project_id)
    series = dashboard.throughput(foundry, org, project_id)
    labels = [_clock(series.start + i * series.width, series.width)
              for i in range(len(series.counts))]
    histogram = dashboard.confidence_histogram(foundry, org, project_id)
    bins = len(histogram)
    curve = dashboard.cost_quality_curve(foundry, org, project_id)
    charts = {
        "throughput": svg.bar_chart(
            series.counts, labels, title="Labels over time", x_label="time (UTC)",
            y_label="labels", every=4),
        "confidence": svg.bar_chart(
            histogram, [f"{i / bins:.1f}" for i in range(bins)],
            title="Records by confidence", x_label="confidence (bin start)",
            y_label="records"),
        "curve": svg.line_chart(
            curve, title="Cost against quality", x_label="labels spent",
            y_label="estimated accuracy", y_format=lambda v: f"{100 * v:.0f}%"),
    }
    matrix = dashboard.confusion(foundry, org, project_id)
    budget = billing.budget(foundry, org, project_id)
    models = dashboard.model_work(foundry, org, project_id)
    values = {c.contributor: c for c in
              contributor_value.project_value(foundry, org, project_id).contributors}
    return page(request, "dashboard/project.html", title=row.project.name, row=row,
                summary=summary, charts=charts, curve=curve, matrix=matrix, budget=budget,
                models=models, values=values,
                plan=plan_charts.section(foundry, org, project_id),
                heat=_heat(matrix[1]) if matrix else None)


def _heat(matrix: list[list[int]]) -> list[list[int]]:
    """A shade 0–5 per cell, by its share of its row."""
    out = []
    for row in matrix:
        total = sum(row) or 1
        out.append([min(5, int(round(5 * n / total))) if n else 0 for n in row])
    return out


def _number(raw: str | None, name: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name}: a number between 0 and 1, e.g. 0.8", field=name) from None


@router.get("/projects/{project_id}/records")
def records_page(request: Request, project_id: int, org: RequesterSession,
                 foundry: PageFoundry) -> Response:
    q = request.query_params
    values = {k: q.get(k, "") for k in ("min_confidence", "max_confidence", "status",
                                         "disagreement")}
    row = dashboard.project_row(foundry, org, project_id)
    page_rows: list[Any]
    errors, page_rows, next_cursor = {}, [], None
    try:
        chosen = dashboard.RecordFilter(
            min_confidence=_number(values["min_confidence"], "min_confidence"),
            max_confidence=_number(values["max_confidence"], "max_confidence"),
            disagreement=values["disagreement"] == "1",
            status=values["status"] or None,
        )
        page_rows, next_cursor = dashboard.browse_records(
            foundry, org, project_id, chosen, cursor=q.get("cursor") or None)
    except InvalidInput as exc:
        errors = field_errors(exc)
    partial = bool(request.headers.get("hx-request"))
    template = "dashboard/_records_section.html" if partial else "dashboard/records.html"
    query = urlencode({k: v for k, v in values.items() if v})
    return page(request, template, 422 if errors else 200, title=f"Records: {row.project.name}",
                row=row, records=page_rows, next_cursor=next_cursor, values=values,
                errors=errors, query=query, partial=partial)


@router.get("/projects/{project_id}/records/{record_id}")
def record_page(request: Request, project_id: int, record_id: int, org: RequesterSession,
                foundry: PageFoundry) -> Response:
    row = dashboard.project_row(foundry, org, project_id)
    record = dashboard.record_detail(foundry, org, project_id, record_id)
    return page(request, "dashboard/record.html", title=f"Record {record_id}", row=row,
                record=record)


@router.get("/projects/{project_id}/access")
def access_page(request: Request, project_id: int, org: RequesterSession,
                foundry: PageFoundry) -> Response:
    """Who was shown the project's items, newest first, a page at a time."""
    row = dashboard.project_row(foundry, org, project_id)
    entries, next_cursor = access_log.entries(foundry, org, project_id,
                                              cursor=request.query_params.get("cursor") or None)
    return page(request, "dashboard/access.html", title=f"Access: {row.project.name}", row=row,
                entries=entries, next_cursor=next_cursor)


@router.get("/projects/{project_id}/curation")
def curation_page(request: Request, project_id: int, org: RequesterSession,
                  foundry: PageFoundry) -> Response:
    """The learning curve: held-out accuracy against labels spent, selected against random."""
    from datafab.services.curation import selection

    row = dashboard.project_row(foundry, org, project_id)
    try:
        curve = selection.learning_curve(foundry, org, project_id)
    except InvalidInput as exc:
        curve = {"available": False, "labelled": 0, "reason": exc.message}
    chart = None
    if curve["available"]:
        chart = svg.lines_chart(
            [("selected order", list(zip(curve["spent"], curve["selected"], strict=True))),
             ("random order", list(zip(curve["spent"], curve["random"], strict=True)))],
            title="Learning curve", x_label="labels spent", y_label="held-out accuracy")
    return page(request, "dashboard/curation.html", title=f"Curation: {row.project.name}",
                row=row, curve=curve, chart=chart)


PAGE_ACTOR = "dashboard session"  # how the audit log names a download from these pages


@router.get("/projects/{project_id}/export")
def export(request: Request, project_id: int, org: RequesterSession, foundry: PageFoundry,
           format: str = "records", include_open: bool = False,
           file: Literal["jsonl", "parquet"] = "jsonl") -> Response:
    """A download of the same rows as ``GET /v1/projects/{id}/export``, audited as that is."""
    return export_download(foundry, org, project_id, format, actor=PAGE_ACTOR,
                           address=_address(request), file=file, include_open=include_open,
                           attachment=True)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
