"""The audit log: who changed what, when — requesters' and operators' changes (project
settings, key creation and revocation, contributor removals, exports). Read-only: rows are
only ever added.

Record a change inside the transaction that makes it, so the entry lands with the change or
not at all::

    with foundry.db.write() as conn:
        ...  # the change
        audit.record(conn, foundry.now(), organization=org, actor=actor,
                     action="project.updated", target=f"project:{project_id}",
                     details={"fields": sorted(patch)})

``actor`` says who in words a person can follow up: ``api key dfk_AbCdEfGh`` (the key's
shown prefix, never the key), ``operator``, ``cli``. Never put secrets in ``details``.
"""

from __future__ import annotations

from typing import Any

from datafab.foundry import Foundry
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.store import audit as queries
from datafab.store.handles import Connection


def record(conn: Connection, now: float, *, organization: int | None, actor: str,
           action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
    """Add one entry to the audit log (in the caller's transaction)."""
    queries.add(conn, organization=organization, actor=actor[:200], action=action[:64],
                target=target[:200], details=details, now=now)


def record_now(foundry: Foundry, *, organization: int | None, actor: str, action: str,
               target: str = "", details: dict[str, Any] | None = None) -> None:
    """``record`` in a transaction of its own, for changes that are not a database write
    (an export that is about to stream)."""
    with foundry.db.write() as conn:
        record(conn, foundry.now(), organization=organization, actor=actor, action=action,
               target=target, details=details)


def entries(foundry: Foundry, organization: int, *, cursor: str | None = None,
            limit: int = 100, action: str | None = None) -> tuple[list[dict], str | None]:
    """The organization's audit log, oldest first, a page at a time."""
    after, limit = decode_cursor(cursor), check_limit(limit)
    with foundry.db.read() as conn:
        rows = queries.page(conn, organization, after=after, limit=limit + 1, action=action)
    page = [{"id": r.id, "at": r.created_at, "actor": r.actor, "action": r.action,
             "target": r.target, "details": r.details or {}} for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def about(conn: Connection, target: str, *, organizations: list[int],
          actions: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entries about one target (``contributor:7``) in these organizations' logs with
    one of these actions, oldest first."""
    if not organizations:
        return []
    rows = queries.about(conn, target, organizations=organizations, actions=actions)
    return [{"at": r.created_at, "action": r.action, "details": r.details or {}} for r in rows]
