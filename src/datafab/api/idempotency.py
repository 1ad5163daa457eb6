"""``Idempotency-Key`` on every POST, as plain ASGI middleware (see services/idempotency).

Only requests that carry both the header and a credential are remembered, and only once the
credential is authenticated (and its rate limit spent): a key belongs to that credential (its
row holds the credential's digest, never the credential), so a revoked or unknown credential
is refused before anything is read, written or replayed. The response is replayed byte for
byte with ``Idempotent-Replayed: true``; a response that shows a secret (or says
``Cache-Control: no-store``) is never stored, and its repeat gets 409 instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datafab.api import scale_compat
from datafab.api.auth import authenticate, kind_of
from datafab.errors import DatafabError, RateLimited
from datafab.services import idempotency
from datafab.services.idempotency import KeyInFlight, Stored

log = logging.getLogger("datafab.api.idempotency")
HEADER = b"idempotency-key"
NOT_STORED = {401, 403, 429}  # refusals a retry should not be stuck with


class Idempotency:
    def __init__(self, app: ASGIApp, foundry: Any) -> None:
        self.app = app
        self.foundry = foundry
        self._next_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        scale = scope["path"].startswith(scale_compat.PREFIX)
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        credential = scale_compat.credential(authorization) if scale else _bearer(authorization)
        if raw_key is None or credential is None:
            await self.app(scope, receive, send)
            return
        try:
            # Who is asking comes first: a refused credential (unknown, revoked, over its rate)
            # gets nothing stored and nothing replayed.
            await run_in_threadpool(authenticate, scope, kind_of(credential), credential)
            key = idempotency.check_key(raw_key.decode("latin-1"))
        except DatafabError as exc:
            await _error(send, exc, scale=scale)
            return
        body = await _read_body(receive)
        try:
            print_ = idempotency.fingerprint(scope["method"], scope["path"],
                                             scope.get("query_string", b""), body)
            await self._maybe_purge()
            begun = await run_in_threadpool(
                idempotency.begin, self.foundry, idempotency.scope_of(credential), key, print_
            )
        except DatafabError as exc:
            await _error(send, exc, scale=scale)
            return
        if isinstance(begun, Stored):
            await _replay(send, begun)
            return
        await self._run(scope, body, send, begun)

    async def _run(self, scope: Scope, body: bytes, send: Send, claim: int) -> None:
        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status, content_type, chunks, storable = 500, None, [], True

        async def capture(message: Message) -> None:
            nonlocal status, content_type, storable
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
                    elif name.lower() == b"cache-control" and b"no-store" in value.lower():
                        storable = False
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        beating = asyncio.create_task(self._heartbeat(claim))
        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await run_in_threadpool(idempotency.abandon, self.foundry, claim)
            raise
        finally:
            beating.cancel()
        if status >= 500 or status in NOT_STORED:
            await run_in_threadpool(idempotency.abandon, self.foundry, claim)
        else:
            await run_in_threadpool(partial(idempotency.finish, storable=storable),
                                    self.foundry, claim, status, content_type, b"".join(chunks))

    async def _heartbeat(self, claim: int) -> None:
        """While the request runs, renew its claim every third of the lock: a crash frees the
        key within one lock period, however long a healthy request takes."""
        every = self.foundry.settings.idempotency_lock_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                await run_in_threadpool(idempotency.heartbeat, self.foundry, claim)
            except Exception:  # the database is busy or away: try again next beat
                log.warning("could not renew an Idempotency-Key's claim", exc_info=True)

    async def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now >= self._next_purge:
            self._next_purge = now + idempotency.PURGE_EVERY
            await run_in_threadpool(idempotency.purge, self.foundry)


def _bearer(value: str) -> str | None:
    scheme, _, credential = value.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(send: Send, stored: Stored) -> None:
    headers = [(b"content-length", str(len(stored.body)).encode()),
               (b"idempotent-replayed", b"true")]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


async def _error(send: Send, exc: DatafabError, *, scale: bool) -> None:
    if scale:  # the vendor-compatible surface's own error shape and status codes
        status = scale_compat.STATUS.get(exc.status, exc.status)
        body = json.dumps({"error": exc.message, "status_code": status}).encode()
    else:
        status, body = exc.status, json.dumps(exc.to_dict()).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if isinstance(exc, KeyInFlight | RateLimited):
        headers.append((b"retry-after", str(exc.retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

