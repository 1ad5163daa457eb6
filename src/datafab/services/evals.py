"""Evaluations: eval sets (held out), runs of models over them, grading (automatic, people,
a model judge), leaderboards with bootstrap intervals, gap reports, and the data projects
ordered from them.

The loop: evaluate → find the gap → order targeted data → evaluate again. See docs/evals.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import combinations
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from datafab.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, from_pydantic
from datafab.evals import graders
from datafab.evals.gaps import SliceFigure, find_gaps, slice_keys, slice_skills
from datafab.foundry import Foundry
from datafab.names import CleanName
from datafab.quality.leaderboard import (
    Board,
    bradley_terry_board,
    mean_scores,
    score_agreement,
)
from datafab.services import eval_guard, items, projects
from datafab.store.tables import (
    eval_grades,
    eval_items,
    eval_projects,
    eval_responses,
    eval_runs,
    eval_sets,
)
from datafab.store.tables import items as items_table
from datafab.store.tables import projects as projects_table
from datafab.store.tables import records as records_table

MAX_ITEMS = 10_000
MAX_PAGE = 1000
SLICE_TAGS = ("domain", "skill", "difficulty", "language")


# -- input shapes -------------------------------------------------------------------------------

class EvalItemIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    prompt: str | list[dict[str, Any]] = Field(description="A string or chat messages.")
    reference: dict[str, Any] | None = Field(
        None, description="How to grade: {kind: exact|numeric|regex|choice|code|rubric|none, "
        "...}; see docs/evals.md.")
    slices: dict[str, str] = Field(
        default_factory=dict, description="Slice tags: domain, skill, difficulty, language.")


class EvalSetIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: CleanName = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    items: list[dict[str, Any]] = Field(default_factory=list)


class RunIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="The model's name.")
    name: str | None = Field(None, min_length=1, max_length=200,
                             description="The run's name (default: the model's); starting "
                             "a run of the same name again resumes it.")
    backend: str = Field("openai", max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, description="Sampling parameters.")


class ResponseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    item_id: int
    text: str = Field(max_length=400_000)
    params: dict[str, Any] = Field(default_factory=dict)
    latency: float = Field(0.0, ge=0, le=86_400)
    prompt_tokens: int = Field(0, ge=0, le=10**9)
    completion_tokens: int = Field(0, ge=0, le=10**9)
    cost: float = Field(0.0, ge=0, le=10**6)


class ResponsesIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    responses: list[ResponseIn] = Field(min_length=1, max_length=MAX_PAGE)


class GradingIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    kind: Literal["grade", "compare"]
    runs: list[int] = Field(min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=200)
    rubric: list[dict[str, Any]] | None = Field(
        None, description="Grade: the rubric for items whose reference has none.")
    min_labels: int = Field(1, ge=1, le=10, description="People per response or pair.")


class JudgmentIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    response_id: int
    score: float = Field(ge=0.0, le=1.0)
    rationale: str | None = Field(None, max_length=20_000)


class JudgmentsIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    judge: str = Field(min_length=1, max_length=200, description="The judge model's name.")
    judgments: list[JudgmentIn] = Field(min_length=1, max_length=MAX_PAGE)


class OrderIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    slice: str = Field(min_length=3, max_length=400, description="A slice of the gap report, "
                       "e.g. domain=math.")
    name: str | None = Field(None, min_length=1, max_length=200)
    items: int = Field(50, ge=1, le=10_000, description="Writing tasks to create.")


def _parse(model: type[BaseModel], raw: Any, prefix: str | None = None) -> Any:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{prefix or 'body'}: expected a JSON object", field=prefix or "body")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc, prefix) from exc


# -- eval sets ----------------------------------------------------------------------------------

def _load_set(conn: Connection, organization: int, set_id: int):
    row = conn.execute(select(eval_sets).where(eval_sets.c.id == set_id,
                                               eval_sets.c.organization_id == organization)
                       ).first()
    if row is None:
        raise NotFound(f"eval set {set_id} not found", field="eval_set_id")
    return row


def _load_run(conn: Connection, organization: int, run_id: int):
    row = conn.execute(
        select(eval_runs, eval_sets.c.organization_id)
        .join(eval_sets, eval_sets.c.id == eval_runs.c.eval_set_id)
        .where(eval_runs.c.id == run_id, eval_sets.c.organization_id == organization)
    ).first()
    if row is None:
        raise NotFound(f"eval run {run_id} not found", field="run_id")
    return row


def _validate_items(raw_items: Any, organization: int, now: float) -> list[dict[str, Any]]:
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidInput("items: expected a non-empty list of eval items", field="items")
    if len(raw_items) > MAX_ITEMS:
        raise PayloadTooLarge(f"items: {len(raw_items)} items; the limit is {MAX_ITEMS}",
                              field="items")
    rows, seen = [], set()
    for index, raw in enumerate(raw_items):
        prefix = f"items.{index}"
        item: EvalItemIn = _parse(EvalItemIn, raw, prefix)
        if item.external_id in seen:
            raise InvalidInput(f"{prefix}.external_id: {item.external_id!r} is listed twice",
                               field=f"{prefix}.external_id")
        seen.add(item.external_id)
        text = eval_guard.prompt_text(item.prompt)
        if not text.strip():
            raise InvalidInput(f"{prefix}.prompt: needs a user message with text",
                               field=f"{prefix}.prompt")
        try:
            reference = graders.parse_reference(item.reference)
        except graders.BadReference as exc:
            field = ".".join(p for p in (f"{prefix}.reference", exc.field) if p)
            raise InvalidInput(f"{prefix}.reference.{exc}", field=field) from exc
        unknown = sorted(set(item.slices) - set(SLICE_TAGS))
        if unknown:
            field = f"{prefix}.slices.{unknown[0]}"
            raise InvalidInput(f"{field}: slice tags are {', '.join(SLICE_TAGS)}", field=field)
        prompt = item.prompt if isinstance(item.prompt, list) else \
            [{"role": "user", "content": item.prompt}]
        rows.append(dict(external_id=item.external_id, prompt=prompt,
                         reference=reference.model_dump(mode="json", exclude_defaults=True)
                         | {"kind": reference.kind},
                         slices=dict(item.slices), fingerprint=eval_guard.fingerprint(text),
                         organization_id=organization, created_at=now))
    return rows


def create_set(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    spec: EvalSetIn = _parse(EvalSetIn, raw)
    now = foundry.now()
    rows = _validate_items(spec.items, organization, now) if spec.items else []
    try:
        with foundry.db.write() as conn:
            set_id = conn.execute(insert(eval_sets).values(
                organization_id=organization, name=spec.name, description=spec.description,
                created_at=now).returning(eval_sets.c.id)).scalar_one()
            if rows:
                conn.execute(insert(eval_items), [{**r, "eval_set_id": set_id} for r in rows])
    except IntegrityError as exc:
        raise Conflict(f"name: an eval set named {spec.name!r} exists", field="name") from exc
    return get_set(foundry, organization, set_id)


def add_items(foundry: Foundry, organization: int, set_id: int, raw_items: Any
              ) -> dict[str, int]:
    """Add items; re-sent items change nothing, changed content under an id is refused."""
    rows = _validate_items(raw_items, organization, foundry.now())
    with foundry.db.write() as conn:
        _load_set(conn, organization, set_id)
        stored = {r.external_id: r for r in conn.execute(
            select(eval_items.c.external_id, eval_items.c.prompt, eval_items.c.reference,
                   eval_items.c.slices).where(eval_items.c.eval_set_id == set_id))}
        fresh = []
        for index, row in enumerate(rows):
            old = stored.get(row["external_id"])
            if old is None:
                fresh.append({**row, "eval_set_id": set_id})
            elif (old.prompt, old.reference, old.slices) != (row["prompt"], row["reference"],
                                                             row["slices"]):
                field = f"items.{index}.external_id"
                raise Conflict(f"{field}: item {row['external_id']!r} exists with different "
                               "content", field=field)
        if fresh:
            conn.execute(insert(eval_items), fresh)
    return {"created": len(fresh), "unchanged": len(rows) - len(fresh)}


def get_set(foundry: Foundry, organization: int, set_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = _load_set(conn, organization, set_id)
        found = conn.execute(select(eval_items.c.reference, eval_items.c.slices).where(
            eval_items.c.eval_set_id == set_id)).all()
        runs = conn.execute(
            select(eval_runs.c.id, eval_runs.c.name, eval_runs.c.model,
                   func.count(eval_responses.c.id))
            .outerjoin(eval_responses, eval_responses.c.run_id == eval_runs.c.id)
            .where(eval_runs.c.eval_set_id == set_id)
            .group_by(eval_runs.c.id, eval_runs.c.name, eval_runs.c.model)
            .order_by(eval_runs.c.id)).all()
    kinds: dict[str, int] = defaultdict(int)
    slices: dict[str, int] = defaultdict(int)
    for r in found:
        kinds[r.reference.get("kind", "none")] += 1
        for key in slice_keys(r.slices):
            slices[key] += 1
    return {"id": row.id, "name": row.name, "description": row.description,
            "items": len(found), "kinds": dict(kinds), "slices": dict(sorted(slices.items())),
            "runs": [{"id": r[0], "name": r[1], "model": r[2], "responses": r[3]}
                     for r in runs],
            "created_at": row.created_at}


def list_sets(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        ids = list(conn.execute(select(eval_sets.c.id).where(
            eval_sets.c.organization_id == organization).order_by(eval_sets.c.id)).scalars())
    return [get_set(foundry, organization, i) for i in ids]


# -- runs ---------------------------------------------------------------------------------------

def _run_json(row, done: int, total: int) -> dict[str, Any]:
    return {"id": row.id, "eval_set_id": row.eval_set_id, "name": row.name, "model": row.model,
            "backend": row.backend, "params": row.params, "responses": done, "items": total,
            "created_at": row.created_at}


def start_run(foundry: Foundry, organization: int, set_id: int, raw: Any) -> dict[str, Any]:
    """A new run, or the existing run of that name (to resume it)."""
    spec: RunIn = _parse(RunIn, raw)
    name = spec.name or spec.model
    with foundry.db.write() as conn:
        _load_set(conn, organization, set_id)
        row = conn.execute(select(eval_runs).where(eval_runs.c.eval_set_id == set_id,
                                                   eval_runs.c.name == name)).first()
        if row is not None and row.model != spec.model:
            raise Conflict(f"name: run {name!r} exists for model {row.model!r}", field="name")
        if row is None:
            run_id = conn.execute(insert(eval_runs).values(
                eval_set_id=set_id, name=name, model=spec.model, backend=spec.backend,
                params=spec.params, created_at=foundry.now()).returning(eval_runs.c.id)
            ).scalar_one()
        else:
            run_id = row.id
    return get_run(foundry, organization, run_id)


def get_run(foundry: Foundry, organization: int, run_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = _load_run(conn, organization, run_id)
        done = conn.execute(select(func.count()).where(eval_responses.c.run_id == run_id)
                            ).scalar_one()
        total = conn.execute(select(func.count()).where(
            eval_items.c.eval_set_id == row.eval_set_id)).scalar_one()
    return _run_json(row, done, total)


def pending(foundry: Foundry, organization: int, run_id: int, *, after: int = 0,
            limit: int = 100) -> dict[str, Any]:
    """Items of the run's set without a response yet (after item id ``after``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}", field="limit")
    with foundry.db.read() as conn:
        run = _load_run(conn, organization, run_id)
        answered = select(eval_responses.c.item_id).where(eval_responses.c.run_id == run_id)
        rows = conn.execute(
            select(eval_items.c.id, eval_items.c.external_id, eval_items.c.prompt)
            .where(eval_items.c.eval_set_id == run.eval_set_id, eval_items.c.id > after,
                   eval_items.c.id.not_in(answered))
            .order_by(eval_items.c.id).limit(limit)).all()
        remaining = conn.execute(select(func.count()).where(
            eval_items.c.eval_set_id == run.eval_set_id,
            eval_items.c.id.not_in(answered))).scalar_one()
    return {"run": run_id, "remaining": remaining,
            "items": [{"item_id": r.id, "external_id": r.external_id, "prompt": r.prompt}
                      for r in rows]}


def record_responses(foundry: Foundry, organization: int, run_id: int, raw: Any
                     ) -> dict[str, int]:
    """Store a run's responses (a response already stored for an item is kept, not replaced)
    and grade the checkable ones at once."""
    body: ResponsesIn = _parse(ResponsesIn, raw)
    with foundry.db.read() as conn:
        run = _load_run(conn, organization, run_id)
        refs = {r.id: r.reference for r in conn.execute(
            select(eval_items.c.id, eval_items.c.reference).where(
                eval_items.c.eval_set_id == run.eval_set_id,
                eval_items.c.id.in_([r.item_id for r in body.responses])))}
    for k, response in enumerate(body.responses):
        if response.item_id not in refs:
            field = f"responses.{k}.item_id"
            raise InvalidInput(f"{field}: item {response.item_id} is not in this eval set",
                               field=field)
    verdicts = {}  # graded before the transaction: code tests take seconds
    for response in body.responses:
        verdict = graders.grade(graders.Reference.model_validate(refs[response.item_id]),
                                response.text)
        if verdict is not None:
            verdicts[response.item_id] = verdict
    now = foundry.now()
    stored = graded = 0
    with foundry.db.write() as conn:
        have = set(conn.execute(select(eval_responses.c.item_id).where(
            eval_responses.c.run_id == run_id,
            eval_responses.c.item_id.in_(list(refs)))).scalars())
        for response in body.responses:
            if response.item_id in have:
                continue
            have.add(response.item_id)
            rid = conn.execute(insert(eval_responses).values(
                run_id=run_id, created_at=now, **response.model_dump()
            ).returning(eval_responses.c.id)).scalar_one()
            stored += 1
            verdict = verdicts.get(response.item_id)
            if verdict is not None:
                conn.execute(insert(eval_grades).values(
                    response_id=rid, source="auto", score=verdict.score,
                    details=verdict.details, created_at=now))
                graded += 1
    return {"stored": stored, "unchanged": len(body.responses) - stored, "graded": graded}


# -- people: grading projects -------------------------------------------------------------------

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
    spec: GradingIn = _parse(GradingIn, raw)
    if spec.rubric is not None:
        try:
            graders.check_rubric(spec.rubric, "rubric")
        except graders.BadReference as exc:
            raise InvalidInput(str(exc), field=exc.field) from exc
    with foundry.db.read() as conn:
        eval_set = _load_set(conn, organization, set_id)
        for k, run_id in enumerate(spec.runs):
            run = _load_run(conn, organization, run_id)
            if run.eval_set_id != set_id:
                raise InvalidInput(f"runs.{k}: run {run_id} is not a run of this eval set",
                                   field=f"runs.{k}")
        rows = conn.execute(
            select(eval_responses.c.id, eval_responses.c.run_id, eval_responses.c.text,
                   eval_items.c.id.label("item_id"), eval_items.c.external_id,
                   eval_items.c.prompt, eval_items.c.reference, eval_items.c.slices)
            .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
            .where(eval_responses.c.run_id.in_(spec.runs))
            .order_by(eval_items.c.id, eval_responses.c.run_id)).all()
        taken = set(conn.execute(
            select(projects_table.c.name)
            .join(eval_projects, eval_projects.c.project_id == projects_table.c.id)
            .where(eval_projects.c.eval_set_id == set_id)).scalars())
    if spec.kind == "compare" and len(set(spec.runs)) < 2:
        raise InvalidInput("runs: compare needs at least two runs", field="runs")
    skills = sorted({s for r in rows for s in slice_skills(r.slices)})
    upload = _grade_items(spec, rows) if spec.kind == "grade" else _compare_items(spec, rows)
    if not upload:
        raise InvalidInput("runs: no responses to grade (grade takes rubric and pairwise "
                           "items; checkable items are graded automatically)", field="runs")
    settings: dict[str, Any] = {}
    if spec.kind == "grade" and spec.rubric:
        settings["rubric"] = spec.rubric
    name = spec.name
    if name is None:  # grading the same runs again: the next round
        base = f"{eval_set.name}: {spec.kind} runs {','.join(map(str, spec.runs))}"
        name = next(n for k in range(1, len(taken) + 2)
                    if (n := base if k == 1 else f"{base} (round {k})") not in taken)
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
            conn.execute(insert(eval_projects).values(
                project_id=project_id, eval_set_id=set_id, purpose=spec.kind, run_id=None,
                slice=None, skills=skills, created_at=now))
            project = projects.load_project(conn, organization, project_id)
            rows_in = items.item_rows(project, upload, now)
            conn.execute(insert(items_table), rows_in)
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    return {"project_id": project_id, "name": name, "primitive": spec.kind,
            "items": len(rows_in), "skills": skills}


def _grade_items(spec: GradingIn, rows) -> list[dict[str, Any]]:
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


def _compare_items(spec: GradingIn, rows) -> list[dict[str, Any]]:
    by_item: dict[int, list] = defaultdict(list)
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
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}", field="limit")
    source = f"judge:{judge}"
    with foundry.db.read() as conn:
        _load_set(conn, organization, set_id)
        done = select(eval_grades.c.response_id).where(eval_grades.c.source == source)
        rows = conn.execute(
            select(eval_responses.c.id, eval_responses.c.text, eval_items.c.prompt,
                   eval_items.c.reference)
            .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
            .join(eval_runs, eval_runs.c.id == eval_responses.c.run_id)
            .where(eval_runs.c.eval_set_id == set_id, eval_responses.c.id > after,
                   eval_responses.c.id.not_in(done))
            .order_by(eval_responses.c.id)).all()
    tasks = [{"response_id": r.id, "prompt": r.prompt, "response": r.text,
              "reference": r.reference} for r in rows
             if r.reference.get("kind") not in graders.AUTOMATIC]
    return {"judge": judge, "tasks": tasks[:limit]}


def record_judgments(foundry: Foundry, organization: int, set_id: int, raw: Any
                     ) -> dict[str, int]:
    body: JudgmentsIn = _parse(JudgmentsIn, raw)
    source = f"judge:{body.judge}"
    ids = [j.response_id for j in body.judgments]
    now = foundry.now()
    with foundry.db.write() as conn:
        _load_set(conn, organization, set_id)
        known = set(conn.execute(
            select(eval_responses.c.id).join(eval_runs, eval_runs.c.id == eval_responses.c.run_id)
            .where(eval_runs.c.eval_set_id == set_id, eval_responses.c.id.in_(ids))).scalars())
        for k, j in enumerate(body.judgments):
            if j.response_id not in known:
                field = f"judgments.{k}.response_id"
                raise InvalidInput(f"{field}: response {j.response_id} is not in this eval set",
                                   field=field)
        have = set(conn.execute(select(eval_grades.c.response_id).where(
            eval_grades.c.source == source, eval_grades.c.response_id.in_(ids))).scalars())
        fresh = []
        for j in body.judgments:
            if j.response_id not in have:
                have.add(j.response_id)
                fresh.append(dict(response_id=j.response_id, source=source, score=j.score,
                                  details={"rationale": j.rationale}, created_at=now))
        if fresh:
            conn.execute(insert(eval_grades), fresh)
    return {"stored": len(fresh), "unchanged": len(body.judgments) - len(fresh)}


# -- what the leaderboard reads -----------------------------------------------------------------

class _Evidence:
    """Everything graded about one eval set, read in a few queries."""

    def __init__(self, conn: Connection, set_id: int) -> None:
        self.runs = conn.execute(select(eval_runs).where(eval_runs.c.eval_set_id == set_id)
                                 .order_by(eval_runs.c.id)).all()
        self.n_items = conn.execute(select(func.count()).where(
            eval_items.c.eval_set_id == set_id)).scalar_one()
        self.responses = conn.execute(
            select(eval_responses.c.id, eval_responses.c.run_id, eval_responses.c.item_id,
                   eval_responses.c.text, eval_items.c.external_id, eval_items.c.prompt,
                   eval_items.c.reference, eval_items.c.slices)
            .join(eval_items, eval_items.c.id == eval_responses.c.item_id)
            .join(eval_runs, eval_runs.c.id == eval_responses.c.run_id)
            .where(eval_runs.c.eval_set_id == set_id)).all()
        ids = select(eval_responses.c.id).join(
            eval_runs, eval_runs.c.id == eval_responses.c.run_id).where(
            eval_runs.c.eval_set_id == set_id)
        self.grades: dict[str, dict[int, float]] = defaultdict(dict)
        for g in conn.execute(select(eval_grades.c.response_id, eval_grades.c.source,
                                     eval_grades.c.score)
                              .where(eval_grades.c.response_id.in_(ids))):
            self.grades[g.source][g.response_id] = g.score
        self.people: dict[int, tuple[float, int]] = {}  # response -> (score, raters)
        self.battles: list[tuple[int, int, bool, int]] = []  # (resp a, resp b, tie?, winner)
        people = conn.execute(
            select(items_table.c.external_id, records_table.c.answer,
                   records_table.c.n_submissions, eval_projects.c.purpose)
            .join(records_table, records_table.c.item_id == items_table.c.id)
            .join(eval_projects, eval_projects.c.project_id == items_table.c.project_id)
            .where(eval_projects.c.eval_set_id == set_id, items_table.c.status == "done",
                   eval_projects.c.purpose.in_(eval_guard.GRADING))).all()
        for ext, answer, n, purpose in people:
            if answer is None:
                continue
            if purpose == "grade" and ext.startswith("evr-"):
                self.people[int(ext[4:])] = (float(answer["total_normalised"]), int(n))
            elif purpose == "compare" and ext.startswith("evc-"):
                a, b = (int(x) for x in ext[4:].split("-"))
                choice = answer.get("choice")
                self.battles.append((a, b, choice == "tie", b if choice == "b" else a))

    def scores(self) -> list[tuple[Any, float, str]]:
        """One score per response: automatic, else people's, else a judge's."""
        judges = sorted(s for s in self.grades if s.startswith("judge:"))
        out = []
        for r in self.responses:
            if r.id in self.grades["auto"]:
                out.append((r, self.grades["auto"][r.id], "auto"))
            elif r.id in self.people:
                out.append((r, self.people[r.id][0], "people"))
            else:
                for judge in judges:
                    if r.id in self.grades[judge]:
                        out.append((r, self.grades[judge][r.id], judge))
                        break
        return out


def _board_rows(board: Board, counts: dict[int, dict[str, int]], runs,
                coverage: dict[int, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    rows = []
    for k, run in enumerate(runs):
        if board.n[k] == 0:
            continue
        row = {"run_id": run.id, "name": run.name, "model": run.model,
               "score": _num(board.estimate[k]),
               "ci": [_num(board.lo[k]), _num(board.hi[k])], "n": int(board.n[k]),
               "rank": int(board.rank[k]), "judgments": counts.get(run.id, {})}
        if coverage is not None:
            row.update(coverage[run.id])
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"], -(r["score"] or 0.0)))
    return rows


def _coverage(ev: _Evidence, judged: dict[int, set[int]]) -> dict[int, dict[str, int]]:
    """Per run: the set's items, the run's answers, how many of them stand behind its figure
    (``judged``: run -> response ids) and how many do not yet (``ungraded``)."""
    answers: dict[int, int] = defaultdict(int)
    for r in ev.responses:
        answers[r.run_id] += 1
    out = {}
    for run in ev.runs:
        n = answers[run.id]
        counted = len(judged.get(run.id, ()))
        out[run.id] = {"items": ev.n_items, "responses": n, "graded": counted,
                       "ungraded": n - counted, "unanswered": ev.n_items - n}
    return out


def _coverage_notes(ev: _Evidence, coverage: dict[int, dict[str, int]], what: str
                    ) -> list[str]:
    """What a reader must know before trusting the order: runs whose figure leaves answers
    out (ungraded, or never answered)."""
    notes = []
    for run in ev.runs:
        c = coverage[run.id]
        if not c["responses"]:
            continue
        if c["ungraded"]:
            notes.append(f"{run.name}: {c['ungraded']} of {c['responses']} answers not "
                         f"{what} yet; its figure covers {c['graded']} of {c['items']} items")
        elif c["unanswered"]:
            notes.append(f"{run.name}: answered {c['responses']} of {c['items']} items")
    return notes


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def _mean_board(scored, runs, *, rounds: int, seed: int) -> tuple[Board, dict]:
    code = {run.id: k for k, run in enumerate(runs)}
    item_codes: dict[int, int] = {}
    m, i, s = [], [], []
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r, score, source in scored:
        m.append(code[r.run_id])
        i.append(item_codes.setdefault(r.item_id, len(item_codes)))
        s.append(score)
        counts[r.run_id][source.split(":")[0]] += 1
    board = mean_scores(m, i, s, n_models=len(runs), n_items=len(item_codes),
                        n_rounds=rounds, seed=seed)
    return board, {k: dict(v) for k, v in counts.items()}


def _bt_board(battles, run_of: dict[int, int], runs, *, rounds: int,
              seed: int) -> tuple[Board, dict[int, dict[str, int]]]:
    code = {run.id: k for k, run in enumerate(runs)}
    w, lose, tie = [], [], []
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a, b, is_tie, winner in battles:
        ra, rb = run_of[a], run_of[b]
        loser = b if winner == a else a
        w.append(code[run_of[winner]])
        lose.append(code[run_of[loser]])
        tie.append(is_tie)
        counts[ra]["people"] += 1
        counts[rb]["people"] += 1
    board = bradley_terry_board(np.array(w), np.array(lose), ties=np.array(tie, dtype=bool),
                                n_models=len(runs), n_rounds=rounds, seed=seed)
    return board, {k: dict(v) for k, v in counts.items()}


def leaderboard(foundry: Foundry, organization: int, set_id: int, *,
                method: str = "mean", rounds: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Runs ranked by mean score (automatic, people's, else a judge's grade per response)
    or by Bradley–Terry over people's pairwise comparisons, with bootstrap 95% intervals,
    tied ranks where intervals overlap, the same per slice, the judgments behind each figure,
    and each judge's agreement with people."""
    if method not in ("mean", "bradley_terry"):
        raise InvalidInput("method: mean or bradley_terry", field="method")
    if not 10 <= rounds <= 10_000:
        raise InvalidInput("rounds: must be between 10 and 10000", field="rounds")
    with foundry.db.read() as conn:
        eval_set = _load_set(conn, organization, set_id)
        ev = _Evidence(conn, set_id)
    out: dict[str, Any] = {"eval_set_id": set_id, "name": eval_set.name, "method": method,
                           "level": 0.95, "rounds": rounds}
    if method == "mean":
        scored = ev.scores()
        if not scored:
            raise InvalidInput("eval set: no graded responses yet", field="eval_set_id")
        board, counts = _mean_board(scored, ev.runs, rounds=rounds, seed=seed)
        judged: dict[int, set[int]] = defaultdict(set)
        for r, _, _ in scored:
            judged[r.run_id].add(r.id)
        coverage = _coverage(ev, judged)
        out["models"] = _board_rows(board, counts, ev.runs, coverage)
        out["notes"] = _coverage_notes(ev, coverage, "graded")
        by_slice: dict[str, list] = defaultdict(list)
        for entry in scored:
            for key in slice_keys(entry[0].slices):
                by_slice[key].append(entry)
        out["slices"] = {key: _board_rows(*_mean_board(group, ev.runs, rounds=rounds,
                                                       seed=seed), ev.runs)
                         for key, group in sorted(by_slice.items())}
    else:
        if not ev.battles:
            raise InvalidInput("eval set: no pairwise judgments by people yet",
                               field="eval_set_id")
        run_of = {r.id: r.run_id for r in ev.responses}
        board, counts = _bt_board(ev.battles, run_of, ev.runs, rounds=rounds, seed=seed)
        judged = defaultdict(set)
        for a, b, _, _ in ev.battles:
            judged[run_of[a]].add(a)
            judged[run_of[b]].add(b)
        coverage = _coverage(ev, judged)
        out["models"] = _board_rows(board, counts, ev.runs, coverage)
        out["notes"] = _coverage_notes(ev, coverage, "compared")
        slices_of = {r.id: slice_keys(r.slices) for r in ev.responses}
        by_slice = defaultdict(list)
        for battle in ev.battles:
            for key in slices_of[battle[0]]:
                by_slice[key].append(battle)
        out["slices"] = {key: _board_rows(*_bt_board(group, run_of, ev.runs, rounds=rounds,
                                                     seed=seed), ev.runs)
                         for key, group in sorted(by_slice.items())}
    out["judge_agreement"] = _judge_agreement(ev)
    return out


def _judge_agreement(ev: _Evidence) -> dict[str, Any]:
    """Each judge against people's grades on the same responses."""
    out = {}
    for source, grades in sorted(ev.grades.items()):
        if not source.startswith("judge:"):
            continue
        both = [rid for rid in grades if rid in ev.people]
        report = score_agreement([grades[r] for r in both], [ev.people[r][0] for r in both])
        report["judged"] = len(grades)
        out[source.split(":", 1)[1]] = report
    return out


# -- gaps and the data they order ---------------------------------------------------------------

def gap_report(foundry: Foundry, organization: int, run_id: int, *, low: float = 0.6,
               rounds: int = 1000, seed: int = 0, examples: int = 3) -> dict[str, Any]:
    """The slices where this run is weakest — a low score with a tight interval, or beyond
    doubt below the best run on that slice — worst first, with example failures, and the
    same slice's score in the earlier runs of the same model (did ordered data move it?)."""
    with foundry.db.read() as conn:
        run = _load_run(conn, organization, run_id)
        ev = _Evidence(conn, run.eval_set_id)
    scored = ev.scores()
    by_slice: dict[str, list] = defaultdict(list)
    for entry in scored:
        for key in slice_keys(entry[0].slices):
            by_slice[key].append(entry)
    figures, boards = [], {}
    for key, group in sorted(by_slice.items()):
        board, _ = _mean_board(group, ev.runs, rounds=rounds, seed=seed)
        boards[key] = board
        k = next(j for j, r in enumerate(ev.runs) if r.id == run_id)
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
        failing = [(r, s) for r, s, _ in by_slice[gap["slice"]] if r.run_id == run_id
                   and s < 0.5]
        gap["examples"] = [{"item": r.external_id, "prompt": r.prompt, "response": r.text,
                            "reference": r.reference, "score": s}
                           for r, s in failing[:examples]]
        gap["failures"] = len(failing)
        board = boards[gap["slice"]]
        gap["earlier_runs"] = [{"run_id": ev.runs[j].id, "name": ev.runs[j].name,
                                "score": _num(board.estimate[j])}
                               for j in earlier if board.n[j]]
        gap["skills"] = _skills_of(gap["slice"], [e for e in by_slice[gap["slice"]]
                                                  if e[0].run_id == run_id])
    slices = [{"slice": f.slice, "score": f.score, "ci": [f.lo, f.hi], "n": f.n,
               **changes[f.slice]} for f in figures]
    improved = sorted((s for s in slices if s.get("improved")),
                      key=lambda s: -s["change"])
    return {"run_id": run_id, "name": run.name, "model": run.model,
            "eval_set_id": run.eval_set_id, "low": low, "slices": slices, "gaps": gaps,
            "improved": improved}


def _change(figure: SliceFigure, board: Board, runs, earlier: list[int], low: float
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
                        "score": _num(board.estimate[j]),
                        "ci": [_num(board.lo[j]), _num(board.hi[j])], "n": int(board.n[j])},
            "change": round(figure.score - float(board.estimate[j]), 6),
            "improved": bool(figure.lo > board.hi[j]),
            "closed": bool(was_gap and not is_gap)}


def _skills_of(key: str, group) -> list[str]:
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
    spec: OrderIn = _parse(OrderIn, raw)
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
    levels = [e["item"] for e in gap["examples"]] or [None]
    brief = (f"Write a new, original {tag} '{value}' task in the box for the task, and its "
             "ideal, fully worked answer in the box for the answer.")
    seeds = [{"external_id": f"gap-{run_id}-{k}", "data": {
        "prompt": brief,
        "meta": {"slice": spec.slice, "eval_run": run_id}
        | ({"modelled_on": levels[k % len(levels)]} if levels[0] is not None else {})}}
        for k in range(n)]
    try:
        with foundry.db.write() as conn:  # the project, its link and its items, or nothing
            project_id = projects.insert_project(conn, new)
            conn.execute(insert(eval_projects).values(
                project_id=project_id, eval_set_id=report["eval_set_id"], purpose="data",
                run_id=run_id, slice=spec.slice, skills=gap["skills"], created_at=now))
            project = projects.load_project(conn, organization, project_id)
            conn.execute(insert(items_table), items.item_rows(project, seeds, now))
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    return {"project_id": project_id, "name": name, "primitive": "write",
            "required_skills": gap["skills"], "items": n,
            "slice": spec.slice, "guidelines": guidelines}
