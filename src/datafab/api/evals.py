"""Evaluations (requester side): eval sets, runs, responses, grading, judges, leaderboards,
gap reports and the data projects they order."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from starlette.concurrency import run_in_threadpool

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.api.schemas import evals as out
from datafab.services import evals

router = APIRouter(prefix="/v1/evals", tags=["evals"], route_class=CheckedRoute)

# Each route answers its service's dictionary as its model (api/schemas/evals.py) says,
# leaving out the keys the service leaves out (response_model_exclude_unset): a slice rank's
# row has no coverage, a slice with no earlier run no earlier figure.

JsonBody = Body(..., description="See docs/evals.md for the fields.")


@router.post("/sets", status_code=201, response_model=out.EvalSetOut,
             response_model_exclude_unset=True)
def create_set(org: Requester, foundry: FoundryDep,
               body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """An eval set: {name, description?, items: [{external_id, prompt, reference?, slices?}]}.
    Nothing is written if any item is bad."""
    return evals.create_set(foundry, org, body)


@router.get("/sets", response_model=out.EvalSetList,
            response_model_exclude_unset=True)
def list_sets(org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"data": evals.list_sets(foundry, org)}


@router.get("/sets/{set_id}", response_model=out.EvalSetOut,
            response_model_exclude_unset=True)
def get_set(set_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return evals.get_set(foundry, org, set_id)


@router.post("/sets/{set_id}/items", response_model=out.ItemsAdded,
             response_model_exclude_unset=True)
def add_items(set_id: int, org: Requester, foundry: FoundryDep,
              body: dict[str, Any] = JsonBody) -> dict[str, int]:
    return evals.add_items(foundry, org, set_id, body.get("items"))


@router.post("/sets/{set_id}/runs", status_code=201, response_model=out.RunOut,
             response_model_exclude_unset=True)
def start_run(set_id: int, org: Requester, foundry: FoundryDep,
              body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """A run of a model over the set: {model, name?, backend?, params?, family?,
    trained_on?}. Starting a run of an existing name returns it, to resume."""
    return evals.start_run(foundry, org, set_id, body)


@router.get("/runs/{run_id}", response_model=out.RunOut,
            response_model_exclude_unset=True)
def get_run(run_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return evals.get_run(foundry, org, run_id)


@router.get("/runs/{run_id}/pending", response_model=out.PendingOut,
            response_model_exclude_unset=True)
def pending(run_id: int, org: Requester, foundry: FoundryDep,
            after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
            ) -> dict[str, Any]:
    """The set's items this run has no response for yet."""
    return evals.pending(foundry, org, run_id, after=after, limit=limit)


@router.post("/runs/{run_id}/responses", response_model=out.ResponsesStored,
             response_model_exclude_unset=True)
async def record_responses(run_id: int, org: Requester, foundry: FoundryDep,
                           body: dict[str, Any] = JsonBody) -> dict[str, int]:
    """{responses: [{item_id, text, params, latency, prompt_tokens, completion_tokens,
    cost}]}; checkable responses are graded at once (code in a subprocess)."""
    return await run_in_threadpool(evals.record_responses, foundry, org, run_id, body)


@router.post("/sets/{set_id}/grading", status_code=201, response_model=out.GradingOut,
             response_model_exclude_unset=True)
def create_grading(set_id: int, org: Requester, foundry: FoundryDep,
                   body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """A project where people grade (``grade``) or compare (``compare``) runs' responses
    through the ordinary lease/submit path: {kind, runs, rubric?, min_labels?, name?}."""
    return evals.create_grading(foundry, org, set_id, body)


@router.get("/sets/{set_id}/judge-tasks", response_model=out.JudgeTasksOut,
            response_model_exclude_unset=True)
def judge_tasks(set_id: int, org: Requester, foundry: FoundryDep,
                judge: str = Query(..., min_length=1, max_length=200),
                after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
                ) -> dict[str, Any]:
    return evals.judge_tasks(foundry, org, set_id, judge, after=after, limit=limit)


@router.post("/sets/{set_id}/judgments", response_model=out.JudgmentsStored,
             response_model_exclude_unset=True)
def record_judgments(set_id: int, org: Requester, foundry: FoundryDep,
                     body: dict[str, Any] = JsonBody) -> dict[str, int]:
    """{judge, judgments: [{response_id, score in [0, 1], rationale?}]}."""
    return evals.record_judgments(foundry, org, set_id, body)


@router.get("/sets/{set_id}/leaderboard", response_model=out.LeaderboardOut,
            response_model_exclude_unset=True)
async def leaderboard(set_id: int, org: Requester, foundry: FoundryDep,
                      method: Literal["mean", "bradley_terry"] = "mean",
                      rounds: int = Query(1000, ge=10, le=10_000),
                      seed: int = Query(0, ge=0)) -> dict[str, Any]:
    """Runs ranked with bootstrap 95% intervals (ties where they overlap), per slice, with
    the judgments behind each figure and each judge's agreement with people."""
    return await run_in_threadpool(evals.leaderboard, foundry, org, set_id, method=method,
                                   rounds=rounds, seed=seed)


@router.get("/sets/{set_id}/data-value", response_model=out.DataValueOut,
            response_model_exclude_unset=True)
async def data_value(set_id: int, org: Requester, foundry: FoundryDep,
                     rounds: int = Query(1000, ge=10, le=10_000),
                     seed: int = Query(0, ge=0)) -> dict[str, Any]:
    """Which data bought the most capability per hour: per run naming its training data
    (``trained_on``), the gain per slice over the previous run of its family, per human
    hour and per unit of pay of the data new since then."""
    return await run_in_threadpool(evals.data_value, foundry, org, set_id, rounds=rounds,
                                   seed=seed)


@router.get("/runs/{run_id}/gaps", response_model=out.GapReportOut,
            response_model_exclude_unset=True)
async def gap_report(run_id: int, org: Requester, foundry: FoundryDep,
                     low: float = Query(0.6, ge=0.0, le=1.0)) -> dict[str, Any]:
    return await run_in_threadpool(evals.gap_report, foundry, org, run_id, low=low)


@router.post("/runs/{run_id}/gaps/project", status_code=201, response_model=out.OrderOut,
             response_model_exclude_unset=True)
def order_data(run_id: int, org: Requester, foundry: FoundryDep,
               body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    """Turn a gap into a data project: {slice, items?, name?}."""
    return evals.order_data(foundry, org, run_id, body)
