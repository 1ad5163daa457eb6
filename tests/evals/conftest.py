"""Fixtures for evaluations: a real Datafab server over the test's database (SQLite and
PostgreSQL), and scripted OpenAI-compatible model servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from hybrid.chat_server import free_port


@pytest.fixture
def served(foundry) -> Iterator[str]:
    """The foundry's API on 127.0.0.1 (a real uvicorn server), for the SDK and the CLI."""
    from datafab.api.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(foundry), host="127.0.0.1", port=port,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
