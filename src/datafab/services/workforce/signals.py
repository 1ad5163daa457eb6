"""Signals of bad work, flagged for operators: answers much faster than the project's
median, straight-lining (the same answer again and again), text copied into ``write``
answers."""

from __future__ import annotations

from typing import Any

from datafab.foundry import Foundry
from datafab.services.projects import Project, get_project
from datafab.services.workforce.policy import Performance
from datafab.statuses import FlagStatus
from datafab.store import workforce as queries
from datafab.store.handles import Connection, Row


def detect_signals(foundry: Foundry, project: Project, perf: Performance) -> list[dict]:
    """Flags for operators: answers much faster than the project's median, straight-lining
    (the same answer again and again), text copied into ``write`` answers. One open flag per
    contributor and kind; returns the new ones."""
    with foundry.db.read() as conn:
        new = new_signals(conn, project, perf)
    if new:
        with foundry.db.write() as conn:
            write_flags(conn, project.id, new, foundry.now())
    return new


def new_signals(conn: Connection, project: Project, perf: Performance) -> list[dict]:
    """The signals found in the project's answers that have no flag yet (nothing written)."""
    rows = queries.work_answers(conn, project.id)
    open_flags = queries.flag_kinds(conn, project.id)
    found: list[dict] = []
    times = sorted(r.seconds_spent for r in rows if r.seconds_spent is not None)
    by_who: dict[int, list] = {}
    for r in rows:
        by_who.setdefault(r.contributor_id, []).append(r)
    median = times[len(times) // 2] if times else None
    for cid, mine in sorted(by_who.items()):
        own = sorted(r.seconds_spent for r in mine if r.seconds_spent is not None)
        if median and len(own) >= 5 and own[len(own) // 2] < perf.fast_fraction * median:
            found.append({"contributor_id": cid, "kind": "too_fast",
                          "detail": {"median_seconds": own[len(own) // 2],
                                     "project_median_seconds": median}})
        run = best = 0
        last = None
        for r in mine:
            run = run + 1 if r.answer == last else 1
            last, best = r.answer, max(best, run)
        if best >= perf.straight_run:
            found.append({"contributor_id": cid, "kind": "straight_lining",
                          "detail": {"same_answer_in_a_row": best}})
        if project.primitive_name == "write":
            copied = sum(_copied(r) for r in mine)
            if copied:
                found.append({"contributor_id": cid, "kind": "copy_paste",
                              "detail": {"answers": copied}})
    return [f for f in found if (f["contributor_id"], f["kind"]) not in open_flags]


def write_flags(conn: Connection, project_id: int, new: list[dict], now: float) -> None:
    """The flags ``new_signals`` found, open, in the caller's transaction."""
    if new:
        queries.insert_flags(conn, [
            {"project_id": project_id, "contributor_id": f["contributor_id"],
             "kind": f["kind"], "detail": f["detail"], "status": FlagStatus.OPEN,
             "created_at": now} for f in new])


def _copied(row: Row[Any]) -> bool:
    """A written answer that is the shown draft or a text of the item, unchanged."""
    text_of = _texts(row.answer)
    if not text_of:
        return False
    sources = _texts(row.draft or {}) | _texts(row.data or {})
    return bool(text_of & sources)


def _texts(value: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(value, str):
        if len(value.strip()) >= 20:
            out.add(value.strip())
    elif isinstance(value, dict):
        for v in value.values():
            out |= _texts(v)
    elif isinstance(value, list):
        for v in value:
            out |= _texts(v)
    return out


def flags(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    project = get_project(foundry, organization, project_id)
    with foundry.db.read() as conn:
        rows = queries.flags_of(conn, project.id)
    return [{"id": r.id, "contributor_id": r.contributor_id, "kind": r.kind,
             "detail": r.detail, "status": r.status, "created_at": r.created_at}
            for r in rows]
