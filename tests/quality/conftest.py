"""Fixtures for the quality-engine tests."""

from __future__ import annotations

import pytest
from quality_helpers import Crowd, make_crowd


@pytest.fixture
def crowd() -> Crowd:
    return make_crowd()
