"""A real uvicorn server on 127.0.0.1 for a test: started in a thread, waited for, stopped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    """A server started by :func:`start`: its base URL, and how to stop it."""

    url: str
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start(app: Any, **config: Any) -> Running:
    """Start ``app`` on a free port in a thread and wait until it listens; ``config`` goes
    to uvicorn."""
    import uvicorn

    port = free_port()
    options = {"log_level": "warning", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "server did not start"
    return Running(f"http://127.0.0.1:{port}", server, thread)


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[str]:
    """Serve ``app`` until the block ends; its base URL. ``config`` goes to uvicorn."""
    running = start(app, **config)
    try:
        yield running.url
    finally:
        running.stop()
