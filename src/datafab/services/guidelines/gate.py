"""The one check the lease path makes: a contributor who worked on the project under an
earlier version gets no leases until they acknowledge its latest material change.

The latest material change is cached for a moment per project (most projects have none, and
then the check costs nothing more than a cache read); a contributor the change concerns is
found with two indexed reads.
"""

from __future__ import annotations

from typing import Literal

from datafab.foundry import Foundry
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.services.workforce import Gate
from datafab.store import guideline_changes as sql
from datafab.store.guideline_changes import Change
from datafab.store.handles import Connection

STATE = "guidelines_changed"


def required_change(foundry: Foundry, conn: Connection, project_id: int) -> Change | None:
    """The project's latest change that needs acknowledging, cached for a moment."""
    key = ("guidelines_ack", project_id)
    hit = foundry.cache.get(key)
    if hit is None:
        found: Change | Literal[False] = sql.latest_required(conn, project_id) or False
        foundry.cache.put(key, found)
        hit = found
    return hit or None


def owed(foundry: Foundry, conn: Connection, project: Project,
         contributor: Contributor) -> Change | None:
    """The change this contributor still has to acknowledge on this project, if any."""
    change = required_change(foundry, conn, project.id)
    if change is None or change.version > project.guideline_version:
        return None
    if sql.acknowledged(conn, project.id, contributor.id, change.version):
        return None
    if not sql.worked_before(conn, project.id, contributor.id, change.version):
        return None  # new to the project: they read the guidelines as they are
    return change


def check(foundry: Foundry, conn: Connection, project: Project, contributor: Contributor,
          gate: Gate) -> Gate:
    """``gate`` as it is, or stopped with ``guidelines_changed`` and the changelog."""
    if gate.stopped:
        return gate
    change = owed(foundry, conn, project, contributor)
    if change is None:
        return gate
    quiz = f" after a quiz of {change.quiz_items} check items" if change.quiz_items else ""
    return Gate(STATE, f"the guidelines changed (version {change.version}): "
                f"{change.changelog} — acknowledge them{quiz} (POST /v1/projects/"
                f"{project.id}/guidelines/acknowledge) to get work again", policy=gate.policy)
