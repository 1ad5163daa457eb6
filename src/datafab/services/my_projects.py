"""A contributor's own standing, project by project: where their qualification is, whether
they are active, on probation or removed (why, and since when), their rolling accuracy on
gold with its Wilson interval against the project's bar, and what the lease gate would say
to them now.

Only ever about one contributor, and only about projects they may see now
(``confidentiality``): what "Start working" offers, qualifying, on probation or waiting for
budget included; a project they were removed from, failed the qualification of, or that
was paused or made private to a pool they are not in, is not shown at all. The figures
are the ones the workforce services act on (``workforce.gate``, ``workforce.review``), read
for this contributor alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab.foundry import Foundry
from datafab.quality import two_sided_z, wilson_interval
from datafab.services import admission, audit, quality, workbench, workforce
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.store import my_projects as queries
from datafab.store.handles import Connection

# The gate's reasons are the lease API's; one says more about the customer than a
# contributor needs to know (the budget's size), so the page words it without the figure.
_SAID_OTHERWISE = {"budget_reached": "the project's budget is spent, so it has no work for now"}
_CHANGES = ("contributor.probation", "contributor.active", "contributor.removed")


@dataclass(frozen=True)
class Qualification:
    """``state``: not_required, not_started, qualifying, qualified, failed (barred until the
    guidelines change), or requalify (new guidelines: the check items are asked again)."""

    state: str
    items: int = 0  # check items to answer
    answered: int = 0
    correct: int = 0
    pass_mark: float = 0.0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class Standing:
    """``state``: active, probation or removed; on probation, the gold answers given since
    (``min_gold`` of them decide between active again and removal)."""

    state: str
    reason: str | None = None
    since: float | None = None
    probation_answered: int = 0
    probation_correct: int = 0
    min_gold: int = 0


@dataclass(frozen=True)
class Accuracy:
    """The latest ``window`` gold answers: how many were right, the Wilson interval at
    ``confidence``, and the project's bar (``None``: no bar)."""

    answered: int
    correct: int
    interval: tuple[float, float] | None
    window: int
    confidence: float
    bar: float | None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class ProjectStanding:
    project_id: int
    name: str
    primitive: str
    guideline_version: int
    managed: bool  # the project has a workforce policy
    qualification: Qualification
    standing: Standing
    accuracy: Accuracy
    lease_state: str  # the gate's state: open, qualifying, probation, removed, paused …
    lease_reason: str
    refused: bool  # a lease now would come back empty
    workable: bool  # the workbench offers it to them now (not refused, open to their skills)


def my_projects(foundry: Foundry, contributor: Contributor) -> list[ProjectStanding]:
    """The contributor's standing in every project they may see now: the ones they are in
    (a member, or have answered in) first, those with work open to them before the others,
    then by name."""
    with foundry.db.read() as conn:
        members = queries.memberships(conn, contributor.id)
        worked = queries.answered_in(conn, contributor.id)
        known = {p.id: p for p in workbench.eligible(conn, foundry, contributor)}
        offered = set(known)
        answers = _gold_answers(conn, contributor.id, known)
        changes = audit.about(conn, f"contributor:{contributor.id}",
                              organizations=sorted({p.organization_id for p in known.values()}),
                              actions=_CHANGES)
        out = []
        for project in known.values():
            policy = workforce.policy_of(foundry, conn, project.id)
            gate = admission.admit(foundry, conn, project, contributor, 1)
            mine = [c for c in changes if c["details"].get("project_id") == project.id]
            out.append(_standing_in(project, policy, members.get(project.id),
                                    answers.get(project.id, []), mine, gate,
                                    project.id in offered))
    involved = set(members) | worked
    return sorted(out, key=lambda s: (s.project_id not in involved, s.refused, s.name.lower(),
                                      s.project_id))


def _gold_answers(conn: Connection, contributor_id: int,
                  known: dict[int, Project]) -> dict[int, list[bool]]:
    """Per project, whether each of the contributor's gold answers was right, oldest first."""
    rows = queries.gold_answers(conn, contributor_id)
    out: dict[int, list[bool]] = {}
    for r in rows:
        project = known.get(r.project_id)
        if project is None or r.gold_answer is None:
            continue
        right, _ = quality.gold_evidence(project, r.answer, r.gold_answer)
        out.setdefault(r.project_id, []).append(bool(right))
    return out


def _standing_in(project: Project, policy: workforce.WorkforcePolicy | None, member,
                 answers: list[bool], changes: list[dict[str, Any]],
                 gate: workforce.Gate, offered: bool) -> ProjectStanding:
    perf = policy.performance if policy is not None else workforce.Performance()
    recent = answers[-perf.window:]
    right = sum(recent)
    accuracy = Accuracy(
        len(recent), right,
        wilson_interval(right, len(recent), two_sided_z(perf.confidence)) if recent else None,
        perf.window, perf.confidence,
        perf.min_accuracy if policy is not None and perf.min_accuracy > 0 else None)
    return ProjectStanding(
        project.id, project.name, project.primitive_name, project.guideline_version,
        policy is not None, qualification_of(policy, project, member),
        _standing(member, answers, changes, perf), accuracy, gate.state,
        _SAID_OTHERWISE.get(gate.state, gate.reason), gate.stopped,
        offered and not gate.stopped)


def qualification_of(policy: workforce.WorkforcePolicy | None, project: Project,
                     member) -> Qualification:
    """Where the contributor's qualification for the project stands, as the gate sees it."""
    asked = policy.qualification if policy is not None else None
    if asked is None:
        return Qualification("not_required")
    said = member.qualification if member is not None else "none"
    current = member is not None and member.qual_version >= project.guideline_version
    base: dict[str, Any] = {"items": asked.items, "pass_mark": asked.pass_mark}
    done: dict[str, Any] = (
        {"answered": member.qual_seen, "correct": member.qual_correct} if member else {})
    if said == "passed":
        if asked.requalify_on_new_guidelines and not current:
            return Qualification("requalify", **base)
        return Qualification("qualified", **base, **done)
    if said in ("failed", "qualifying") and not current:
        return Qualification("requalify", **base)  # begun or failed under older guidelines
    if said == "failed":
        return Qualification("failed", **base, **done)
    if said == "qualifying":
        return Qualification("qualifying", **base, **done)
    return Qualification("not_started", **base)


def _standing(member, answers: list[bool], changes: list[dict[str, Any]],
              perf: workforce.Performance) -> Standing:
    state = member.standing if member is not None else "active"
    if state == "active":
        return Standing("active")
    since = next((c["at"] for c in reversed(changes)
                  if c["action"] == f"contributor.{state}"), None)
    if since is None and state == "removed":
        since = member.updated_at  # nothing about a removed member changes after it
    if state != workforce.PROBATION:
        return Standing(state, member.reason, since)
    judged = answers[member.probation_gold or 0:]
    return Standing(state, member.reason, since, len(judged), sum(judged), perf.min_gold)
