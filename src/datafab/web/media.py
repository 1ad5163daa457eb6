"""The image (or a video's frame) of a task in the workbench: shown only to the contributor
holding its lease."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from datafab.services.media import serving
from datafab.web.guards import ContributorSession, PageFoundry
from datafab.web.render import PageRoute

router = APIRouter(prefix="/work", route_class=PageRoute, include_in_schema=False)


@router.get("/{project_id}/items/{item_id}/image")
def item_image(request: Request, project_id: int, item_id: int, who: ContributorSession,
               foundry: PageFoundry) -> FileResponse:
    address = request.client.host if request.client else "unknown"
    found = serving.item_image(foundry, who, project_id, item_id, address)
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})


@router.get("/{project_id}/items/{item_id}/frames/{frame}")
def item_frame(request: Request, project_id: int, item_id: int, frame: int,
               who: ContributorSession, foundry: PageFoundry) -> FileResponse:
    """One frame of a video item given as a sequence of images."""
    address = request.client.host if request.client else "unknown"
    found = serving.item_image(foundry, who, project_id, item_id, address, frame=frame)
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})
