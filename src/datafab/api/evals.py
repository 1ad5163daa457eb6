"""Evaluations (requester side): eval sets, runs, responses, grading, judges, leaderboards,
gap reports and the data projects they order."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services import evals

router = APIRouter(prefix="/v1/evals", tags=["evals"], route_class=CheckedRoute)

JsonBody = Body(..., description="See docs/evals.md for the fields.")


@router.post("/sets", status_code=201)
def create_set(org: Requester, foundry: FoundryDep,
               body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """An eval set: {name, description?, items: [{external_id, prompt, reference?, slices?}]}.
    Nothing is written if any item is bad."""
    return evals.create_set(foundry, org, body)


@router.get("/sets")
def list_sets(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"data": evals.list_sets(foundry, org)}


@router.get("/sets/{set_id}")
def get_set(set_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return evals.get_set(foundry, org, set_id)


@router.post("/sets/{set_id}/items")
def add_items(set_id: int, org: Requester, foundry: FoundryDep,
              body: dict[str, Any] = JsonBody) -> dict[str, int]:
    return evals.add_items(foundry, org, set_id, body.get("items"))


@router.post("/sets/{set_id}/runs", status_code=201)
def start_run(set_id: int, org: Requester, foundry: FoundryDep,
              body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """A run of a model over the set: {model, name?, backend?, params?}. Starting a run of
    an existing name returns it, to resume."""
    return evals.start_run(foundry, org, set_id, body)


@router.get("/runs/{run_id}")
def get_run(run_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return evals.get_run(foundry, org, run_id)


@router.get("/runs/{run_id}/pending")
def pending(run_id: int, org: Requester, foundry: FoundryDep,
            after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
            ) -> dict[str, Any]:
    """The set's items this run has no response for yet."""
    return evals.pending(foundry, org, run_id, after=after, limit=limit)


@router.post("/runs/{run_id}/responses")
async def record_responses(run_id: int, org: Requester, foundry: FoundryDep,
                           body: dict[str, Any] = JsonBody) -> dict[str, int]:
    """{responses: [{item_id, text, params, latency, prompt_tokens, completion_tokens,
    cost}]}; checkable responses are graded at once (code in a subprocess)."""
    return await run_in_threadpool(evals.record_responses, foundry, org, run_id, body)


@router.post("/sets/{set_id}/grading", status_code=201)
def create_grading(set_id: int, org: Requester, foundry: FoundryDep,
                   body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """A project where people grade (``grade``) or compare (``compare``) runs' responses
    through the ordinary lease/submit path: {kind, runs, rubric?, min_labels?, name?}."""
    return evals.create_grading(foundry, org, set_id, body)


@router.get("/sets/{set_id}/judge-tasks")
def judge_tasks(set_id: int, org: Requester, foundry: FoundryDep,
                judge: str = Query(..., min_length=1, max_length=200),
                after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
                ) -> dict[str, Any]:
    return evals.judge_tasks(foundry, org, set_id, judge, after=after, limit=limit)


@router.post("/sets/{set_id}/judgments")
def record_judgments(set_id: int, org: Requester, foundry: FoundryDep,
                     body: dict[str, Any] = JsonBody) -> dict[str, int]:
    """{judge, judgments: [{response_id, score in [0, 1], rationale?}]}."""
    return evals.record_judgments(foundry, org, set_id, body)


@router.get("/sets/{set_id}/leaderboard")
async def leaderboard(set_id: int, org: Requester, foundry: FoundryDep,
                      method: Literal["mean", "bradley_terry"] = "mean",
                      rounds: int = Query(1000, ge=10, le=10_000),
                      seed: int = Query(0, ge=0)) -> dict[str, Any]:
    """Runs ranked with bootstrap 95% intervals (ties where they overlap), per slice, with
    the judgments behind each figure and each judge's agreement with people."""
    return await run_in_threadpool(evals.leaderboard, foundry, org, set_id, method=method,
                                   rounds=rounds, seed=seed)


@router.get("/runs/{run_id}/gaps")
async def gap_report(run_id: int, org: Requester, foundry: FoundryDep,
                     low: float = Query(0.6, ge=0.0, le=1.0)) -> dict[str, Any]:
    return await run_in_threadpool(evals.gap_report, foundry, org, run_id, low=low)


@router.post("/runs/{run_id}/gaps/project", status_code=201)
def order_data(run_id: int, org: Requester, foundry: FoundryDep,
               body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """Turn a gap into a data project: {slice, items?, name?}."""
    return evals.order_data(foundry, org, run_id, body)
