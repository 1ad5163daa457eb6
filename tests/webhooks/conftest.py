"""Webhook tests send to a real receiver on 127.0.0.1, which Datafab refuses by default
(a loopback address): these tests allow it, as an operator would for a local receiver."""

from __future__ import annotations

import pytest

LOOPBACK = "127.0.0.1"


@pytest.fixture
def settings_overrides() -> dict:
    return {"webhook_allowed_networks": LOOPBACK}
