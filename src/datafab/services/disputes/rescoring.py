"""Re-scoring everyone who answered a corrected gold item, inside the correction's
transaction: gold accuracy, qualification, standing and quality bonuses.

A correction only ever lifts what the wrong gold answer took: a qualification it failed, a
probation or a removal the quality review decided on gold accuracy (an operator's or a
requester's own decision is left alone), a bonus a settled period missed. Anyone the
correction now counts wrong keeps their standing until the next quality review weighs them.
"""

from __future__ import annotations

from typing import Any

from datafab.foundry import Foundry
from datafab.quality import two_sided_z, wilson_interval
from datafab.services import audit, workforce
from datafab.services.messages import inbox
from datafab.services.projects import Project
from datafab.services.quality import gold_evidence
from datafab.services.workforce import WorkforcePolicy
from datafab.store import disputes as sql
from datafab.store.handles import Connection

REVIEW_REASON = "gold accuracy"  # how the quality review's probation and removal reasons start


def rescore(foundry: Foundry, conn: Connection, project: Project, contributor_ids: list[int],
            now: float, *, actor: str, dispute_id: int) -> list[dict[str, Any]]:
    """What changed for each contributor (those for whom nothing did are left out); each
    change is in the audit log and in the contributor's inbox."""
    policy = workforce.policy_of(foundry, conn, project.id)
    changes = []
    for cid in contributor_ids:
        change = _rescore_one(foundry, conn, project, policy, cid, now)
        if len(change) == 1:
            continue
        changes.append(change)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action="contributor.rescored", target=f"contributor:{cid}",
                     details={"project_id": project.id, "dispute_id": dispute_id, **change})
        inbox.notify(conn, cid, project_id=project.id, now=now,
                     subject=f"Your scores in {project.name} were recomputed",
                     body=_words(change))
    return changes


def _rescore_one(foundry: Foundry, conn: Connection, project: Project,
                 policy: WorkforcePolicy | None, cid: int, now: float) -> dict[str, Any]:
    rows = sql.gold_answers(conn, project.id, cid)
    verdicts = [bool(gold_evidence(project, r.answer, r.gold_answer)[0]) for r in rows]
    change: dict[str, Any] = {"contributor_id": cid}
    before = sql.gold_counts(conn, project.id, cid)
    after = (len(verdicts), sum(verdicts))
    if before is not None and before != after:
        sql.set_gold_counts(conn, project.id, cid, *after, now)
        change["gold"] = {"before": list(before), "after": list(after)}
    member = sql.member(conn, project.id, cid)
    if policy is None or member is None:
        return change
    qualified = _requalify(conn, project, policy, member, rows, verdicts, now)
    if qualified:
        change["qualification"] = qualified
    standing = _lift_standing(foundry, conn, project, policy, member, verdicts, now)
    if standing:
        change["standing"] = standing
    bonus = _late_bonuses(conn, project, policy, cid, after, now)
    if bonus:
        change["bonus_minor"] = bonus
    return change


def _requalify(conn: Connection, project: Project, policy: WorkforcePolicy, member,
               rows, verdicts: list[bool], now: float) -> dict[str, str] | None:
    """The qualification decided again on its answers (the first gold answers made under the
    guideline version it was taken for)."""
    qual = policy.qualification
    if qual is None or member.qualification not in ("passed", "failed"):
        return None
    taken = [v for r, v in zip(rows, verdicts, strict=True)
             if r.guideline_version >= member.qual_version][:qual.items]
    if len(taken) < qual.items:
        return None
    passed = sum(taken) >= qual.pass_mark * len(taken) - 1e-9
    decided = "passed" if passed else "failed"
    if decided == member.qualification:
        return None
    sql.update_member(conn, project.id, member.contributor_id, qualification=decided,
                      qual_seen=len(taken), qual_correct=sum(taken), updated_at=now)
    return {"before": member.qualification, "after": decided}


def _lift_standing(foundry: Foundry, conn: Connection, project: Project,
                   policy: WorkforcePolicy, member, verdicts: list[bool],
                   now: float) -> dict[str, Any] | None:
    """Back to active when the review's probation or removal no longer holds: with the
    corrected answers, the interval on the latest window reaches the bar (or too few gold
    answers remain to judge)."""
    perf = policy.performance
    if (member.standing not in (workforce.PROBATION, "removed") or perf.min_accuracy <= 0
            or not (member.reason or "").startswith(REVIEW_REASON)):
        return None
    judged = verdicts[-perf.window:]
    if len(judged) >= perf.min_gold:
        _, high = wilson_interval(sum(judged), len(judged), two_sided_z(perf.confidence))
        if high < perf.min_accuracy:
            return None
    out: dict[str, Any] = {"before": member.standing, "after": "active"}
    if member.standing == "removed":
        out.update(_count_again(foundry, conn, project, member.contributor_id, now))
    sql.update_member(conn, project.id, member.contributor_id, standing="active",
                      reason="gold corrected after a dispute", probation_gold=None,
                      updated_at=now)
    return out


def _count_again(foundry: Foundry, conn: Connection, project: Project, cid: int,
                 now: float) -> dict[str, int]:
    """Undo a removal's consequences: the answers it stopped counting count again (records
    recomputed), and their reversed pay is restored."""
    rows = sql.uncounted_answers(conn, project.id, cid)
    ids = [r.id for r in rows]
    sql.count_again(conn, ids)
    per_item: dict[int, int] = {}
    for r in rows:
        per_item[r.item_id] = per_item.get(r.item_id, 0) - 1  # negative: labels come back
    if per_item:
        workforce.recompute_items(foundry, conn, project, per_item, now)
    restored = sql.restore_pay(conn, ids, now)
    return {"counted_again": len(ids), "pay_restored_minor": restored}


def _late_bonuses(conn: Connection, project: Project, policy: WorkforcePolicy, cid: int,
                  gold: tuple[int, int], now: float) -> int:
    """Quality bonuses that settled periods missed, now that accuracy reaches the bar (added
    unpaid, for the next payout run); bonuses paid are not taken back."""
    bar, percent = policy.pay.bonus_min_accuracy, policy.pay.bonus_percent
    seen, right = gold
    if bar is None or not percent or not seen or right / seen < bar:
        return 0
    added = 0
    for period in sql.settled_periods(conn, project.id, cid):
        base = int(period.task_minor or 0)
        if period.bonus_minor or base <= 0:
            continue
        if sql.late_bonus_since(conn, project.id, cid, period.period_end):
            continue
        amount = base * percent // 100
        if amount:
            sql.add_bonus(conn, project=project.id, contributor=cid, amount=amount,
                          currency=period.currency, now=now)
            added += amount
    return added


def _words(change: dict[str, Any]) -> str:
    """The change in a sentence or two a contributor can follow."""
    parts = []
    if "gold" in change:
        (s0, r0), (s1, r1) = change["gold"]["before"], change["gold"]["after"]
        parts.append(f"A check item's expected answer was corrected: your check answers are "
                     f"now {r1} right of {s1} (before: {r0} of {s0}).")
    if "qualification" in change:
        parts.append(f"Your qualification is now {change['qualification']['after']}.")
    if "standing" in change:
        parts.append(f"You are active on the project again "
                     f"(you were {change['standing']['before']}).")
    if change.get("bonus_minor"):
        parts.append(f"A quality bonus of {change['bonus_minor']} (minor units) was added "
                     "to your next payout.")
    return " ".join(parts)
