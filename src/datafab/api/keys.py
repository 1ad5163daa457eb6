"""An organization's API keys and its audit log (requester side)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import Actor, FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import keys as out
from datafab.services import accounts, audit

router = APIRouter(prefix="/v1", tags=["keys"], route_class=CheckedRoute)


class KeySpec(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="What the key is for.")


@router.get("/keys", response_model=out.KeyList, response_model_exclude_unset=True)
def list_keys(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """The organization's keys: name, shown prefix, created, last used, revoked."""
    return {"data": accounts.list_api_keys(foundry, org)}


@router.post("/keys", status_code=201, response_model=out.NewKeyOut,
             response_model_exclude_unset=True)
def create_key(body: KeySpec, org: Requester, who: Actor, foundry: FoundryDep,
               response: Response) -> dict[str, Any]:
    """A new API key. The key is in this response only: Datafab keeps just its hash (a repeat
    with the same ``Idempotency-Key`` gets 409 ``idempotency_secret_shown_once``)."""
    described, key = accounts.create_api_key(foundry, org, body.name, actor=who)
    response.headers["Cache-Control"] = "no-store"
    return {**described, "key": key}


@router.post("/keys/{key_id}/revoke", response_model=out.KeyOut,
             response_model_exclude_unset=True)
def revoke_key(key_id: int, request: Request, org: Requester, who: Actor,
               foundry: FoundryDep) -> dict[str, Any]:
    """Revoke a key: it stops working at once here, within seconds on other servers."""
    revoked = accounts.revoke_key(foundry, org, key_id, actor=who)
    request.app.state.auth_cache.clear()
    return revoked


@router.get("/audit", response_model=out.AuditPage, response_model_exclude_unset=True)
def audit_log(
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    action: str | None = Query(None, max_length=64,
                               description="Only entries of this action, e.g. project.updated"),
) -> dict[str, Any]:
    """Who changed what in the organization, oldest first (read-only)."""
    page, next_cursor = audit.entries(foundry, org, cursor=cursor, limit=limit, action=action)
    return {"data": page, "next_cursor": next_cursor}
