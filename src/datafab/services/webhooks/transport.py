"""How a delivery reaches the network: only addresses ``netguard`` allows, every socket
operation within the delivery's wall-clock deadline. At delivery the host is resolved,
every address checked, and the connection made to a checked address; redirects are never
followed (the deliverer's client)."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from datafab import netguard

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20,
                      keepalive_expiry=5.0)  # httpx's own defaults, for the deliverer's pool

#: When the delivery this thread is sending must be done (``time.monotonic()``); every socket
#: operation of its request waits at most until then, whatever its own timeout.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_deadline", default=None)


def _within(timeout: float | None, late: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the current delivery's deadline; ``late`` if none."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the delivery's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the delivery's deadline: a receiver
    that answers a byte at a time cannot hold a delivery longer than that (a timeout per read
    alone would let it hold one for ever)."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(
            ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _CheckedBackend(httpcore.NetworkBackend):
    """Opens connections only to addresses ``netguard`` allows: the host is resolved once,
    every address checked, and the socket opened to a checked address (so DNS cannot answer
    differently between the check and the connect). TLS still verifies the host name. Each
    connection keeps to the deadline of the delivery using it."""

    def __init__(self, allowlist: netguard.Allowlist) -> None:
        self.allowlist = allowlist
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = netguard.resolve(host, port, self.allowlist)
        except OSError as exc:  # does not resolve (now): a connect error, retried
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        last: Exception = httpcore.ConnectError(f"{host}: no address")
        for address in addresses:  # in the resolver's order, as a plain connect would
            try:
                return _DeadlineStream(self.inner.connect_tcp(
                    str(address), port, timeout=_within(timeout, httpcore.ConnectTimeout),
                    local_address=local_address, socket_options=socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class CheckedTransport(httpx.HTTPTransport):
    """httpx's transport, its connections opened by ``_CheckedBackend``: the pool httpx
    builds (``_pool``, what ``handle_request`` sends through) with our network backend."""

    def __init__(self, allowlist: netguard.Allowlist, limits: httpx.Limits = LIMITS) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(allowlist))



def set_deadline(when: float | None) -> None:
    """The delivery this thread sends must be done by ``when`` (``time.monotonic()``), or
    None once it is."""
    _DEADLINE.set(when)
