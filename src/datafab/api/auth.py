"""Who is calling: a requester's organization (API key) or a contributor (token).

Both arrive as ``Authorization: Bearer …``; the prefix tells them apart. Successful look-ups
are cached for a few seconds per process, so the hot path costs no extra query.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from datafab.errors import Unauthorized
from datafab.foundry import Foundry
from datafab.services import accounts
from datafab.services.accounts import Contributor
from datafab.services.secrets import digest, shown_prefix

CACHE_SECONDS = 5.0
bearer = HTTPBearer(auto_error=False, description="A requester API key or a contributor token")


def foundry_of(request: Request) -> Foundry:
    return request.app.state.foundry


def _secret(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing 'Authorization: Bearer <key>' header")
    return credentials.credentials


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


def requester(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The calling requester's organization id."""
    secret = _secret(credentials)
    cache: _Cache = request.app.state.auth_cache
    org = cache.get(("requester", secret))
    if org is None:
        org = accounts.authenticate_requester(foundry_of(request), secret)
        cache.put(("requester", secret), org)
    request.app.state.api_key_limits.take(digest(secret))
    request.state.actor = f"api key {shown_prefix(secret)}"
    return org


def contributor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Contributor:
    """The calling contributor."""
    secret = _secret(credentials)
    cache: _Cache = request.app.state.auth_cache
    who = cache.get(("contributor", secret))
    if who is None:
        who = accounts.authenticate_contributor(foundry_of(request), secret)
        cache.put(("contributor", secret), who)
    request.app.state.contributor_limits.take(str(who.id))
    return who


def actor(request: Request, _: Annotated[int, Depends(requester)]) -> str:
    """Who the calling requester is, as the audit log names them (the key's shown prefix)."""
    return request.state.actor


Requester = Annotated[int, Depends(requester)]
ContributorDep = Annotated[Contributor, Depends(contributor)]
FoundryDep = Annotated[Foundry, Depends(foundry_of)]
Actor = Annotated[str, Depends(actor)]
