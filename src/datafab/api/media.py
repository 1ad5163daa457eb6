"""Media: a requester uploads an image to a project and reads it back; a contributor (a
person's client or a model worker) reads the image of an item they hold a lease on."""

from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import ContributorDep, FoundryDep, Requester, client_address
from datafab.api.bodies import CheckedRoute
from datafab.services.media import serving, uploads

router = APIRouter(prefix="/v1", tags=["media"], route_class=CheckedRoute)


class MediaOut(BaseModel):
    media_id: str
    content_type: str
    width: int
    height: int
    size: int
    created: bool


@router.post("/projects/{project_id}/media", response_model=MediaOut, status_code=201)
async def upload(project_id: int, org: Requester, foundry: FoundryDep,
                 file: UploadFile = File(description="A PNG, JPEG, GIF or WebP image.")
                 ) -> MediaOut:
    """Keep an image for the project by its SHA-256; items name it as ``{"media": id}``.
    Unreadable: 422; over ``DATAFAB_MAX_MEDIA_BYTES``: 413."""
    done = await run_in_threadpool(uploads.upload_media, foundry, org, project_id, file.file)
    return MediaOut(**done.__dict__)


@router.get("/projects/{project_id}/media/{media_id}", response_class=FileResponse,
            responses={200: {"content": {"image/*": {}}}})
def requester_media(project_id: int, media_id: str, org: Requester,
                    foundry: FoundryDep) -> FileResponse:
    found = serving.requester_media(foundry, org, project_id, media_id)
    return FileResponse(found.path, media_type=found.content_type)


@router.get("/projects/{project_id}/items/{item_id}/image", response_class=FileResponse,
            responses={200: {"content": {"image/*": {}}}})
def item_image(request: Request, project_id: int, item_id: int, who: ContributorDep,
               foundry: FoundryDep) -> FileResponse:
    """The image of an item the caller holds a live lease on (written to the access log)."""
    found = serving.item_image(foundry, who, project_id, item_id,
                               client_address(request.scope))
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})
