"""A project's rule for personal data in the chunks it receives."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.foundry import Foundry
from datafab.services.projects import load_project
from datafab.store import ingest_keys as stored


class IngestPolicy(BaseModel):
    """What a project does with personal data in the chunks it receives."""

    model_config = ConfigDict(extra="forbid")

    redact: bool = Field(True, description="Replace personal data before anyone sees a chunk "
                         "(false: people and models see the text as it is).")
    replacement: str = Field("tag", pattern="^(tag|pseudonym)$",
                             description="tag: [EMAIL]; pseudonym: <EMAIL_3f9a…>, the same "
                             "value gets the same pseudonym within the organization.")


def get_policy(foundry: Foundry, organization: int, project_id: int) -> IngestPolicy:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        row = stored.policy_row(conn, project.id)
    if row is None:
        return IngestPolicy()
    return IngestPolicy(redact=row.redact, replacement=row.replacement)


def set_policy(foundry: Foundry, organization: int, project_id: int, raw: Any) -> IngestPolicy:
    from datafab.primitives.base import parse

    policy = parse(IngestPolicy, raw, "policy")
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        stored.save_policy(conn, project.id, dict(
            redact=policy.redact, replacement=policy.replacement, updated_at=foundry.now()))
    return policy
