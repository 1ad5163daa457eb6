"""The webhook routes' answers (``api/webhooks.py``): endpoints, the signing secret and the
delivery log."""

from __future__ import annotations

from pydantic import BaseModel


class EndpointOut(BaseModel):
    id: int
    url: str
    events: list[str] | None
    active: bool
    created_at: float


class EndpointList(BaseModel):
    data: list[EndpointOut]


class SecretOut(BaseModel):
    secret: str


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    subject: str
    endpoint_id: int | None
    url: str
    status: str
    attempts: int
    next_attempt_at: float | None
    last_status_code: int | None
    last_error: str | None
    created_at: float
    delivered_at: float | None


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None
