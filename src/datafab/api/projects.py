"""Projects, their items, records and exports (requester side)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import Actor, FoundryDep, Requester, client_address
from datafab.api.bodies import CheckedRoute
from datafab.api.downloads import export_download
from datafab.api.schemas import projects as out
from datafab.api.zip_downloads import ZIP_FORMATS, zip_download
from datafab.errors import InvalidInput
from datafab.services import (
    access_log,
    candidates,
    effort,
    erasure,
    imports,
    items,
    perception,
    project_changes,
    projects,
    quality,
    records,
)
from datafab.services.items import ItemIn
from datafab.services.perception import files_in
from datafab.services.projects import Project, ProjectPatch, ProjectSpec

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=CheckedRoute)


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "primitive": project.primitive_name,
        "settings": project.settings_raw,
        "policy": project.policy.model_dump(mode="json"),
        "required_skills": project.required_skills,
        "guideline_version": project.guideline_version,
        "status": project.status,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


class ItemsUpload(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    items: list[ItemIn] = Field(description="Up to 10,000 items; re-sent items change nothing.")


@router.post("", status_code=201, response_model=out.ProjectOut, response_model_exclude_unset=True)
def create_project(body: ProjectSpec, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return project_json(projects.create_project(foundry, org, body.model_dump()))


@router.get("", response_model=out.ProjectPage, response_model_exclude_unset=True)
def list_projects(
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    page, next_cursor = projects.list_projects(foundry, org, cursor=cursor, limit=limit)
    return {"data": [project_json(p) for p in page], "next_cursor": next_cursor}


@router.get("/{project_id}", response_model=out.ProjectOut, response_model_exclude_unset=True)
def get_project(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return project_json(projects.get_project(foundry, org, project_id))


@router.patch("/{project_id}", response_model=out.ProjectOut, response_model_exclude_unset=True)
def update_project(
    project_id: int, body: ProjectPatch, org: Requester, who: Actor, foundry: FoundryDep
) -> dict[str, Any]:
    patch = body.model_dump(exclude_unset=True)
    return project_json(project_changes.update_project(foundry, org, project_id, patch,
                                                       actor=who))


@router.delete("/{project_id}", response_model=out.Erased, response_model_exclude_unset=True)
def erase_project(
    project_id: int, org: Requester, who: Actor, foundry: FoundryDep
) -> dict[str, Any]:
    """Erase the project and everything under it (items, originals, leases, answers, records,
    gold, ingest runs, its webhook events); the audit log keeps a tombstone. Pay and usage
    ledgers keep their amounts. One transaction: all of it or nothing."""
    return erasure.erase_project(foundry, org, project_id, actor=who)


@router.get("/{project_id}/progress",
            response_model=out.Progress, response_model_exclude_unset=True)
def progress(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, int]:
    return projects.progress(foundry, org, project_id)


@router.get("/{project_id}/guidelines",
            response_model=out.GuidelinesOut, response_model_exclude_unset=True)
def guidelines(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    project = projects.get_project(foundry, org, project_id)
    text = projects.guideline_text(foundry, org, project_id)
    return {"version": project.guideline_version, "text": text}


@router.get("/{project_id}/quality",
            response_model=out.QualitySummary, response_model_exclude_unset=True)
def quality_summary(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Agreement, per-contributor gold accuracy and skill, label spend, estimated accuracy."""
    return quality.summary(foundry, org, project_id)


@router.get("/{project_id}/effort",
            response_model=out.EffortReport, response_model_exclude_unset=True)
def effort_report(
    project_id: int,
    org: Requester,
    foundry: FoundryDep,
    bucket: int = Query(86_400, ge=60, le=366 * 86_400, description="Seconds per time bucket."),
) -> dict[str, Any]:
    """People's labels and seconds per finished record, model calls and cost, suggestions
    followed, each model's routing, gold calibration and agreement with people, over time."""
    return effort.effort(foundry, org, project_id, bucket_seconds=bucket)


@router.post("/{project_id}/refit",
             response_model=out.QualitySummary, response_model_exclude_unset=True)
def refit(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Refit the project's aggregation on all labels now (it also runs by itself as labels
    arrive), then return the quality summary."""
    projects.get_project(foundry, org, project_id)
    quality.refit(foundry, project_id)
    return quality.summary(foundry, org, project_id)


@router.post("/{project_id}/items", response_model=out.Uploaded, response_model_exclude_unset=True)
def upload_items(
    project_id: int, body: ItemsUpload, org: Requester, foundry: FoundryDep
) -> dict[str, int]:
    raw = [item.model_dump(exclude_none=True) for item in body.items]
    return items.upload_items(foundry, org, project_id, raw).to_dict()


class CandidatesUpload(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    candidates: list[dict[str, Any]] = Field(
        description="Per bare prompt: external_id, prompt, system?, and 2 to 9 sampled "
        "responses {model, content, params, usage?}."
    )


@router.post("/{project_id}/candidates",
             response_model=out.Uploaded, response_model_exclude_unset=True)
def add_candidates(
    project_id: int, body: CandidatesUpload, org: Requester, foundry: FoundryDep
) -> dict[str, int]:
    """Models' sampled responses to bare prompts, as compare pairs or rank lists."""
    return candidates.add_candidates(foundry, org, project_id, body.candidates).to_dict()


@router.get("/{project_id}/items", response_model=out.ItemPage, response_model_exclude_unset=True)
def list_items(
    project_id: int,
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    status: Literal["open", "done", "gold", "model"] | None = None,
) -> dict[str, Any]:
    page, next_cursor = items.list_items(
        foundry, org, project_id, cursor=cursor, limit=limit, status=status
    )
    return {"data": page, "next_cursor": next_cursor}


@router.get("/{project_id}/records",
            response_model=out.RecordPage, response_model_exclude_unset=True)
def list_records(
    project_id: int,
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    min_confidence: float | None = Query(None, ge=0.0, le=1.0),
    final: bool = Query(False, description="Only records of finished items."),
) -> dict[str, Any]:
    page, next_cursor = records.list_records(
        foundry, org, project_id, cursor=cursor, limit=limit, min_confidence=min_confidence,
        done_only=final,
    )
    return {"data": page, "next_cursor": next_cursor}


@router.get("/{project_id}/access",
            response_model=out.AccessPage, response_model_exclude_unset=True)
def access(
    project_id: int,
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    contributor: str | None = Query(None, max_length=64,
                                    description="A contributor's pseudonym in this project."),
    item: int | None = Query(None, ge=1, description="An item's id."),
) -> dict[str, Any]:
    """Who was shown the project's items, newest first: leases, workbench pages, exports."""
    page, next_cursor = access_log.entries(foundry, org, project_id, cursor=cursor, limit=limit,
                                           contributor=contributor, item=item)
    return {"data": page, "next_cursor": next_cursor}


@router.get("/{project_id}/export", response_class=StreamingResponse)
def export(
    project_id: int,
    request: Request,
    org: Requester,
    who: Actor,
    foundry: FoundryDep,
    format: str = "records",
    min_confidence: float = Query(0.0, ge=0.0, le=1.0),
    include_open: bool = False,
    file: Literal["jsonl", "parquet", "zip"] | None = Query(
        None, description="jsonl (the default), parquet, or zip (the default for yolo and voc: "
        "the zip the CLI writes)."),
) -> Response:
    """The project's records in a training format: streamed JSON Lines, a Parquet file, or
    for YOLO and VOC a zip of label files."""
    if file == "zip" or (file is None and format in ZIP_FORMATS):
        return zip_download(foundry, org, project_id, format, actor=who,
                            address=client_address(request.scope),
                            include_open=include_open, min_confidence=min_confidence)
    return export_download(foundry, org, project_id, format, actor=who,
                           address=client_address(request.scope), file=file or "jsonl",
                           include_open=include_open, min_confidence=min_confidence)


class SkippedLine(BaseModel):
    line: int = Field(description="Line of the file, from 1 (in a JSON array, the position).")
    reason: str


class ImportOut(BaseModel):
    created: int
    unchanged: int
    prior_answers: int
    skipped: list[SkippedLine] = Field(
        description="Lines left out and why (the first 1,000).")
    skipped_total: int


@router.post("/{project_id}/import")
async def import_file(
    project_id: int, request: Request, org: Requester, foundry: FoundryDep,
    format: Literal["hh-rlhf", "prm800k", "label-studio", "coco", "yolo", "voc"],
    strict: bool = Query(False, description="Refuse the whole file at its first bad line."),
) -> ImportOut:
    """Import a file of existing data (the request body: JSON lines, or a JSON array for
    Label Studio; a COCO JSON document; a .zip of YOLO or VOC files); its answers become
    prior answers. Lines (for perception files: images, with their annotations) that cannot
    be imported are left out and listed in ``skipped`` with their line and reason; with
    ``strict=true`` the first bad one refuses the file and nothing is written."""
    raw = await request.body()
    if format in perception.FORMATS:
        lines = await run_in_threadpool(files_in.body_records, format, raw)
    else:
        try:
            lines = imports.text_lines(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InvalidInput("file: not UTF-8 text", field="file") from exc
    result = await run_in_threadpool(
        lambda: imports.import_file(foundry, org, project_id, format, lambda: lines,
                                    strict=strict)
    )
    return ImportOut.model_validate(result.to_dict())
