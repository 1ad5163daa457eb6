"""Organizations with their API keys, and contributors with their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import insert, select, update

from datafab.errors import InvalidInput, Unauthorized, from_pydantic
from datafab.foundry import Foundry
from datafab.services.secrets import (
    API_KEY_PREFIX,
    CONTRIBUTOR_TOKEN_PREFIX,
    digest,
    new_secret,
    shown_prefix,
)
from datafab.store.tables import api_keys, contributors, organizations

CONTRIBUTOR_KINDS = ("human", "model")


@dataclass(frozen=True)
class Contributor:
    id: int
    name: str
    kind: str
    skills: list[Any]
    status: str


class ContributorSpec(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field("human", pattern="^(human|model)$")
    skills: list[str] = Field(default_factory=list, max_length=100)


def create_organization(foundry: Foundry, name: str) -> tuple[int, str]:
    """A new organization and its first API key (the key is returned once, never stored)."""
    name = _name(name)
    key = new_secret(API_KEY_PREFIX)
    now = foundry.now()
    with foundry.db.write() as conn:
        org = conn.execute(
            insert(organizations).values(name=name, created_at=now).returning(organizations.c.id)
        ).scalar_one()
        conn.execute(
            insert(api_keys).values(
                organization_id=org,
                name="default",
                prefix=shown_prefix(key),
                key_hash=digest(key),
                created_at=now,
            )
        )
    return org, key


def authenticate_requester(foundry: Foundry, key: str) -> int:
    """The organization an API key belongs to; ``Unauthorized`` for an unknown or revoked key."""
    if not key.startswith(API_KEY_PREFIX):
        raise Unauthorized("not a Datafab API key")
    with foundry.db.read() as conn:
        row = conn.execute(
            select(api_keys.c.organization_id, api_keys.c.revoked_at).where(
                api_keys.c.key_hash == digest(key)
            )
        ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked API key")
    return row.organization_id


def create_contributor(foundry: Foundry, raw: dict[str, Any]) -> tuple[Contributor, str]:
    """A new contributor and their token (returned once, never stored)."""
    try:
        spec = ContributorSpec.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)
    with foundry.db.write() as conn:
        cid = conn.execute(
            insert(contributors)
            .values(
                name=spec.name,
                kind=spec.kind,
                skills=spec.skills,
                status="active",
                token_prefix=shown_prefix(token),
                token_hash=digest(token),
                created_at=foundry.now(),
            )
            .returning(contributors.c.id)
        ).scalar_one()
    return Contributor(cid, spec.name, spec.kind, spec.skills, "active"), token


def authenticate_contributor(foundry: Foundry, token: str) -> Contributor:
    if not token.startswith(CONTRIBUTOR_TOKEN_PREFIX):
        raise Unauthorized("not a Datafab contributor token")
    with foundry.db.read() as conn:
        row = conn.execute(
            select(contributors).where(contributors.c.token_hash == digest(token))
        ).first()
    if row is None or row.status == "removed":
        raise Unauthorized("unknown or removed contributor")
    return Contributor(row.id, row.name, row.kind, row.skills, row.status)


def revoke_api_key(foundry: Foundry, organization: int, key: str) -> None:
    with foundry.db.write() as conn:
        conn.execute(
            update(api_keys)
            .where(api_keys.c.organization_id == organization, api_keys.c.key_hash == digest(key))
            .values(revoked_at=foundry.now())
        )


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: must be 1 to 200 characters", field="name")
    return name
