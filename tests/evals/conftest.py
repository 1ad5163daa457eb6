"""Fixtures for evaluations: a real Datafab server over the test's database (SQLite and
PostgreSQL), and scripted OpenAI-compatible model servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.live_servers import serving


@pytest.fixture
def served(foundry) -> Iterator[str]:
    """The foundry's API on 127.0.0.1 (a real uvicorn server), for the SDK and the CLI."""
    from datafab.api.app import create_app

    with serving(create_app(foundry)) as base:
        yield base
