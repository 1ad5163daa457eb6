"""Performance: probation and removal. Every contributor who worked on a project has a
standing; ``review`` applies the project's bar to their rolling gold accuracy (below it,
even the interval's upper end → probation; still below on probation → removed; back above
→ active) and raises flags for signals of bad work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.quality import two_sided_z, wilson_interval
from datafab.services import audit, quality
from datafab.services.projects import Project, get_project
from datafab.services.site_keys import Pseudonyms
from datafab.services.workforce.gate import PROBATION
from datafab.services.workforce.policy import Performance, WorkforcePolicy, policy_of
from datafab.services.workforce.removal import remove, remove_in
from datafab.services.workforce.signals import new_signals, write_flags
from datafab.statuses import Qualification
from datafab.statuses import Standing as StandingStatus
from datafab.store import workforce as queries
from datafab.store.handles import Connection


@dataclass(frozen=True)
class Standing:
    contributor_id: int
    contributor: str  # the contributor's pseudonym in this project
    name: str | None  # their name: operators' views only
    standing: str
    qualification: str
    gold_seen: int
    gold_correct: int
    accuracy: float | None
    interval: tuple[float, float] | None
    engine_accuracy: float | None
    n_taken: int

    def to_dict(self) -> dict[str, Any]:
        shown = {"contributor_id": self.contributor_id, "contributor": self.contributor,
                 "standing": self.standing, "qualification": self.qualification,
                 "gold_seen": self.gold_seen, "gold_correct": self.gold_correct,
                 "accuracy": self.accuracy,
                 "interval": list(self.interval) if self.interval else None,
                 "engine_accuracy": self.engine_accuracy, "n_taken": self.n_taken}
        return shown if self.name is None else {**shown, "name": self.name}


def _gold_history(conn: Connection, project: Project) -> dict[int, list[bool]]:
    rows = queries.gold_answers(conn, project.id)
    out: dict[int, list[bool]] = {}
    for r in rows:
        correct, _ = quality.gold_evidence(project, r.answer, r.gold_answer)
        out.setdefault(r.contributor_id, []).append(bool(correct))
    return out


def standings(foundry: Foundry, organization: int, project_id: int, *,
              names: bool = False) -> list[Standing]:
    """Every contributor who worked on the project: standing, rolling gold accuracy with its
    interval, and the quality engine's estimate of their accuracy. Requesters see each
    contributor under their pseudonym in the project, as in the project's other answers;
    ``names`` (operators' views) adds their names."""
    project = get_project(foundry, organization, project_id)
    pseudonym = Pseudonyms(foundry)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id) or WorkforcePolicy()
        history = _gold_history(conn, project)
        members = queries.members(conn, project.id)
        worked = queries.workers(conn, project.id)
        engine = queries.engine_counts(conn, project.id)
        ids = sorted(worked | set(members))
        known = queries.names(conn, ids) if names else {}
    out = []
    perf = policy.performance
    for cid in ids:
        recent = history.get(cid, [])[-perf.window:]
        right = sum(recent)
        m = members.get(cid)
        out.append(Standing(
            cid, pseudonym(project.id, cid), known.get(cid, "") if names else None,
            m.standing if m else StandingStatus.ACTIVE,
            m.qualification if m else Qualification.NONE, len(recent), right,
            right / len(recent) if recent else None,
            wilson_interval(right, len(recent), two_sided_z(perf.confidence)) if recent
            else None,
            _engine_accuracy(engine.get(cid)), m.n_taken if m else 0))
    return out


def _engine_accuracy(counts: list[list[float]] | None) -> float | None:
    if not counts:
        return None
    total = sum(sum(row) for row in counts)
    return sum(counts[i][i] for i in range(len(counts))) / total if total else None


@dataclass(frozen=True)
class _Decision:
    """One change the review decided on, before anything is written."""

    contributor_id: int
    action: str  # removed, probation or reinstated
    accuracy: float
    reason: str | None
    probation_gold: int | None = None


def review(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    """Apply the project's bar: below it (even the interval's upper end) → probation; still
    below after ``min_gold`` more gold answers on probation → removed; back above → active.
    Raises flags for signals of bad work. Every change is decided first and written in one
    transaction; removals queue one refit of the project. Returns what changed."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id)
        if policy is None:
            raise NotFound(f"project {project_id} has no workforce policy", field="project_id")
        decisions = _decide(policy.performance, _gold_history(conn, project),
                            queries.members(conn, project.id))
        flagged = new_signals(conn, project, policy.performance)
    actions, now = [], foundry.now()
    with foundry.db.write() as conn:
        for d in decisions:
            done: dict[str, Any] = {}
            if d.action == "removed":
                done = remove_in(foundry, conn, project, d.contributor_id, now,
                                 reason=str(d.reason), actor="quality review")
            else:
                _write_standing(conn, project, d.contributor_id, _AFTER[d.action], now,
                                reason=d.reason, probation_gold=d.probation_gold)
            actions.append({"contributor_id": d.contributor_id, "action": d.action,
                            "accuracy": d.accuracy, **done})
        write_flags(conn, project.id, flagged, now)
    if any(d.action == "removed" for d in decisions):
        quality.refits(foundry).request(foundry, project.id)
    return actions + [{"contributor_id": f["contributor_id"], "action": "flagged",
                       "flag": f["kind"]} for f in flagged]


_AFTER = {"probation": StandingStatus.PROBATION, "reinstated": StandingStatus.ACTIVE}


def _decide(perf: Performance, history: dict[int, list[bool]],
            members: dict[int, Any]) -> list[_Decision]:
    """What the bar says about each contributor with enough gold answers (nothing written)."""
    out: list[_Decision] = []
    if perf.min_accuracy <= 0:
        return out
    for cid, answers in sorted(history.items()):
        m = members.get(cid)
        standing = m.standing if m else StandingStatus.ACTIVE
        if standing == StandingStatus.REMOVED:
            continue
        since = (m.probation_gold or 0) if m and standing == PROBATION else 0
        judged = answers[since:][-perf.window:]
        if len(judged) < perf.min_gold:
            continue
        right = sum(judged)
        _, high = wilson_interval(right, len(judged), two_sided_z(perf.confidence))
        accuracy = right / len(judged)
        if high < perf.min_accuracy and standing == PROBATION:
            out.append(_Decision(cid, "removed", accuracy, f"gold accuracy {accuracy:.2f} "
                                 f"below {perf.min_accuracy} on probation"))
        elif high < perf.min_accuracy:
            out.append(_Decision(cid, "probation", accuracy,
                                 f"gold accuracy {accuracy:.2f} (interval up to {high:.2f}) "
                                 f"below {perf.min_accuracy}", probation_gold=len(answers)))
        elif standing == PROBATION and accuracy >= perf.min_accuracy:
            out.append(_Decision(cid, "reinstated", accuracy, None))
    return out


def _change_standing(foundry: Foundry, project: Project, contributor_id: int, standing: str,
                     now: float, *, reason: str | None, probation_gold: int | None = None,
                     actor: str = "quality review") -> None:
    """Probation or back to active, in a transaction of its own."""
    with foundry.db.write() as conn:
        _write_standing(conn, project, contributor_id, standing, now, reason=reason,
                        probation_gold=probation_gold, actor=actor)


def _write_standing(conn: Connection, project: Project, contributor_id: int, standing: str,
                    now: float, *, reason: str | None, probation_gold: int | None = None,
                    actor: str = "quality review") -> None:
    """Probation or back to active, with an entry in the organization's audit log (so the
    contributor's page can say since when, and operators who decided)."""
    queries.set_standing(conn, project.id, contributor_id, standing, now, reason=reason,
                         probation_gold=probation_gold)
    audit.record(conn, now, organization=project.organization_id, actor=actor,
                 action=f"contributor.{standing}", target=f"contributor:{contributor_id}",
                 details={"project_id": project.id, "reason": reason})


def set_standing(foundry: Foundry, organization: int, project_id: int, contributor_id: int,
                 standing: str, reason: str = "") -> dict[str, Any]:
    """An operator's decision: probation, active again, or removed (with its consequences)."""
    project = get_project(foundry, organization, project_id)
    _contributor_exists(foundry, contributor_id)
    if standing == StandingStatus.REMOVED:
        return remove(foundry, organization, project.id, contributor_id,
                      reason=reason or "removed by an operator", actor="requester")
    if standing not in (StandingStatus.ACTIVE, PROBATION):
        raise InvalidInput("standing: one of active, probation, removed", field="standing")
    probation_gold = None
    if standing == PROBATION:
        with foundry.db.read() as conn:
            probation_gold = len(_gold_history(conn, project).get(contributor_id, []))
    _change_standing(foundry, project, contributor_id, standing, foundry.now(),
                     reason=reason or None, probation_gold=probation_gold, actor="requester")
    return {"contributor_id": contributor_id, "standing": standing}


def _contributor_exists(foundry: Foundry, contributor_id: int) -> None:
    with foundry.db.read() as conn:
        if not queries.contributor_exists(conn, contributor_id):
            raise NotFound(f"contributor {contributor_id} not found", field="contributor_id")
