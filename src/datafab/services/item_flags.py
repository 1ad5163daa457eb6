"""Item flags: a contributor reports that an item is broken, unclear or harmful; operators
read the open flags and resolve them.

Kept deliberately small (one table, ``item_flags``) so that a fuller operator flag system can
take it over: a flag names the item, the project, who raised it, why, and whether it is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services.accounts import Contributor
from datafab.store import item_flags as queries

REASONS = {
    "broken": "Broken or unreadable",
    "unclear": "The guidelines do not cover it",
    "harmful": "Harmful or personal content",
    "wrong_gold": "The expected answer looks wrong",
    "other": "Something else",
}
MAX_NOTE = 2000


@dataclass(frozen=True)
class Flag:
    id: int
    project_id: int
    project_name: str
    item_id: int
    external_id: str
    contributor_id: int
    contributor_name: str
    reason: str
    note: str
    status: str
    created_at: float


def raise_flag(foundry: Foundry, contributor: Contributor, lease_id: int, reason: str,
               note: str = "") -> int:
    """Flag the item of a lease the contributor holds (or held); the flag's id."""
    if reason not in REASONS:
        raise InvalidInput("reason: pick what is wrong with this item", field="reason")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters", field="note")
    if reason == "other" and not note:
        raise InvalidInput("note: say what is wrong with this item", field="note")
    with foundry.db.write() as conn:
        lease = queries.leased_item(conn, lease_id, contributor.id)
        if lease is None:
            raise NotFound(f"lease {lease_id} not found", field="lease_id")
        return queries.insert_flag(conn, project=lease.project_id, item=lease.item_id,
                                   contributor=contributor.id, reason=reason, note=note,
                                   now=foundry.now())


def list_flags(foundry: Foundry, status: str | None = "open", limit: int = 200) -> list[Flag]:
    """Flags, newest first (an operator's view: every organization)."""
    if status not in (None, "open", "resolved"):
        raise InvalidInput("status: must be 'open' or 'resolved'", field="status")
    with foundry.db.read() as conn:
        rows = queries.newest(conn, status, limit)
    return [Flag(r.id, r.project_id, r.project_name, r.item_id, r.external_id, r.contributor_id,
                 r.contributor_name, r.reason, r.note, r.status, r.created_at) for r in rows]


def resolve(foundry: Foundry, flag_id: int) -> None:
    with foundry.db.write() as conn:
        done = queries.resolve(conn, flag_id, foundry.now())
    if not done:
        raise NotFound(f"flag {flag_id} not found", field="flag_id")
