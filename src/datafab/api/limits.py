"""A body-size limit as plain ASGI middleware (no per-request overhead beyond a header look),
and per-caller rate limits."""

from __future__ import annotations

import json
import math

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datafab.errors import RateLimited


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": {"type": "payload_too_large", "field": "body",
                       "message": f"body: larger than {self.limit} bytes"}}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class RateLimits:
    """Requests per second per caller (an API key, a contributor, a client address's failed
    authentications): a token bucket holding two
    seconds' worth, refilled continuously. Counted per process, in memory, on the foundry's
    clock. Over the limit: ``RateLimited`` with the seconds until the next request may pass."""

    def __init__(self, per_second: float, clock) -> None:
        self.rate = per_second
        self.capacity = 2 * per_second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)

    def take(self, caller: str) -> None:
        """Spend one request of ``caller``'s, or refuse (``RateLimited``) when none is left."""
        self.ensure(caller)
        self.charge(caller)

    def ensure(self, caller: str) -> None:
        """Refuse (``RateLimited``) when ``caller`` has no request left; spend nothing."""
        if self.rate <= 0:
            return
        tokens, now = self._refilled(caller)
        if tokens < 1:
            self._buckets[caller] = (tokens, now)
            wait = max(1, math.ceil((1 - tokens) / self.rate))
            raise RateLimited(f"too many requests: at most {self.rate:g} a second; "
                              f"retry in {wait} s", retry_after=wait)

    def charge(self, caller: str) -> None:
        """Spend one request of ``caller``'s (down to an empty bucket, never refusing)."""
        if self.rate <= 0:
            return
        tokens, now = self._refilled(caller)
        if len(self._buckets) > 100_000:
            self._buckets.clear()
        self._buckets[caller] = (max(0.0, tokens - 1), now)

    def _refilled(self, caller: str) -> tuple[float, float]:
        now = self.clock()
        tokens, at = self._buckets.get(caller, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate), now
