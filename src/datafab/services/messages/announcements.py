"""Announcements: a requester (for their own organization's project) or an operator (any
project) writes to everyone who works or worked on the project."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab import parsing
from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services import audit
from datafab.services.messages import mail
from datafab.services.projects import load_project
from datafab.store import inbox as sql

ANNOUNCEMENT = "announcement"


class AnnouncementIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


def parse(raw: Any, model: type[BaseModel] = AnnouncementIn) -> Any:
    parsed = parsing.parse(model, raw)
    for name in ("subject", "body"):
        if isinstance(getattr(parsed, name, None), str) and not getattr(parsed, name).strip():
            raise InvalidInput(f"{name}: write something", field=name)
    return parsed


def announce(foundry: Foundry, organization: int | None, project_id: int, raw: Any, *,
             actor: str) -> dict[str, Any]:
    """Post an announcement to the project's contributors (``organization`` None: an
    operator, any project; otherwise only the organization's own, 404 for another's)."""
    body: AnnouncementIn = parse(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        recipients = sql.project_contributors(conn, project.id)
        message = sql.add_message(conn, project=project.id, kind=ANNOUNCEMENT, sender=actor,
                                  subject=body.subject.strip(), body=body.body.strip(),
                                  now=now)
        sql.deliver(conn, message, recipients)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action="message.announced", target=f"project:{project.id}",
                     details={"message_id": message, "recipients": len(recipients)})
    emailed = mail.send_pending(foundry)
    return {"id": message, "project_id": project.id, "recipients": len(recipients),
            "emailed": emailed}
