"""The image (or a video's frame) of a task in the workbench: shown only to the contributor
holding its lease."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from datafab import media_hosts as hosts
from datafab.services.media import serving
from datafab.web.guards import ContributorSession, PageFoundry
from datafab.web.render import PageRoute, templates

router = APIRouter(prefix="/work", route_class=PageRoute, include_in_schema=False)


def shown_web_image(request: Request, url: object) -> bool:
    """Whether the canvas may load a web image: its host is one the deployment names
    (``DATAFAB_MEDIA_HOSTS``, also allowed in the pages' content-security policy)."""
    origins = request.app.state.foundry.settings.media_hosts
    return hosts.allowed(url, tuple(o for o in origins.split(",") if o))


templates.env.globals["shown_web_image"] = shown_web_image


@router.get("/{project_id}/items/{item_id}/image")
def item_image(request: Request, project_id: int, item_id: int, who: ContributorSession,
               foundry: PageFoundry) -> FileResponse:
    address = request.client.host if request.client else "unknown"
    found = serving.item_image(foundry, who, project_id, item_id, address)
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})


@router.get("/{project_id}/items/{item_id}/frames/{frame}")
def item_frame(request: Request, project_id: int, item_id: int, frame: int,
               who: ContributorSession, foundry: PageFoundry) -> Response:
    """One frame of a video item: given as a sequence of images, or decoded from its file."""
    address = request.client.host if request.client else "unknown"
    found = serving.item_image(foundry, who, project_id, item_id, address, frame=frame)
    if found.content is not None:
        return Response(found.content, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Cache-Control": "private, no-store"})
