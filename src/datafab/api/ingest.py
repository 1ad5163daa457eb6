"""Ingest (requester side): upload an organization's files to become redacted items, the
project's personal-data policy, the organization's originals, past ingest reports."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import ingest as out
from datafab.errors import InvalidInput
from datafab.services import ingest as ingesting
from datafab.services.ingest import IngestPolicy

router = APIRouter(prefix="/v1", tags=["ingest"], route_class=CheckedRoute)


@router.post("/projects/{project_id}/ingest", response_model=out.IngestReport,
             response_model_exclude_unset=True)
async def ingest(
    project_id: int,
    org: Requester,
    foundry: FoundryDep,
    files: list[UploadFile] = File(description="The files: JSONL, CSV, Parquet, text, "
                                   "Markdown, HTML, PDF or .eml, by their names' suffixes."),
    chunk_by: str = "paragraph",
    chunk_size: int = Query(1000, ge=16, le=50_000),
    chunk_unit: str = "chars",
    text_field: str | None = None,
    near_duplicates: bool = True,
    threshold: float = Query(0.85, ge=0.5, le=1.0),
) -> dict[str, Any]:
    """Chunk, de-duplicate and redact the files into the project's items; the report. A bad
    file is named (with its line) in ``errors`` and left out; the others go through."""
    folder = Path(tempfile.mkdtemp(prefix="datafab-ingest-"))
    try:
        sources = []
        for i, upload in enumerate(files):
            name = Path(upload.filename or "").name
            if not name:
                raise InvalidInput(f"files.{i}: a file needs a name (its suffix says its kind)",
                                   field=f"files.{i}")
            path = folder / f"{i}-{name}"
            with path.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    out.write(chunk)
            sources.append(ingesting.Source(path, name))
        options = {"chunk_by": chunk_by, "chunk_size": chunk_size, "chunk_unit": chunk_unit,
                   "text_field": text_field, "near_duplicates": near_duplicates,
                   "threshold": threshold}
        return await run_in_threadpool(ingesting.ingest_files, foundry, org, project_id,
                                       sources, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.get("/projects/{project_id}/ingest-runs", response_model=out.IngestRuns,
            response_model_exclude_unset=True)
def ingest_runs(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """The project's last 100 ingest reports, newest first."""
    return {"data": ingesting.list_runs(foundry, org, project_id)}


@router.get("/projects/{project_id}/ingest-policy", response_model=IngestPolicy)
def get_policy(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return ingesting.get_policy(foundry, org, project_id).model_dump()


@router.put("/projects/{project_id}/ingest-policy", response_model=IngestPolicy)
def set_policy(project_id: int, body: dict[str, Any], org: Requester,
               foundry: FoundryDep) -> dict[str, Any]:
    """What the project does with personal data: ``{"redact": true, "replacement": "tag"}``."""
    return ingesting.set_policy(foundry, org, project_id, body).model_dump()


class OriginalsIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    keep: bool = Field(description="Keep ingested text before redaction, encrypted at rest, "
                       "visible only to this organization's requesters.")


@router.put("/organization/originals", response_model=out.KeepOriginals)
def keep_originals(body: OriginalsIn, org: Requester, foundry: FoundryDep) -> dict[str, bool]:
    return {"keep": ingesting.set_keep_originals(foundry, org, body.keep)}


@router.get("/items/{item_id}/original", response_model=out.Original)
def original(item_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """An ingested item's text before redaction (kept only if the organization opted in)."""
    return ingesting.get_original(foundry, org, item_id)


class ReviewSample(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    from_project: int = Field(description="The project whose ingested chunks are checked.")
    n: int = Field(100, ge=1, le=10_000, description="How many chunks to sample.")
    seed: int | None = None


@router.post("/projects/{project_id}/redaction-review/sample", response_model=out.Uploaded)
def review_sample(project_id: int, body: ReviewSample, org: Requester,
                  foundry: FoundryDep) -> dict[str, int]:
    """Sample ingested chunks into this redaction_review project."""
    return ingesting.sample_for_review(foundry, org, project_id, body.from_project, body.n,
                                       seed=body.seed)


@router.get("/projects/{project_id}/redaction-review", response_model=out.ReviewReport,
            response_model_exclude_unset=True)
def review_report(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Miss and wrong rates per PII type, measured by the people who reviewed the sample."""
    return ingesting.review_report(foundry, org, project_id)
