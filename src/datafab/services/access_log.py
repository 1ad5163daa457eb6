"""The access log: every time items leave Datafab toward a contributor, a model or a
requester — a lease, a workbench page showing an item, an export — one row per item shown
(one per export) says who, which item, when (the database write's time) and from which
address. Rows are written in the transaction that hands the items out, so a lease that rolls
back leaves no row, and one that commits always has its rows.

Requesters read their projects' log (``entries``) with contributors under the project's
pseudonyms, as everywhere else on their side, and without contributors' addresses (those
stay with the operator, in the database). Rows older than ``DATAFAB_ACCESS_LOG_DAYS``
are deleted by ``purge`` (run with the periodic sweep of expired Idempotency-Keys)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datafab.foundry import Foundry
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import load_project
from datafab.store import access_log as store
from datafab.store.handles import Connection

LEASE = "lease"
PAGE = "page"
EXPORT = "export"
DAY = 86400.0


def record_items(foundry: Foundry, conn: Connection, *, project: int, event: str,
                 items: Iterable[int], contributor: int, address: str | None,
                 now: float) -> int:
    """Log items shown to a contributor, in the caller's transaction; how many rows."""
    if not foundry.settings.access_log:
        return 0
    return store.record(conn, project=project, event=event, items=items, at=now,
                        address=address or "unknown", contributor=contributor)


def record_export(foundry: Foundry, conn: Connection, *, project: int, actor: str,
                  address: str | None, now: float) -> None:
    """Log an export of the project's records to a requester (one row)."""
    if foundry.settings.access_log:
        store.record(conn, project=project, event=EXPORT, items=[None], at=now,
                     address=address or "unknown", actor=actor)


def entries(foundry: Foundry, organization: int, project_id: int, *,
            cursor: str | None = None, limit: int = 100, contributor: str | None = None,
            item: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The project's log, newest first, a page at a time; ``contributor`` is a pseudonym as
    this project's other requester answers show it. Another organization's project is not
    found."""
    from datafab.services.site_keys import Pseudonyms

    before, limit = decode_cursor(cursor), check_limit(limit)
    pseudonym = Pseudonyms(foundry)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        who: int | None = None
        if contributor is not None:
            who = next((c for c in store.contributors(conn, project=project.id)
                        if pseudonym(project.id, c) == contributor), -1)
        rows = store.page(conn, project=project.id, before=before, limit=limit + 1,
                          contributor=who, item=item)
    page = [{"id": r.id, "at": r.at, "event": r.event, "item_id": r.item_id,
             "contributor": (pseudonym(project.id, r.contributor_id)
                             if r.contributor_id is not None else None),
             "requester": r.actor,
             # a contributor's address would undo their pseudonym: requesters see their own
             "address": r.address if r.contributor_id is None else None}
            for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def purge(foundry: Foundry) -> int:
    """Delete rows older than ``DATAFAB_ACCESS_LOG_DAYS`` (none when 0); how many."""
    days = foundry.settings.access_log_days
    if not days:
        return 0
    with foundry.db.write() as conn:
        return store.purge(conn, before=foundry.now() - days * DAY)
