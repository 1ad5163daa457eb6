"""What the evaluation use cases take: the input shapes, their limits, and the lookups
every one of them starts with (an eval set or run of the caller's organization)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import InvalidInput, NotFound
from datafab.names import CleanName
from datafab.store import evals as store
from datafab.store.handles import Connection, Row

MAX_ITEMS = 10_000
MAX_PAGE = 1000
SLICE_TAGS = ("domain", "skill", "difficulty", "language")


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
    family: str | None = Field(None, min_length=1, max_length=200,
                               description="The model family the run's model is a version "
                               "of (default: the model's name); the dataset-value table "
                               "compares a run with the family's previous run.")
    trained_on: list[int] = Field(default_factory=list, max_length=100,
                                  description="The data projects (ids) the model was "
                                  "trained on.")


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





def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}", field="limit")


def load_set(conn: Connection, organization: int, set_id: int) -> Row[Any]:
    row = store.load_set(conn, organization, set_id)
    if row is None:
        raise NotFound(f"eval set {set_id} not found", field="eval_set_id")
    return row


def load_run(conn: Connection, organization: int, run_id: int) -> Row[Any]:
    row = store.load_run(conn, organization, run_id)
    if row is None:
        raise NotFound(f"eval run {run_id} not found", field="run_id")
    return row
