"""The lease path's three hot routes — ``POST /v1/projects/{id}/leases``,
``POST /v1/leases/{id}/submit`` and ``POST /v1/submissions`` — answered in one ASGI layer.

A contributor leasing and answering calls these two to twenty times a second. Through the
framework each call went through routing, dependency solving (three threadpool hops: the
credential check, the contributor, the foundry), body validation and the response model's
validation of the service's own output, which together cost more than the service's
statements. ``LeasePath`` takes a call here when all of this holds:

- the path is one of the three with an integer id, and there is no query string;
- no ``Idempotency-Key`` (the idempotency middleware remembers those);
- a JSON content type and a ``Content-Length`` within the body limit;
- a bearer credential already in the authentication cache (``api.auth``): the caller is
  known, and one request is spent of their rate limit before the body is parsed;
- the body is within the nesting limit, parses with ``json_limits.loads`` and validates as
  the route's body model.

The service is then called as the route calls it (``api.work``), in one threadpool hop, and
its output is sent as JSON (the route's response model documents it; a test holds the two
equal). Anything else — a first call with a credential, a refused or malformed body, an
idempotent POST — goes on, body replayed, to the full stack, which answers it as before;
the request is not charged twice (``auth.CHARGED``). A service refusal is rendered by the
application's own exception handlers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datafab import json_limits
from datafab.api import work
from datafab.api.auth import client_address, known_contributor
from datafab.errors import DatafabError, InvalidInput
from datafab.services.secrets import CONTRIBUTOR_TOKEN_PREFIX

JSON_TYPE = b"application/json"


class _Route:
    def __init__(
        self,
        path: str,
        body: type[BaseModel],
        optional: bool,
        answer: Callable[..., dict[str, Any]],
        with_address: bool = False,
    ) -> None:
        self.pattern = re.compile("^" + re.sub(r"\{\w+\}", r"([0-9]{1,18})", path) + "$")
        self.body, self.optional, self.answer = body, optional, answer
        self.with_address = with_address

    def call(
        self, scope: Scope, foundry: Any, who: Any, path_id: int | None, body: BaseModel | None
    ) -> dict[str, Any]:
        args: list[Any] = [foundry, who] + ([] if path_id is None else [path_id]) + [body]
        if self.with_address:
            args.append(client_address(scope))
        return self.answer(*args)


ROUTES = (
    _Route(work.PREFIX + work.LEASES, work.LeaseRequest, True, work.leased, True),
    _Route(work.PREFIX + work.SUBMIT, work.SubmissionIn, False, work.submitted),
    _Route(work.PREFIX + work.SUBMISSIONS, work.SubmissionBatch, False, work.submitted_many),
)


class LeasePath:
    def __init__(self, app: ASGIApp, foundry: Any, limit: int) -> None:
        self.app, self.foundry, self.limit = app, foundry, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        taken = _route(scope) if scope["type"] == "http" else None
        secret = _credential(scope, self.limit) if taken else None
        if taken is None or secret is None:
            await self.app(scope, receive, send)
            return
        route, path_id = taken
        try:
            who = known_contributor(scope, secret)
        except DatafabError as exc:  # over the rate limit
            await self._refuse(scope, send, exc)
            return
        if who is None:
            await self.app(scope, receive, send)  # the first call: the full stack looks it up
            return
        messages, raw = await _read(receive, self.limit)
        body = _parsed(route, raw) if raw is not None else _REFUSED
        if body is _REFUSED:  # the full stack refuses it in its own words
            await self.app(scope, _replay(messages, receive), send)
            return
        try:
            out = await run_in_threadpool(route.call, scope, self.foundry, who, path_id, body)
        except (DatafabError, OverflowError) as exc:
            await self._refuse(scope, send, exc)
            return
        await _send_json(send, 200, _encoded(out))

    async def _refuse(self, scope: Scope, send: Send, exc: Exception) -> None:
        """Rendered by the application's handler for the exception, as the route's would be."""
        handlers = scope["app"].exception_handlers
        handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
        response = await handler(Request(scope), exc)
        await response(scope, _no_receive, send)


_REFUSED: Any = object()


def _route(scope: Scope) -> tuple[_Route, int | None] | None:
    if scope["method"] != "POST" or scope.get("query_string"):
        return None
    path = scope["path"]
    if not path.startswith("/v1/"):
        return None
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            return route, int(found.group(1)) if found.groups() else None
    return None


def _credential(scope: Scope, limit: int) -> str | None:
    """The contributor token of a plain JSON call within the body limit, else None."""
    secret, content_type, length = None, None, None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            secret = token.strip() if scheme.lower() == "bearer" else None
        elif name == b"content-type":
            content_type = value
        elif name == b"content-length":
            length = value
        elif name == b"idempotency-key":
            return None
    if (
        not secret
        or not secret.startswith(CONTRIBUTOR_TOKEN_PREFIX)
        or length is None
        or not length.isdigit()
        or int(length) > limit
    ):
        return None
    if content_type is not None and content_type.split(b";", 1)[0].strip().lower() != JSON_TYPE:
        return None  # no content type: parsed as JSON, as FastAPI does
    return secret


async def _read(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The body's messages as received, and its bytes (None: cut short or past the limit)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _parsed(route: _Route, raw: bytes) -> BaseModel | None:
    """The body as the route's model, or ``_REFUSED`` for anything the route would refuse."""
    if not raw:
        return None if route.optional else _REFUSED
    if json_limits.too_deep(raw):
        return _REFUSED
    try:
        return route.body.model_validate(json_limits.loads(raw))
    except (InvalidInput, ValidationError):
        return _REFUSED


def _encoded(out: dict[str, Any]) -> bytes:
    """The answer as JSON: orjson, a few times faster than the standard encoder on a batch of
    leases, or the standard encoder for what orjson refuses (an integer past 64 bits)."""
    try:
        return orjson.dumps(out)
    except orjson.JSONEncodeError:
        return json.dumps(out, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", JSON_TYPE)],
        }
    )
    await send({"type": "http.response.body", "body": body})
