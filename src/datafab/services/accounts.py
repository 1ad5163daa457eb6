"""Organizations with their API keys, and contributors with their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from datafab.errors import Conflict, InvalidInput, NotFound, Unauthorized, from_pydantic
from datafab.foundry import Foundry
from datafab.names import CleanName, clean_name
from datafab.services import audit
from datafab.services.secrets import (
    API_KEY_PREFIX,
    CONTRIBUTOR_TOKEN_PREFIX,
    digest,
    new_secret,
    shown_prefix,
)
from datafab.store import accounts as queries

CONTRIBUTOR_KINDS = ("human", "model")
LAST_USED_EVERY = 60.0  # seconds: how fresh a key's last-used time is kept


@dataclass(frozen=True)
class Contributor:
    id: int
    name: str
    kind: str
    skills: list[Any]
    status: str


class ContributorSpec(BaseModel):
    name: CleanName = Field(min_length=1, max_length=200)
    kind: str = Field("human", pattern="^(human|model)$")
    skills: list[str] = Field(default_factory=list, max_length=100)


def create_organization(foundry: Foundry, name: str, actor: str = "cli") -> tuple[int, str]:
    """A new organization and its first API key (the key is returned once, never stored)."""
    name = _name(name)
    key = new_secret(API_KEY_PREFIX)
    now = foundry.now()
    with foundry.db.write() as conn:
        org = queries.add_organization(conn, name=name, now=now)
        key_id = queries.add_api_key(conn, organization=org, name="default",
                                     prefix=shown_prefix(key), key_hash=digest(key), now=now)
        audit.record(conn, now, organization=org, actor=actor, action="api_key.created",
                     target=f"api_key:{key_id}",
                     details={"name": "default", "prefix": shown_prefix(key)})
    return org, key


def authenticate_requester(foundry: Foundry, key: str) -> int:
    """The organization an API key belongs to; ``Unauthorized`` for an unknown or revoked key.
    Notes the key's last use (at most once a minute per key)."""
    if not key.startswith(API_KEY_PREFIX):
        raise Unauthorized("not a Datafab API key")
    with foundry.db.read() as conn:
        row = queries.key_by_digest(conn, digest(key))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked API key")
    now = foundry.now()
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
        with foundry.db.write() as conn:
            queries.note_key_used(conn, row.id, now)
    return row.organization_id


def create_contributor(foundry: Foundry, raw: dict[str, Any]) -> tuple[Contributor, str]:
    """A new contributor and their token (returned once, never stored)."""
    try:
        spec = ContributorSpec.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)
    with foundry.db.write() as conn:
        cid = queries.add_contributor(
            conn, name=spec.name, kind=spec.kind, skills=spec.skills, status="active",
            token_prefix=shown_prefix(token), token_hash=digest(token), created_at=foundry.now())
    return Contributor(cid, spec.name, spec.kind, spec.skills, "active"), token


def authenticate_contributor(foundry: Foundry, token: str) -> Contributor:
    if not token.startswith(CONTRIBUTOR_TOKEN_PREFIX):
        raise Unauthorized("not a Datafab contributor token")
    with foundry.db.read() as conn:
        row = queries.contributor_by_token(conn, digest(token))
    if row is None or row.status == "removed":
        raise Unauthorized("unknown or removed contributor")
    return Contributor(row.id, row.name, row.kind, row.skills, row.status)


def revoke_api_key(foundry: Foundry, organization: int, key: str) -> None:
    with foundry.db.write() as conn:
        queries.revoke_by_digest(conn, organization=organization, key_hash=digest(key),
                                 now=foundry.now())


def create_api_key(foundry: Foundry, organization: int, name: str,
                   actor: str = "api") -> tuple[dict[str, Any], str]:
    """Another API key for the organization: its description, and the key itself (shown this
    once; only its hash is kept)."""
    name = _name(name)
    key = new_secret(API_KEY_PREFIX)
    now = foundry.now()
    with foundry.db.write() as conn:
        if not queries.organization_exists(conn, organization):
            raise NotFound(f"organization {organization} not found", field="organization")
        key_id = queries.add_api_key(conn, organization=organization, name=name,
                                     prefix=shown_prefix(key), key_hash=digest(key), now=now)
        audit.record(conn, now, organization=organization, actor=actor,
                     action="api_key.created", target=f"api_key:{key_id}",
                     details={"name": name, "prefix": shown_prefix(key)})
    return _key_json(key_id, name, shown_prefix(key), now, None, None), key


def list_api_keys(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    """The organization's keys: name, shown prefix, created, last used, revoked — never the
    key."""
    with foundry.db.read() as conn:
        rows = queries.keys_of(conn, organization)
    return [_key_json(r.id, r.name, r.prefix, r.created_at, r.last_used_at, r.revoked_at)
            for r in rows]


def revoke_key(foundry: Foundry, organization: int, key_id: int,
               actor: str = "api") -> dict[str, Any]:
    """Revoke one of the organization's keys by id (another organization's id: not found).
    The last working key cannot be revoked (``Conflict``): the organization would be locked
    out of its own data, and only an operator could let it back in."""
    now = foundry.now()
    with foundry.db.write() as conn:
        live = queries.lock_live_keys(conn, organization)  # two revocations: one passes
        row = queries.key_of(conn, organization=organization, key_id=key_id)
        if row is None:
            raise NotFound(f"API key {key_id} not found", field="key_id")
        revoked = row.revoked_at
        if revoked is None and set(live) <= {key_id}:
            raise Conflict("key_id: this is the organization's last working key; create "
                           "another (POST /v1/keys) before revoking it", field="key_id")
        if revoked is None:
            revoked = now
            queries.revoke_key(conn, key_id, now)
            audit.record(conn, now, organization=organization, actor=actor,
                         action="api_key.revoked", target=f"api_key:{key_id}",
                         details={"name": row.name, "prefix": row.prefix})
    return _key_json(row.id, row.name, row.prefix, row.created_at, row.last_used_at, revoked)


def _key_json(key_id: int, name: str, prefix: str, created: float, last_used: float | None,
              revoked: float | None) -> dict[str, Any]:
    return {"id": key_id, "name": name, "prefix": prefix, "created_at": created,
            "last_used_at": last_used, "revoked_at": revoked}


def _name(name: str) -> str:
    try:
        name = clean_name(name or "")
    except ValueError as exc:
        raise InvalidInput(f"name: {exc}", field="name") from exc
    if len(name) > 200:
        raise InvalidInput("name: must be 1 to 200 characters", field="name")
    return name
