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
from datafab.services.workforce.gate import PROBATION
from datafab.services.workforce.policy import WorkforcePolicy, policy_of
from datafab.services.workforce.removal import remove
from datafab.services.workforce.signals import detect_signals
from datafab.store import workforce as queries
from datafab.store.handles import Connection


@dataclass(frozen=True)
class Standing:
    contributor_id: int
    name: str
    standing: str
    qualification: str
    gold_seen: int
    gold_correct: int
    accuracy: float | None
    interval: tuple[float, float] | None
    engine_accuracy: float | None
    n_taken: int

    def to_dict(self) -> dict[str, Any]:
        return {"contributor_id": self.contributor_id, "name": self.name,
                "standing": self.standing, "qualification": self.qualification,
                "gold_seen": self.gold_seen, "gold_correct": self.gold_correct,
                "accuracy": self.accuracy,
                "interval": list(self.interval) if self.interval else None,
                "engine_accuracy": self.engine_accuracy, "n_taken": self.n_taken}


def _gold_history(conn: Connection, project: Project) -> dict[int, list[bool]]:
    rows = queries.gold_answers(conn, project.id)
    out: dict[int, list[bool]] = {}
    for r in rows:
        correct, _ = quality.gold_evidence(project, r.answer, r.gold_answer)
        out.setdefault(r.contributor_id, []).append(bool(correct))
    return out


def standings(foundry: Foundry, organization: int, project_id: int) -> list[Standing]:
    """Every contributor who worked on the project: standing, rolling gold accuracy with its
    interval, and the quality engine's estimate of their accuracy."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id) or WorkforcePolicy()
        history = _gold_history(conn, project)
        members = queries.members(conn, project.id)
        worked = queries.workers(conn, project.id)
        engine = queries.engine_counts(conn, project.id)
        ids = sorted(worked | set(members))
        names = queries.names(conn, ids)
    out = []
    perf = policy.performance
    for cid in ids:
        recent = history.get(cid, [])[-perf.window:]
        right = sum(recent)
        m = members.get(cid)
        out.append(Standing(
            cid, names.get(cid, ""), m.standing if m else "active",
            m.qualification if m else "none", len(recent), right,
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


def review(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    """Apply the project's bar: below it (even the interval's upper end) → probation; still
    below after ``min_gold`` more gold answers on probation → removed; back above → active.
    Raises flags for signals of bad work. Returns what changed."""
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        policy = policy_of(foundry, conn, project.id)
        if policy is None:
            raise NotFound(f"project {project_id} has no workforce policy", field="project_id")
        history = _gold_history(conn, project)
        members = queries.members(conn, project.id)
    perf, actions, now = policy.performance, [], foundry.now()
    if perf.min_accuracy > 0:
        for cid, answers in sorted(history.items()):
            m = members.get(cid)
            standing = m.standing if m else "active"
            if standing == "removed":
                continue
            since = (m.probation_gold or 0) if m and standing == PROBATION else 0
            judged = answers[since:][-perf.window:]
            if len(judged) < perf.min_gold:
                continue
            right = sum(judged)
            low, high = wilson_interval(right, len(judged), two_sided_z(perf.confidence))
            accuracy = right / len(judged)
            if high < perf.min_accuracy:
                if standing == PROBATION:
                    done = remove(foundry, organization, project.id, cid,
                                  reason=f"gold accuracy {accuracy:.2f} below "
                                  f"{perf.min_accuracy} on probation")
                    actions.append({"contributor_id": cid, "action": "removed",
                                    "accuracy": accuracy, **done})
                else:
                    _change_standing(foundry, project, cid, PROBATION, now,
                                     probation_gold=len(answers),
                                     reason=f"gold accuracy {accuracy:.2f} (interval up to "
                                     f"{high:.2f}) below {perf.min_accuracy}")
                    actions.append({"contributor_id": cid, "action": "probation",
                                    "accuracy": accuracy})
            elif standing == PROBATION and accuracy >= perf.min_accuracy:
                _change_standing(foundry, project, cid, "active", now, reason=None)
                actions.append({"contributor_id": cid, "action": "reinstated",
                                "accuracy": accuracy})
    for flag in detect_signals(foundry, project, perf):
        actions.append({"contributor_id": flag["contributor_id"], "action": "flagged",
                        "flag": flag["kind"]})
    return actions


def _change_standing(foundry: Foundry, project: Project, contributor_id: int, standing: str,
                     now: float, *, reason: str | None, probation_gold: int | None = None,
                     actor: str = "quality review") -> None:
    """Probation or back to active, with an entry in the organization's audit log (so the
    contributor's page can say since when, and operators who decided)."""
    with foundry.db.write() as conn:
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
    if standing == "removed":
        return remove(foundry, organization, project.id, contributor_id,
                      reason=reason or "removed by an operator", actor="requester")
    if standing not in ("active", PROBATION):
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
