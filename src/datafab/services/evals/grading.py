"""Grading a run's responses: projects where people grade or compare them, and a model
judge's tasks and judgments."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import combinations
from typing import Any

from datafab.errors import Conflict, InvalidInput
from datafab.evals import graders
from datafab.evals.gaps import slice_skills
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import items, projects
from datafab.services.evals.shapes import (
    GradingIn,
    JudgmentsIn,
    check_limit,
    load_run,
    load_set,
)
from datafab.store import evals as store
from datafab.store.handles import IntegrityError, Row


def create_grading(foundry: Foundry, organization: int, set_id: int, raw: Any
                   ) -> dict[str, Any]:
    """A ``grade`` project (people score each run's responses against the rubric) or a
    ``compare`` project (people pick the better of two runs' responses, shown blind in a
    random order), worked through the ordinary lease/submit path. Its items hold eval
    prompts, so its records are never exported and it is not leased to contributors who
    write training data for the set's slices.

    The project, its link to the eval set and its items are written in one transaction: a
    grading that fails writes nothing. Grading the same runs again (a second round of
    comparisons, say) makes another project; their judgments add up."""
    spec = parse(GradingIn, raw)
    if spec.rubric is not None:
        try:
            graders.check_rubric(spec.rubric, "rubric")
        except graders.BadReference as exc:
            raise InvalidInput(str(exc), field=exc.field) from exc
    with foundry.db.read() as conn:
        eval_set = load_set(conn, organization, set_id)
        for k, run_id in enumerate(spec.runs):
            run = load_run(conn, organization, run_id)
            if run.eval_set_id != set_id:
                raise InvalidInput(f"runs.{k}: run {run_id} is not a run of this eval set",
                                   field=f"runs.{k}")
        rows = store.responses_of_runs(conn, spec.runs)
        taken = store.linked_project_names(conn, set_id)
    if spec.kind == "compare" and len(set(spec.runs)) < 2:
        raise InvalidInput("runs: compare needs at least two runs", field="runs")
    skills = sorted({s for r in rows for s in slice_skills(r.slices)})
    upload = _grade_items(spec, rows) if spec.kind == "grade" else _compare_items(rows)
    if not upload:
        raise InvalidInput("runs: no responses to grade (grade takes rubric and pairwise "
                           "items; checkable items are graded automatically)", field="runs")
    settings: dict[str, Any] = {}
    if spec.kind == "grade" and spec.rubric:
        settings["rubric"] = spec.rubric
    name = spec.name or _next_round(
        f"{eval_set.name}: {spec.kind} runs {','.join(map(str, spec.runs))}", taken)
    now = foundry.now()
    new = projects.new_project(organization, {
        "name": name, "primitive": spec.kind, "settings": settings,
        "guidelines": "Held-out evaluation: grade what you see; do not copy these prompts "
                      "anywhere.",
        "policy": {"min_labels": spec.min_labels, "max_labels": spec.min_labels},
        "required_skills": []}, now)
    try:
        with foundry.db.write() as conn:
            project_id = projects.insert_project(conn, new)
            store.link_project(conn, project_id, set_id, purpose=spec.kind, run_id=None,
                               slice_key=None, skills=skills, now=now)
            project = projects.load_project(conn, organization, project_id)
            rows_in = items.item_rows(project, upload, now)
            store.insert_work_items(conn, rows_in)
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    return {"project_id": project_id, "name": name, "primitive": spec.kind,
            "items": len(rows_in), "skills": skills}


def _next_round(base: str, taken: set[str]) -> str:
    """Grading the same runs again: the next round's name."""
    return next(n for k in range(1, len(taken) + 2)
                if (n := base if k == 1 else f"{base} (round {k})") not in taken)


def _grade_items(spec: GradingIn, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        ref = r.reference
        if ref.get("kind") in graders.AUTOMATIC:
            continue
        rubric = ref.get("rubric")
        if rubric is not None:
            try:
                graders.check_rubric(rubric)
            except graders.BadReference as exc:  # stored before rubrics were checked
                if spec.rubric is None:
                    raise InvalidInput(
                        f"rubric: eval item {r.external_id!r} has a rubric people cannot "
                        f"grade with (reference.{exc}); give one", field="rubric") from exc
                rubric = None  # the grading's rubric stands in
        if rubric is None and spec.rubric is None:
            raise InvalidInput(f"rubric: eval item {r.external_id!r} has no rubric; give one",
                               field="rubric")
        data: dict[str, Any] = {"prompt": r.prompt, "response": r.text}
        if rubric is not None:
            data["rubric"] = rubric
        out.append({"external_id": f"evr-{r.id}", "data": data})
    return out


def _compare_items(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    by_item: dict[int, list[Row[Any]]] = defaultdict(list)
    for r in rows:
        by_item[r.item_id].append(r)
    out = []
    for group in by_item.values():
        for x, y in combinations(sorted(group, key=lambda r: r.run_id), 2):
            flip = hashlib.sha256(f"{x.id}-{y.id}".encode()).digest()[0] & 1
            a, b = (y, x) if flip else (x, y)
            out.append({"external_id": f"evc-{a.id}-{b.id}",
                        "data": {"prompt": a.prompt, "a": {"content": a.text},
                                 "b": {"content": b.text}}})
    return out


# -- a model judge ------------------------------------------------------------------------------

def judge_tasks(foundry: Foundry, organization: int, set_id: int, judge: str, *,
                after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Responses a judge model has not graded yet (rubric and pairwise-only items: the
    checkable ones are graded automatically), after response id ``after``."""
    check_limit(limit)
    with foundry.db.read() as conn:
        load_set(conn, organization, set_id)
        rows = store.ungraded_by(conn, set_id, f"judge:{judge}", after=after)
    tasks = [{"response_id": r.id, "prompt": r.prompt, "response": r.text,
              "reference": r.reference} for r in rows
             if r.reference.get("kind") not in graders.AUTOMATIC]
    return {"judge": judge, "tasks": tasks[:limit]}


def record_judgments(foundry: Foundry, organization: int, set_id: int, raw: Any
                     ) -> dict[str, int]:
    body = parse(JudgmentsIn, raw)
    source = f"judge:{body.judge}"
    ids = [j.response_id for j in body.judgments]
    now = foundry.now()
    with foundry.db.write() as conn:
        load_set(conn, organization, set_id)
        known = store.responses_in_set(conn, set_id, ids)
        for k, j in enumerate(body.judgments):
            if j.response_id not in known:
                field = f"judgments.{k}.response_id"
                raise InvalidInput(f"{field}: response {j.response_id} is not in this eval set",
                                   field=field)
        have = store.graded_by(conn, source, ids)
        fresh = []
        for j in body.judgments:
            if j.response_id not in have:
                have.add(j.response_id)
                fresh.append(dict(response_id=j.response_id, source=source, score=j.score,
                                  details={"rationale": j.rationale}, created_at=now))
        store.insert_grades(conn, fresh)
    return {"stored": len(fresh), "unchanged": len(body.judgments) - len(fresh)}
