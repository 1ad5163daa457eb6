"""The Scale-compatible task API (placeholder until the mapping lands)."""

from __future__ import annotations

from typing import Any


def task_callbacks(conn, organization: int, kind: str, subject: str, data: dict[str, Any],
                   now: float) -> list[tuple[str, str]]:
    return []
