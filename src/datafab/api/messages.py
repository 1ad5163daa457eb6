"""A contributor's inbox over HTTP: their messages, and marking one read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from datafab.api.auth import ContributorDep, FoundryDep
from datafab.api.bodies import CheckedRoute
from datafab.services.messages import inbox

router = APIRouter(prefix="/v1", tags=["messages"], route_class=CheckedRoute)


class MessageOut(BaseModel):
    id: int
    project_id: int | None
    project_name: str | None
    kind: str
    sender: str
    item_id: int | None
    parent_id: int | None
    subject: str
    body: str
    created_at: float
    read_at: float | None


class InboxOut(BaseModel):
    unread: int
    messages: list[MessageOut]


class ReadOut(BaseModel):
    id: int
    read: bool


@router.get("/me/messages", response_model=InboxOut)
def my_messages(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    shown = inbox.messages_of(foundry, who)
    return {"unread": sum(m.read_at is None for m in shown),
            "messages": [m.__dict__ for m in shown]}


@router.post("/me/messages/{message_id}/read", response_model=ReadOut)
def read(message_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    inbox.mark_read(foundry, who, message_id)
    return {"id": message_id, "read": True}
