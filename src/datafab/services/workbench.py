"""The contributor's workbench, seen from the services: which projects they may work on, the
queue of tasks they hold (the one on screen and the next, already leased, so the page turns
at once), skipping with a reason, and their own history and accuracy on gold.

Leasing and submitting go through ``services.work`` exactly as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab import quality as engine
from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import access_log, confidentiality, hybrid, item_flags, work
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project
from datafab.services.quality import gold_evidence
from datafab.services.tracing import marking
from datafab.store import workbench as queries
from datafab.store.handles import Connection

QUEUE_DEPTH = 2  # the task on screen and the next one
SKIP_REASONS = {
    "not_my_expertise": "Outside my expertise",
    "too_long": "Too long for now",
    "unclear": "The guidelines do not cover it",
    "broken": "The item is broken or unreadable",
    "other": "Another reason",
}
FLAGGING_SKIPS = ("unclear", "broken")  # skips an operator should hear about


@dataclass(frozen=True)
class Offer:
    """A project a contributor may work on, with how much work it has."""

    project: Project
    open_items: int
    held: int
    customer: str | None = None  # the organization, only if it lets contributors know


@dataclass(frozen=True)
class Task:
    """One leased item as the workbench shows it. Whether it is gold is not said."""

    lease_id: int
    project: Project
    item_id: int
    external_id: str
    data: dict[str, Any]
    expires_at: float
    suggestion: dict[str, Any] | None = None  # a model's answer shown for correction


def eligible(conn: Connection, foundry: Foundry, contributor: Contributor) -> list[Project]:
    """The projects the contributor may see now (``confidentiality``), oldest first."""
    return confidentiality.visible_projects(foundry, conn, contributor)


def offers(foundry: Foundry, contributor: Contributor) -> list[Offer]:
    """Every project this contributor may work on, the ones with work first."""
    with foundry.db.read() as conn:
        eligible_now = eligible(conn, foundry, contributor)
        ids = [p.id for p in eligible_now]
        open_counts = queries.open_counts(conn, ids)
        held = queries.held_counts(conn, contributor.id, ids, foundry.now())
        found = [Offer(p, int(open_counts.get(p.id, 0)), int(held.get(p.id, 0)),
                       confidentiality.customer(foundry, conn, p)) for p in eligible_now]
    return sorted(found, key=lambda o: (o.open_items + o.held == 0, o.project.id))


def project_for(foundry: Foundry, contributor: Contributor, project_id: int) -> Project:
    """The project, if this contributor may see it now; anyone else is told it does not
    exist."""
    return confidentiality.project_for(foundry, contributor, project_id)


def sensitivity(foundry: Foundry, project: Project) -> str:
    """standard, confidential or restricted: restricted pages are not kept by browsers."""
    with foundry.db.read() as conn:
        return confidentiality.sensitivity(foundry, conn, project)


def queue(foundry: Foundry, contributor: Contributor, project_id: int,
          depth: int = QUEUE_DEPTH, address: str | None = None) -> list[Task]:
    """The contributor's live tasks on the project, oldest first, topped up to ``depth`` with
    fresh leases. Empty when the project has no work left for them. The fresh leases are
    written to the access log (event ``page``, from ``address``) as they are taken."""
    project = project_for(foundry, contributor, project_id)
    held = _held(foundry, contributor, project)
    if len(held) < depth:
        for lease in work.lease_items(foundry, contributor, project.id, depth - len(held),
                                     address, access_log.PAGE):
            held.append(Task(lease.id, project, lease.item_id, lease.external_id, lease.data,
                             lease.expires_at, lease.suggestion))
    return held[:depth]


def task(foundry: Foundry, contributor: Contributor, lease_id: int) -> Task:
    """One live task held by the contributor (to show it again, e.g. with an error)."""
    with foundry.db.read() as conn:
        row = queries.live_task(conn, lease_id, contributor.id, foundry.now())
        if row is None:
            raise NotFound(f"lease {lease_id} is not yours or no longer live", field="lease_id")
        project = load_project(conn, None, row.project_id)
    marked = marking.marker(foundry, project, contributor)
    return Task(row.id, project, row.item, row.external_id, marked(row.item, row.data),
                row.expires_at)


def _held(foundry: Foundry, contributor: Contributor, project: Project) -> list[Task]:
    with foundry.db.read() as conn:
        rows = queries.live_tasks(conn, contributor.id, project.id, foundry.now())
        shown = hybrid.suggestions(conn, project, contributor, [r.item for r in rows])
    marked = marking.marker(foundry, project, contributor)
    return [Task(r.id, project, r.item, r.external_id, marked(r.item, r.data), r.expires_at,
                 shown.get(r.item))
            for r in rows]


def skip(foundry: Foundry, contributor: Contributor, lease_id: int, reason: str,
         note: str = "") -> None:
    """Hand the task back with a reason; the item returns to the pool for someone else.
    A skip because the item is unclear or broken also raises a flag for the operators."""
    if reason not in SKIP_REASONS:
        raise InvalidInput("reason: pick why you are skipping this item", field="reason")
    if reason == "other" and not note.strip():
        raise InvalidInput("note: say why you are skipping this item", field="note")
    held = task(foundry, contributor, lease_id)
    if reason in FLAGGING_SKIPS:
        item_flags.raise_flag(foundry, contributor, lease_id, reason, note)
    work.release_lease(foundry, contributor, held.lease_id)


# -- my work -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answered:
    project_name: str
    primitive: str
    external_id: str
    answered_at: float
    seconds_spent: float | None
    gold_correct: bool | None  # None: not a gold item


def history(foundry: Foundry, contributor: Contributor, limit: int = 50) -> list[Answered]:
    """The contributor's latest answers, newest first, with the verdict on gold items, in
    the projects they may still see."""
    with foundry.db.read() as conn:
        rows = queries.latest_answers(conn, contributor.id, limit)
        found = {pid: load_project(conn, None, pid) for pid in {r.project_id for r in rows}}
        seen = {pid for pid, p in found.items()
                if confidentiality.may_see(foundry, conn, p, contributor)}
    out = []
    for r in rows:
        if r.project_id not in seen:  # a project they may no longer see is not named
            continue
        project = found[r.project_id]
        correct = None
        if r.status == "gold" and r.gold_answer is not None:
            correct = gold_evidence(project, r.answer, r.gold_answer)[0]
        out.append(Answered(project.name, project.primitive_name, r.external_id, r.created_at,
                            r.seconds_spent, correct))
    return out


@dataclass(frozen=True)
class GoldRecord:
    project_name: str
    labels: int
    gold_seen: int
    gold_correct: int

    @property
    def accuracy(self) -> float | None:
        return self.gold_correct / self.gold_seen if self.gold_seen else None

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.gold_seen:
            return None
        low, high = engine.wilson_interval(self.gold_correct, self.gold_seen)
        return float(low), float(high)


def gold_record(foundry: Foundry, contributor: Contributor) -> list[GoldRecord]:
    """Per project they may still see: labels given and their results on gold items."""
    with foundry.db.read() as conn:
        visible = [p.id for p in eligible(conn, foundry, contributor)]
        rows = queries.gold_tallies(conn, contributor.id, visible)
        answered = queries.answered_per_project(conn, contributor.id, visible)
    seen = {r.name: GoldRecord(r.name, max(r.n_labels, answered.get(r.name, 0)), r.gold_seen,
                               r.gold_correct) for r in rows}
    for name, n in answered.items():
        seen.setdefault(name, GoldRecord(name, n, 0, 0))
    return sorted(seen.values(), key=lambda g: g.project_name)
