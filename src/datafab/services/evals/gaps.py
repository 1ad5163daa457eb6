"""Gap reports (where a run is weakest, and whether ordered data moved it) and the data
projects ordered from a gap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from datafab.errors import Conflict, InvalidInput
from datafab.evals.gaps import SliceFigure, find_gaps, slice_keys, slice_skills
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.quality.leaderboard import Board
from datafab.services import items, projects
from datafab.services.evals.boards import Runs, mean_board, num
from datafab.services.evals.evidence import Evidence, Scored
from datafab.services.evals.shapes import OrderIn, load_run
from datafab.store import evals as store
from datafab.store.handles import IntegrityError


def gap_report(foundry: Foundry, organization: int, run_id: int, *, low: float = 0.6,
               rounds: int = 1000, seed: int = 0, examples: int = 3) -> dict[str, Any]:
    """The slices where this run is weakest — a low score with a tight interval, or beyond
    doubt below the best run on that slice — worst first, with example failures, and the
    same slice's score in the earlier runs of the same model (did ordered data move it?)."""
    with foundry.db.read() as conn:
        run = load_run(conn, organization, run_id)
        ev = Evidence(conn, run.eval_set_id)
    by_slice: dict[str, list[Scored]] = defaultdict(list)
    for entry in ev.scores():
        for key in slice_keys(entry[0].slices):
            by_slice[key].append(entry)
    figures, boards = [], {}
    k = next(j for j, r in enumerate(ev.runs) if r.id == run_id)
    for key, group in sorted(by_slice.items()):
        board, _ = mean_board(group, ev.runs, rounds=rounds, seed=seed)
        boards[key] = board
        if board.n[k] == 0:
            continue
        best = int(np.nanargmax(np.where(board.n > 0, board.estimate, -np.inf)))
        figures.append(SliceFigure(key, float(board.estimate[k]), float(board.lo[k]),
                                   float(board.hi[k]), int(board.n[k]), ev.runs[best].name,
                                   float(board.estimate[best]), float(board.lo[best])))
    gaps = find_gaps(figures, low=low)
    earlier = [j for j, r in enumerate(ev.runs) if r.model == run.model and r.id < run_id]
    changes = {f.slice: _change(f, boards[f.slice], ev.runs, earlier, low) for f in figures}
    for gap in gaps:
        _describe_gap(gap, by_slice[gap["slice"]], boards[gap["slice"]], ev.runs, earlier,
                      run_id, examples)
    slices = [{"slice": f.slice, "score": f.score, "ci": [f.lo, f.hi], "n": f.n,
               **changes[f.slice]} for f in figures]
    improved = sorted((s for s in slices if s.get("improved")),
                      key=lambda s: -s["change"])
    return {"run_id": run_id, "name": run.name, "model": run.model,
            "eval_set_id": run.eval_set_id, "low": low, "slices": slices, "gaps": gaps,
            "improved": improved}


def _describe_gap(gap: dict[str, Any], group: list[Scored], board: Board, runs: Runs,
                  earlier: list[int], run_id: int, examples: int) -> None:
    """A gap's example failures, earlier runs' scores on it and the skills it needs."""
    failing = [(r, s) for r, s, _ in group if r.run_id == run_id and s < 0.5]
    gap["examples"] = [{"item": r.external_id, "prompt": r.prompt, "response": r.text,
                        "reference": r.reference, "score": s}
                       for r, s in failing[:examples]]
    gap["failures"] = len(failing)
    gap["earlier_runs"] = [{"run_id": runs[j].id, "name": runs[j].name,
                            "score": num(board.estimate[j])}
                           for j in earlier if board.n[j]]
    gap["skills"] = _skills_of(gap["slice"], [e for e in group if e[0].run_id == run_id])


def _change(figure: SliceFigure, board: Board, runs: Runs, earlier: list[int], low: float
            ) -> dict[str, Any]:
    """The slice against the latest earlier run of the same model that answered it: the
    change in score, ``improved`` when this run is above it beyond doubt (its interval
    wholly above the earlier one), and ``closed`` when the slice was a gap then and is not
    now."""
    before = [j for j in earlier if board.n[j]]
    if not before:
        return {}
    j = before[-1]
    was_gap = board.hi[j] < low or board.hi[j] < figure.best_lo
    is_gap = figure.hi < low or figure.hi < figure.best_lo
    return {"earlier": {"run_id": runs[j].id, "name": runs[j].name,
                        "score": num(board.estimate[j]),
                        "ci": [num(board.lo[j]), num(board.hi[j])], "n": int(board.n[j])},
            "change": round(figure.score - float(board.estimate[j]), 6),
            "improved": bool(figure.lo > board.hi[j]),
            "closed": bool(was_gap and not is_gap)}


def _skills_of(key: str, group: Sequence[Scored]) -> list[str]:
    """The skills a writer for this slice must have. A difficulty cuts across skills: its
    failures may be math and geography both, and nobody need have every skill of a
    difficulty to write for it — only the skills all its failing items share (often
    none)."""
    tag, _, value = key.partition("=")
    if tag == "difficulty":
        failing = [set(slice_skills(r.slices)) for r, score, _ in group if score < 0.5] or \
            [set(slice_skills(r.slices)) for r, _, _ in group]
        return sorted(set.intersection(*failing)) if failing else []
    return [value]


def order_data(foundry: Foundry, organization: int, run_id: int, raw: Any) -> dict[str, Any]:
    """Turn a gap into a data project: a ``write`` project whose contributors write new tasks
    and their answers (``writes: "task"``: its SFT export is the task as the user turn and
    the answer as the assistant turn), whose required skills are the slice's skills, with
    up to ten writing tasks per failure (at most ``items``).

    A seed's brief names the slice only — never an eval item's prompt or id: a prompt that
    became training data would no longer measure anything, and the people who write for the
    slice must not see its eval items (the contamination guard). The failing eval item a
    task is modelled on is named in the seed's ``meta`` (``modelled_on``), which the export
    carries as lineage (``source``), outside the training text."""
    spec = parse(OrderIn, raw)
    report = gap_report(foundry, organization, run_id)
    gap = next((g for g in report["gaps"] if g["slice"] == spec.slice), None)
    if gap is None:
        known = ", ".join(g["slice"] for g in report["gaps"]) or "none"
        raise InvalidInput(f"slice: {spec.slice!r} is not a gap of run {run_id} (gaps: "
                           f"{known})", field="slice")
    tag, _, value = spec.slice.partition("=")
    n = min(spec.items, max(gap["failures"], 1) * 10)
    kinds = sorted({e["reference"].get("kind", "none") for e in gap["examples"]}) or ["none"]
    guidelines = (
        f"Write new, original {tag} '{value}' tasks and their ideal answers: {report['model']} "
        f"scores {gap['score']:.2f} here (95% interval {gap['ci'][0]:.2f}–{gap['ci'][1]:.2f}, "
        f"best model {gap['best_score']:.2f}). Answers should be checkable "
        f"({', '.join(kinds)}). Do not reuse problems from any benchmark or test set.")
    name = spec.name or f"{report['model']}: more {spec.slice} (gap from run {run_id})"
    now = foundry.now()
    new = projects.new_project(organization, {
        "name": name, "primitive": "write", "guidelines": guidelines,
        "settings": {"writes": "task"}, "required_skills": gap["skills"]}, now)
    seeds = _seeds(spec.slice, run_id, [e["item"] for e in gap["examples"]], n)
    try:
        with foundry.db.write() as conn:  # the project, its link and its items, or nothing
            project_id = projects.insert_project(conn, new)
            store.link_project(conn, project_id, report["eval_set_id"], purpose="data",
                               run_id=run_id, slice_key=spec.slice, skills=gap["skills"],
                               now=now)
            project = projects.load_project(conn, organization, project_id)
            store.insert_work_items(conn, items.item_rows(project, seeds, now))
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    return {"project_id": project_id, "name": name, "primitive": "write",
            "required_skills": gap["skills"], "items": n,
            "slice": spec.slice, "guidelines": guidelines}


def _seeds(slice_key: str, run_id: int, failures: list[str], n: int) -> list[dict[str, Any]]:
    """``n`` writing tasks for the slice, each naming (in ``meta`` only) a failing eval item
    it is modelled on."""
    tag, _, value = slice_key.partition("=")
    levels: list[str | None] = list(failures) or [None]
    brief = (f"Write a new, original {tag} '{value}' task in the box for the task, and its "
             "ideal, fully worked answer in the box for the answer.")
    return [{"external_id": f"gap-{run_id}-{k}", "data": {
        "prompt": brief,
        "meta": {"slice": slice_key, "eval_run": run_id}
        | ({"modelled_on": levels[k % len(levels)]} if levels[0] is not None else {})}}
        for k in range(n)]
