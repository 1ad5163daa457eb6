"""Admission: whether a contributor may take work from a project now, decided without
claiming anything — the project paused, the workforce gate (``services.workforce``), the
guidelines' latest material change unacknowledged, an eval set's bar. The lease path asks
``admit`` before it claims; the need-to-know rule (``services.confidentiality``) and a
contributor's pages ask the same question, so they give the reason the lease would.

A contributor who worked on the project under an earlier guideline version gets no leases
until they acknowledge its latest material change. That change is cached for a moment per
project (most projects have none, and then the check costs a cache read); a contributor the
change concerns is found with two indexed reads.
"""

from __future__ import annotations

from typing import Literal

from datafab.foundry import Foundry
from datafab.services import eval_guard, workforce
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.services.workforce import Gate
from datafab.store import guideline_changes as sql
from datafab.store.guideline_changes import Change
from datafab.store.handles import Connection

GUIDELINES_CHANGED = "guidelines_changed"


def admit(foundry: Foundry, conn: Connection, project: Project, contributor: Contributor,
          n: int = 1) -> workforce.Gate:
    """What ``lease_batch`` would let this contributor take from the project now, decided
    without claiming anything: the project paused, the workforce gate, an eval set's bar.
    The contributor's pages show the same reason the lease would give."""
    if project.status != "active":
        return workforce.Gate("paused", "the project is paused")
    gate = workforce.gate(foundry, conn, project, contributor, n)
    gate = check_guidelines(foundry, conn, project, contributor, gate)
    if gate.stopped:
        return gate
    if eval_guard.barred(foundry, conn, project.id, project.organization_id, contributor.id):
        # an eval set's grading, and this contributor writes its training data
        return workforce.Gate("barred", "you write training data for this eval set's slices")
    return gate


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


def check_guidelines(foundry: Foundry, conn: Connection, project: Project, contributor: Contributor,
          gate: Gate) -> Gate:
    """``gate`` as it is, or stopped with ``guidelines_changed`` and the changelog."""
    if gate.stopped:
        return gate
    change = owed(foundry, conn, project, contributor)
    if change is None:
        return gate
    quiz = f" after a quiz of {change.quiz_items} check items" if change.quiz_items else ""
    return Gate(GUIDELINES_CHANGED, f"the guidelines changed (version {change.version}): "
                f"{change.changelog} — acknowledge them{quiz} (POST /v1/projects/"
                f"{project.id}/guidelines/acknowledge) to get work again", policy=gate.policy)
