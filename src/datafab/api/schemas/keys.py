"""The API-key and audit-log routes' answers (``api/keys.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: float
    last_used_at: float | None
    revoked_at: float | None


class KeyList(BaseModel):
    data: list[KeyOut]


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown in this answer only.")


class AuditEntry(BaseModel):
    id: int
    at: float
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    data: list[AuditEntry]
    next_cursor: str | None
