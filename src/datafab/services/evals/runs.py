"""Runs of a model over an eval set: starting (or resuming) one, the items it has yet to
answer, and its responses, graded at once where the reference is checkable."""

from __future__ import annotations

from typing import Any

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.evals import graders
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services.evals.shapes import (
    ResponsesIn,
    RunIn,
    check_limit,
    load_run,
    load_set,
)
from datafab.store import evals as store
from datafab.store.handles import Connection, Row


def _run_json(row: Row[Any], done: int, total: int, trained_on: list[int]
              ) -> dict[str, Any]:
    return {"id": row.id, "eval_set_id": row.eval_set_id, "name": row.name, "model": row.model,
            "backend": row.backend, "params": row.params, "responses": done, "items": total,
            "created_at": row.created_at, "family": row.family or row.model,
            "trained_on": trained_on}


def start_run(foundry: Foundry, organization: int, set_id: int, raw: Any) -> dict[str, Any]:
    """A new run, or the existing run of that name (to resume it). The data projects it
    names as its model's training data must be the organization's."""
    spec = parse(RunIn, raw)
    name = spec.name or spec.model
    with foundry.db.write() as conn:
        load_set(conn, organization, set_id)
        _check_training_data(conn, organization, spec.trained_on)
        row = store.run_by_name(conn, set_id, name)
        if row is None:
            run_id = store.insert_run(conn, set_id, name=name, model=spec.model,
                                      backend=spec.backend, params=spec.params,
                                      now=foundry.now(), family=spec.family)
            store.link_training_data(conn, run_id, spec.trained_on)
        else:
            _check_resumed(conn, row, spec, name)
            run_id = row.id
    return get_run(foundry, organization, run_id)


def _check_training_data(conn: Connection, organization: int, project_ids: list[int]
                         ) -> None:
    known = store.projects_of(conn, organization, project_ids)
    seen: set[int] = set()
    for k, project in enumerate(project_ids):
        if project not in known:
            raise NotFound(f"trained_on.{k}: project {project} not found",
                           field=f"trained_on.{k}")
        if project in seen:
            raise InvalidInput(f"trained_on.{k}: project {project} is listed twice",
                               field=f"trained_on.{k}")
        seen.add(project)


def _check_resumed(conn: Connection, row: Row[Any], spec: RunIn, name: str) -> None:
    """Resuming a run: the same model, and no other family or training data."""
    if row.model != spec.model:
        raise Conflict(f"name: run {name!r} exists for model {row.model!r}", field="name")
    if spec.family is not None and spec.family != (row.family or row.model):
        raise Conflict(f"family: run {name!r} is of family {row.family or row.model!r}",
                       field="family")
    stored = store.training_data(conn, [row.id]).get(row.id, [])
    if spec.trained_on and sorted(spec.trained_on) != stored:
        raise Conflict(f"trained_on: run {name!r} was trained on projects {stored}",
                       field="trained_on")


def get_run(foundry: Foundry, organization: int, run_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = load_run(conn, organization, run_id)
        done = store.count_responses(conn, run_id)
        total = store.count_items(conn, row.eval_set_id)
        trained_on = store.training_data(conn, [run_id]).get(run_id, [])
    return _run_json(row, done, total, trained_on)


def pending(foundry: Foundry, organization: int, run_id: int, *, after: int = 0,
            limit: int = 100) -> dict[str, Any]:
    """Items of the run's set without a response yet (after item id ``after``)."""
    check_limit(limit)
    with foundry.db.read() as conn:
        run = load_run(conn, organization, run_id)
        rows = store.unanswered_items(conn, run.eval_set_id, run_id, after=after, limit=limit)
        remaining = store.count_unanswered(conn, run.eval_set_id, run_id)
    return {"run": run_id, "remaining": remaining,
            "items": [{"item_id": r.id, "external_id": r.external_id, "prompt": r.prompt}
                      for r in rows]}


def record_responses(foundry: Foundry, organization: int, run_id: int, raw: Any
                     ) -> dict[str, int]:
    """Store a run's responses (a response already stored for an item is kept, not replaced)
    and grade the checkable ones at once."""
    body = parse(ResponsesIn, raw)
    with foundry.db.read() as conn:
        run = load_run(conn, organization, run_id)
        refs = store.references(conn, run.eval_set_id, [r.item_id for r in body.responses])
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
        have = store.answered_among(conn, run_id, refs)
        for response in body.responses:
            if response.item_id in have:
                continue
            have.add(response.item_id)
            rid = store.insert_response(conn, run_id, response.model_dump(), now)
            stored += 1
            verdict = verdicts.get(response.item_id)
            if verdict is not None:
                store.insert_grades(conn, [dict(
                    response_id=rid, source="auto", score=verdict.score,
                    details=verdict.details, created_at=now)])
                graded += 1
    return {"stored": stored, "unchanged": len(body.responses) - stored, "graded": graded}
