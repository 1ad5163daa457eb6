"""Every request body is read the same way (see ``datafab.json_limits``):

- ``JsonDepth`` (ASGI middleware, inside the body-size limit) refuses a body whose arrays and
  objects nest more than ``MAX_DEPTH`` deep, from its raw bytes, before any route, parser or
  credential check sees it. Form posts (the pages' forms, file uploads) are not JSON and pass.
- ``CheckedRoute`` (every ``/v1`` router's route class) checks the caller's credentials
  first (a requester's API key, a contributor's token, the operator token: 401 before the
  body is parsed), then
  parses a JSON body with ``json_limits.loads`` — not UTF-8, a lone surrogate, a NUL
  character, NaN or Infinity, an integer past 64 bits: 422 naming the field — and refuses
  integer path and query parameters past 64 bits by name, before the route's own validation
  runs.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable

from fastapi import params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datafab import json_limits
from datafab.api import auth
from datafab.errors import InvalidInput, Unauthorized
from datafab.services import accounts

NOT_JSON = (b"multipart/form-data", b"application/x-www-form-urlencoded")
SCALE_PREFIX = "/compat/scale/"  # answers in its vendor's error shape (api/scale_compat.py)


class JsonDepth:
    def __init__(self, app: ASGIApp, limit: int = json_limits.MAX_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if content_type.startswith(NOT_JSON):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if json_limits.too_deep(raw, self.limit):
            await _refuse(scope, send, json_limits.depth_error(limit=self.limit))
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, exc: InvalidInput) -> None:
    if scope["path"].startswith(SCALE_PREFIX):
        status, body = 400, {"error": exc.message, "status_code": 400}
    else:
        status, body = exc.status, exc.to_dict()
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode())]})
    await send({"type": "http.response.body", "body": raw})


class CheckedRequest(Request):
    async def json(self):
        if not hasattr(self, "_json"):
            self._json = json_limits.loads(await self.body())
        return self._json


class CheckedRoute(APIRoute):
    """A route whose JSON body and integer parameters are checked before its handler's own
    validation (which would otherwise see a lone surrogate or a 2**64 id as fine)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        integers = [(f.alias, isinstance(f.field_info, params.Path))
                    for f in get_flat_params(self.dependant)
                    if isinstance(f.field_info, params.Path | params.Query)
                    and _is_int(f.field_info.annotation)]
        json_body = self.body_field is not None and not isinstance(self.body_field.field_info,
                                                                   params.Form)
        callers = _callers(self.dependant)

        async def checked_handler(request: Request):
            for name, in_path in integers:
                values = ([request.path_params.get(name)] if in_path
                          else request.query_params.getlist(name))
                for value in values:
                    _check_integer(name, value)
            if json_body:
                request = CheckedRequest(request.scope, request.receive)
                if _is_json(request.headers.get("content-type")) and await request.body():
                    for kind in callers:  # who is calling, before anything is parsed
                        await run_in_threadpool(_authenticate, request, kind)
                    await request.json()  # refused here, in Datafab's shape, naming the field
            return await handler(request)

        return checked_handler


def _callers(dependant) -> list[str]:
    """Which credentials the route needs: ``requester``, ``contributor``, ``operator`` (see
    api/auth.py)."""
    found, stack = [], [dependant]
    while stack:
        for dep in stack.pop().dependencies:
            if dep.call is auth.requester and "requester" not in found:
                found.append("requester")
            elif dep.call is auth.contributor and "contributor" not in found:
                found.append("contributor")
            elif dep.call is auth.operator and "operator" not in found:
                found.append("operator")
            stack.append(dep)
    return found


def _authenticate(request: Request, kind: str) -> None:
    """Check the credentials as api/auth.py does, into its cache: the route's own dependency
    then finds them there (and counts the request against the rate limit)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("missing 'Authorization: Bearer <key>' header")
    if kind == "operator":  # one constant-time comparison with the configured token's hash
        auth.check_operator(request.app.state.foundry, secret)
        return
    cache = request.app.state.auth_cache
    if cache.get((kind, secret)) is None:
        foundry = request.app.state.foundry
        who = (accounts.authenticate_requester(foundry, secret) if kind == "requester"
               else accounts.authenticate_contributor(foundry, secret))
        cache.put((kind, secret), who)


def _is_int(annotation) -> bool:
    if annotation is int:
        return True
    return int in typing.get_args(annotation) and bool not in typing.get_args(annotation)


def _check_integer(name: str, value) -> None:
    if not isinstance(value, str):
        return
    text = value.strip()
    if text.lstrip("+-").isdigit() and len(text) > 18:
        if not -json_limits.INT64 <= int(text) < json_limits.INT64:
            raise InvalidInput(f"{name}: a number past 64 bits", field=name)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))
