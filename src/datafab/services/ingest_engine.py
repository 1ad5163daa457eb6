"""Which engine an ingest runs on: see ``services.ingest.engine`` (kept importable here)."""

from __future__ import annotations

from datafab.services.ingest.engine import open_engine

__all__ = ["open_engine"]
