"""Webhook endpoints, the signing secret and the delivery log (requester side)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import webhooks as out
from datafab.services import webhooks
from datafab.services.webhooks import EndpointIn

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=CheckedRoute)


@router.post("/endpoints", status_code=201,
             response_model=out.EndpointOut, response_model_exclude_unset=True)
def create_endpoint(body: EndpointIn, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Register a URL to receive the organization's events."""
    return webhooks.create_endpoint(foundry, org, body.model_dump())


@router.get("/endpoints", response_model=out.EndpointList, response_model_exclude_unset=True)
def list_endpoints(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"data": webhooks.list_endpoints(foundry, org)}


@router.delete("/endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: int, org: Requester, foundry: FoundryDep) -> Response:
    webhooks.delete_endpoint(foundry, org, endpoint_id)
    return Response(status_code=204)


@router.get("/secret", response_model=out.SecretOut, response_model_exclude_unset=True)
def get_secret(org: Requester, foundry: FoundryDep, response: Response) -> dict[str, str]:
    """The secret every delivery is signed with (HMAC-SHA256 over ``timestamp.body``)."""
    response.headers["Cache-Control"] = "no-store"
    return {"secret": webhooks.signing_secret(foundry, org)}


@router.post("/secret/rotate", response_model=out.SecretOut, response_model_exclude_unset=True)
def rotate_secret(org: Requester, foundry: FoundryDep, response: Response) -> dict[str, str]:
    """A new signing secret (never stored with an ``Idempotency-Key``: a repeat gets 409)."""
    response.headers["Cache-Control"] = "no-store"
    return {"secret": webhooks.rotate_secret(foundry, org)}


@router.get("/deliveries", response_model=out.DeliveryPage, response_model_exclude_unset=True)
def list_deliveries(
    org: Requester,
    foundry: FoundryDep,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    status: str | None = Query(None, description="pending, delivered, failed or dropped"),
) -> dict[str, Any]:
    """The delivery log, oldest first: every try's outcome per event and target."""
    page, next_cursor = webhooks.list_deliveries(foundry, org, cursor=cursor, limit=limit,
                                                 status=status)
    return {"data": page, "next_cursor": next_cursor}


@router.post("/deliveries/{delivery_id}/replay", status_code=201,
             response_model=out.DeliveryOut, response_model_exclude_unset=True)
def replay_delivery(delivery_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    """Send the delivery's event again to the same target (a new entry in the log)."""
    return webhooks.replay(foundry, org, delivery_id)
