"""Clearances: who may see a project of some sensitivity.

A workforce policy's ``sensitivity`` is ``standard`` (the default: anyone the rest of the
gate admits), ``confidential`` or ``restricted``. An operator grants a contributor — a
person or a model — a clearance at one of the two upper levels, until a moment or for good;
``restricted`` covers ``confidential`` too. A contributor without a clearance covering the
project's level (an expired one counts as none) does not see the project at all: the lease
gate says ``not_cleared`` and ``services.confidentiality`` hides it from every route.

Every grant lands in the audit log with its level and expiry, in the transaction that
makes it. A clearance stops counting at its expiry whatever else happens; the periodic sweep
of each API process (``expire``) then deletes it and records the expiry in the audit log.
"""

from __future__ import annotations

from typing import Any

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import audit
from datafab.services.moments import parse_moment
from datafab.store import clearances as clearances_sql
from datafab.store.handles import Connection

SENSITIVITIES = ("standard", "confidential", "restricted")
LEVELS = SENSITIVITIES[1:]  # what an operator may grant


def rank(level: str) -> int:
    return SENSITIVITIES.index(level)


def level_of(conn: Connection, contributor: int, now: float) -> str:
    """The contributor's clearance now: ``standard`` when none, or it expired."""
    row = clearances_sql.get(conn, contributor)
    if row is None or (row.until is not None and row.until <= now):
        return "standard"
    return str(row.level)


def covers(conn: Connection, contributor: int, sensitivity: str, now: float) -> bool:
    """Does the contributor's clearance now reach this sensitivity?"""
    if sensitivity == "standard":
        return True
    return rank(level_of(conn, contributor, now)) >= rank(sensitivity)


def grant(foundry: Foundry, contributor: int, level: str, until: Any = None, *,
          actor: str) -> dict[str, Any]:
    """Clear the contributor at ``level`` until ``until`` (a date, an ISO time or UNIX
    seconds; ``None``: until changed). Replaces their previous clearance."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    now = foundry.now()
    moment = None
    if until is not None and until != "":
        moment = parse_moment(until, "until")
        if moment <= now:
            raise InvalidInput("until must be in the future", field="until")
    with foundry.db.write() as conn:
        if not clearances_sql.contributor_exists(conn, contributor):
            raise NotFound(f"contributor {contributor} not found", field="contributor_id")
        clearances_sql.put(conn, contributor, level, moment, now, actor)
        audit.record(conn, now, organization=None, actor=actor, action="clearance.granted",
                     target=f"contributor:{contributor}",
                     details={"level": level, "until": moment})
    return {"contributor_id": contributor, "level": level, "until": moment,
            "granted_at": now}


def expire(foundry: Foundry) -> int:
    """Delete clearances past their expiry, each with a ``clearance.expired`` audit entry;
    how many."""
    n = 0
    with foundry.db.write() as conn:
        for row in clearances_sql.expired(conn, foundry.now()):
            if clearances_sql.drop(conn, row.contributor_id, row.until):
                audit.record(conn, foundry.now(), organization=None, actor="datafab",
                             action="clearance.expired",
                             target=f"contributor:{row.contributor_id}",
                             details={"level": row.level, "until": row.until})
                n += 1
    return n


def get_clearance(foundry: Foundry, contributor: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = clearances_sql.get(conn, contributor)
        now = foundry.now()
        return {"contributor_id": contributor,
                "level": level_of(conn, contributor, now),
                "until": row.until if row is not None else None}
