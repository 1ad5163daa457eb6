"""Signing in from a browser: contributors with an email and a password (hashed with Argon2id),
requesters with an API key, operators with the operator token.

A contributor who signs up also gets a token like any contributor made by the CLI (so the
lease API and model-style scripts work for them too); contributors made by the CLI have no
password and keep using their token.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field, ValidationError, field_validator

from datafab.errors import Conflict, InvalidInput, Unauthorized, from_pydantic
from datafab.foundry import Foundry
from datafab.names import clean_name
from datafab.services import pools
from datafab.services.accounts import Contributor
from datafab.services.secrets import CONTRIBUTOR_TOKEN_PREFIX, digest, new_secret, shown_prefix
from datafab.store import accounts as queries
from datafab.store.handles import IntegrityError

MIN_PASSWORD = 10
MAX_PASSWORD = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_HASHER = PasswordHasher()
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("datafab: nobody has this password")


class SignUp(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("enter your name")
        return clean_name(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = normal_email(value)
        if not _EMAIL.match(value):
            raise ValueError("enter an email address such as ada@example.org")
        return value


def normal_email(email: str) -> str:
    return (email or "").strip().lower()


def sign_up_problems(raw: dict[str, Any]) -> dict[str, str]:
    """Every problem with a sign-up form at once, by field (empty when it is valid)."""
    try:
        SignUp.model_validate(raw)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "_"
            message = error["msg"].removeprefix("Value error, ")
            problems.setdefault(field, message[:1].upper() + message[1:])
        return problems
    return {}


def sign_up(foundry: Foundry, raw: dict[str, Any]) -> Contributor:
    """A new human contributor who signs in with email and password. With an ``invite``
    code, they join its organization's pool in the same transaction (a code that is not
    good refuses the sign-up, naming ``invite``, and writes nothing)."""
    raw = dict(raw)
    invite = raw.pop("invite", None) or None
    if invite is not None and not isinstance(invite, str):
        raise InvalidInput("invite: expected an invitation code", field="invite")
    try:
        spec = SignUp.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    password_hash = _HASHER.hash(spec.password)
    token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)
    try:
        with foundry.db.write() as conn:
            cid = queries.add_contributor(
                conn, name=spec.name, kind="human", skills=[], status="active",
                token_prefix=shown_prefix(token), token_hash=digest(token),
                created_at=foundry.now(), email=spec.email, password_hash=password_hash,
                skill_levels={})
            if invite is not None:
                pools.redeem(conn, invite, cid, foundry.now())
    except IntegrityError as exc:
        raise Conflict("email: an account with this email exists; log in instead",
                       field="email") from exc
    return Contributor(cid, spec.name, "human", [], "active")


def log_in(foundry: Foundry, email: str, password: str) -> Contributor:
    """The contributor with this email and password; ``Unauthorized`` otherwise (the same
    message whether the email or the password was wrong)."""
    email = normal_email(email)
    if not email or not password or len(password) > MAX_PASSWORD:
        raise Unauthorized("wrong email or password", field="password")
    with foundry.db.read() as conn:
        row = queries.contributor_by_email(conn, email)
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong email or password", field="password") from None
    if row is None or not row.password_hash:
        raise Unauthorized("wrong email or password", field="password")
    if row.status == "removed":
        raise Unauthorized("this account has been removed from the pool", field="email")
    if _HASHER.check_needs_rehash(stored):
        with foundry.db.write() as conn:
            queries.set_password_hash(conn, row.id, _HASHER.hash(password))
    return Contributor(row.id, row.name, row.kind, row.skills, row.status)


def contributor_by_id(foundry: Foundry, contributor_id: int) -> Contributor:
    """The signed-in contributor, read afresh (a removed one is signed out)."""
    with foundry.db.read() as conn:
        row = queries.contributor(conn, contributor_id)
    if row is None or row.status == "removed":
        raise Unauthorized("your session has ended; log in again")
    return Contributor(row.id, row.name, row.kind, row.skills, row.status)


def requester_by_key(foundry: Foundry, key: str) -> tuple[int, str]:
    """(organization, key digest) for a requester's API key; the digest is what a browser
    session keeps, never the key."""
    from datafab.services.accounts import authenticate_requester

    key = (key or "").strip()
    if not key:
        raise InvalidInput("api_key: paste your API key", field="api_key")
    try:
        org = authenticate_requester(foundry, key)
    except Unauthorized as exc:
        raise Unauthorized(f"api_key: {exc.message}", field="api_key") from exc
    return org, digest(key)


def organization_name(foundry: Foundry, organization: int) -> str:
    with foundry.db.read() as conn:
        name = queries.organization_name(conn, organization)
    return name or f"organization {organization}"


def operator_token_matches(foundry: Foundry, token: str) -> bool:
    """Whether ``token`` is the configured operator token (never, when none is set)."""
    expected = foundry.settings.operator_token
    if not expected or not token:
        return False
    return hmac.compare_digest(digest(token.strip()), digest(expected))


def operator_digest(foundry: Foundry) -> str | None:
    """A digest of the operator token, kept in operator sessions: changing the token ends them."""
    expected = foundry.settings.operator_token
    return digest("operator:" + expected) if expected else None
