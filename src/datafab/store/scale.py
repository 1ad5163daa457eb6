"""The Scale-compatible adapter's queries the submit path asks."""

from __future__ import annotations

from sqlalchemy import Connection, text

_HAS_CALLBACKS = text(
    "SELECT EXISTS (SELECT 1 FROM scale_tasks WHERE organization_id = :org "
    "AND callback_url IS NOT NULL)")


def has_callbacks(conn: Connection, organization: int) -> bool:
    """Whether any of the organization's Scale tasks has a callback URL."""
    return bool(conn.execute(_HAS_CALLBACKS, {"org": organization}).scalar())
