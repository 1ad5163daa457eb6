"""Who is calling: a requester's organization (API key) or a contributor (token).

Both arrive as ``Authorization: Bearer …``; the prefix tells them apart. Successful look-ups
are cached for a few seconds per process, so the hot path costs no extra query. Every
authenticated request spends one of its caller's rate limit, and every failed one one of its
client address's (see ``authenticate``).
"""

from __future__ import annotations

import time
from typing import Annotated, Literal, overload

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from datafab.api.limits import RateLimits
from datafab.errors import Unauthorized
from datafab.foundry import Foundry
from datafab.services import accounts, logins
from datafab.services.accounts import Contributor
from datafab.services.secrets import CONTRIBUTOR_TOKEN_PREFIX, digest, shown_prefix

CACHE_SECONDS = 5.0
MISSING = "missing 'Authorization: Bearer <key>' header"
CHARGED = "datafab.charged"  # in the ASGI scope: (kind, credential digest) already counted
bearer = HTTPBearer(auto_error=False, description="A requester API key or a contributor token")


def foundry_of(request: Request) -> Foundry:
    return request.app.state.foundry


class _Cache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[float, object]] = {}

    def get(self, key: tuple[str, str]):
        hit = self._entries.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key: tuple[str, str], value: object) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + CACHE_SECONDS, value)

    def clear(self) -> None:
        self._entries.clear()


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


@overload
def authenticate(request_or_scope: Request | Scope, kind: Literal["requester"],
                 secret: str | None, *, missing: str = MISSING) -> int: ...
@overload
def authenticate(request_or_scope: Request | Scope, kind: Literal["contributor"],
                 secret: str | None, *, missing: str = MISSING) -> Contributor: ...
@overload
def authenticate(request_or_scope: Request | Scope, kind: str, secret: str | None, *,
                 missing: str = MISSING) -> int | Contributor: ...
def authenticate(request_or_scope: Request | Scope, kind: str, secret: str | None, *,
                 missing: str = MISSING) -> int | Contributor:
    """Who holds ``secret`` — an organization id (``kind`` "requester") or a contributor —
    with one request spent of their rate limit.

    A failed attempt (a missing, unknown or revoked credential) spends one of the client
    address's; while the address has none left, a request without a credential, or with one
    not already known, is refused with 429 before any look-up. A request the idempotency
    middleware has authenticated already is not charged twice."""
    scope = request_or_scope.scope if isinstance(request_or_scope, Request) else request_or_scope
    state = scope["app"].state
    address = client_address(scope)
    failures: RateLimits = state.failed_auth_limits
    if not secret:
        failures.take(address)
        raise Unauthorized(missing)
    cache: _Cache = state.auth_cache
    who = cache.get((kind, secret))
    if who is None:
        failures.ensure(address)
        try:
            if kind == "requester":
                who = accounts.authenticate_requester(state.foundry, secret)
            else:
                who = accounts.authenticate_contributor(state.foundry, secret)
        except Unauthorized:
            failures.charge(address)
            raise
        cache.put((kind, secret), who)
    _charge(scope, kind, secret, who)
    return who


def known_contributor(scope: Scope, secret: str) -> Contributor | None:
    """The contributor holding ``secret`` if the cache knows them (one request spent of
    their rate limit, as ``authenticate``), else None: no look-up, no I/O."""
    who = scope["app"].state.auth_cache.get(("contributor", secret))
    if who is not None:
        _charge(scope, "contributor", secret, who)
    return who


def _charge(scope: Scope, kind: str, secret: str, who: int | Contributor) -> None:
    charged = (kind, digest(secret))
    if scope.get(CHARGED) != charged:
        state = scope["app"].state
        if isinstance(who, Contributor):
            state.contributor_limits.take(str(who.id))
        else:
            state.api_key_limits.take(charged[1])
        scope[CHARGED] = charged


def kind_of(secret: str) -> str:
    """Which kind of caller a credential claims to be, by its prefix."""
    return "contributor" if secret.startswith(CONTRIBUTOR_TOKEN_PREFIX) else "requester"


def requester(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The calling requester's organization id."""
    secret = credentials.credentials if credentials else None
    org = authenticate(request, "requester", secret)
    request.state.actor = f"api key {shown_prefix(secret or '')}"  # authenticated: not None
    return org


def contributor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Contributor:
    """The calling contributor."""
    return authenticate(request, "contributor", credentials.credentials if credentials else None)


def operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """The foundry's own staff: ``Authorization: Bearer <DATAFAB_OPERATOR_TOKEN>``."""
    check_operator(foundry_of(request), credentials.credentials if credentials else "")


def check_operator(foundry: Foundry, token: str) -> None:
    if not token or not logins.operator_token_matches(foundry, token):
        raise Unauthorized("an operator token is needed (DATAFAB_OPERATOR_TOKEN)")


def actor(request: Request, _: Annotated[int, Depends(requester)]) -> str:
    """Who the calling requester is, as the audit log names them (the key's shown prefix)."""
    return request.state.actor


Requester = Annotated[int, Depends(requester)]
ContributorDep = Annotated[Contributor, Depends(contributor)]
FoundryDep = Annotated[Foundry, Depends(foundry_of)]
Actor = Annotated[str, Depends(actor)]
Operator = Annotated[None, Depends(operator)]
