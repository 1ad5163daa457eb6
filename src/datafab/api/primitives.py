"""An organization's own primitives (requester side): define a version, list them, read one.
Another organization's primitive is not found (404), like any of its objects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, Field

from datafab.api.auth import Actor, FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.primitive_catalog import catalog

router = APIRouter(prefix="/v1/primitives", tags=["primitives"], route_class=CheckedRoute)

DefinitionBody = Body(..., description="A primitive's definition: name, item, answer, layout "
                      "and export (see docs/primitives.md).")
NamePath = Path(max_length=64)
VersionPath = Path(ge=1, le=9999)


class PrimitiveVersionOut(BaseModel):
    name: str
    version: int
    pinned: str = Field(description="NAME@VERSION, as a project names it.")
    created_at: float
    created_by: str
    created: bool = Field(False, description="Only in the answer to a definition: this request "
                          "stored the version (false: the same definition was stored "
                          "already).")
    definition: dict[str, Any] | None = Field(None, description="Only when one version is "
                                              "read: its definition.")


class PrimitiveSummaryOut(BaseModel):
    name: str
    latest: int
    versions: int
    created_at: float


class PrimitiveListOut(BaseModel):
    data: list[PrimitiveSummaryOut]


class PrimitiveVersionsOut(BaseModel):
    name: str
    versions: list[PrimitiveVersionOut]


def _out(version: catalog.Version, *, stored: bool = False,
         with_definition: bool = False) -> PrimitiveVersionOut:
    """A version as answered: ``created`` only to a definition (``stored``), the definition
    only when one version is read; the routes leave out what is not set (as the evals and
    work routes do), rather than a false or a null that means nothing there."""
    fields: dict[str, Any] = {
        "name": version.name, "version": version.version, "pinned": version.pinned,
        "created_at": version.created_at, "created_by": version.created_by}
    if stored:
        fields["created"] = version.created
    if with_definition:
        fields["definition"] = version.definition
    return PrimitiveVersionOut(**fields)


@router.post("", status_code=201, response_model_exclude_unset=True)
def define(org: Requester, who: Actor, foundry: FoundryDep, response: Response,
           body: dict[str, Any] = DefinitionBody) -> PrimitiveVersionOut:
    """Store a definition: version 1 of a new name, the next version of a used one (the same
    definition again: the version it is, 200)."""
    version = catalog.define(foundry, org, body, actor=who)
    if not version.created:
        response.status_code = 200
    return _out(version, stored=True)


@router.get("")
def list_primitives(org: Requester, foundry: FoundryDep) -> PrimitiveListOut:
    return PrimitiveListOut(data=[PrimitiveSummaryOut(**vars(s))
                                  for s in catalog.list_primitives(foundry, org)])


@router.get("/{name}", response_model_exclude_unset=True)
def versions(org: Requester, foundry: FoundryDep, name: str = NamePath) -> PrimitiveVersionsOut:
    return PrimitiveVersionsOut(name=name, versions=[_out(v) for v in
                                                     catalog.versions(foundry, org, name)])


@router.get("/{name}/versions/{version}", response_model_exclude_unset=True)
def get_version(org: Requester, foundry: FoundryDep, name: str = NamePath,
                version: int = VersionPath) -> PrimitiveVersionOut:
    return _out(catalog.get_version(foundry, org, name, version), with_definition=True)


@router.delete("/{name}/versions/{version}", status_code=204)
def delete_version(org: Requester, who: Actor, foundry: FoundryDep, name: str = NamePath,
                   version: int = VersionPath) -> Response:
    """Delete a version no project works on (409 naming the projects otherwise)."""
    catalog.delete_version(foundry, org, name, version, actor=who)
    return Response(status_code=204)
