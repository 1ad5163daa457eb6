"""The evaluation routes' answers (``api/evals.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RunSummary(BaseModel):
    id: int
    name: str
    model: str
    responses: int = Field(description="Responses stored so far.")


class EvalSetOut(BaseModel):
    id: int
    name: str
    description: str
    items: int = Field(description="Eval items in the set.")
    kinds: dict[str, int] = Field(description="Items per reference kind.")
    slices: dict[str, int] = Field(description="Items per slice (e.g. domain=math).")
    runs: list[RunSummary]
    created_at: float


class EvalSetList(BaseModel):
    data: list[EvalSetOut]


class ItemsAdded(BaseModel):
    created: int
    unchanged: int = Field(description="Items sent again with the same content.")


class RunOut(BaseModel):
    id: int
    eval_set_id: int
    name: str
    model: str
    backend: str
    params: dict[str, Any]
    responses: int
    items: int = Field(description="Items in the run's eval set.")
    created_at: float
    family: str = Field(description="The model family (default: the model's name).")
    trained_on: list[int] = Field(description="The data projects the model was trained on.")


class PendingItem(BaseModel):
    item_id: int
    external_id: str
    prompt: str | list[dict[str, Any]]


class PendingOut(BaseModel):
    run: int
    remaining: int = Field(description="Items of the set with no response yet.")
    items: list[PendingItem]


class ResponsesStored(BaseModel):
    stored: int
    unchanged: int = Field(description="Items that had a response already (kept).")
    graded: int = Field(description="Responses graded automatically at once.")


class GradingOut(BaseModel):
    project_id: int
    name: str
    primitive: str
    items: int
    skills: list[str]


class JudgeTask(BaseModel):
    response_id: int
    prompt: str | list[dict[str, Any]]
    response: str
    reference: dict[str, Any]


class JudgeTasksOut(BaseModel):
    judge: str
    tasks: list[JudgeTask]


class JudgmentsStored(BaseModel):
    stored: int
    unchanged: int


class BoardRow(BaseModel):
    run_id: int
    name: str
    model: str
    score: float | None
    ci: list[float | None] = Field(description="The 95% bootstrap interval.")
    n: int
    rank: int = Field(description="Tied with the runs whose intervals overlap.")
    judgments: dict[str, int] = Field(description="Judgments behind the figure, by source.")
    items: int | None = Field(None, description="Overall rows only: the set's items.")
    responses: int | None = None
    graded: int | None = None
    ungraded: int | None = None
    unanswered: int | None = None


class LeaderboardOut(BaseModel):
    eval_set_id: int
    name: str
    method: str
    level: float
    rounds: int
    models: list[BoardRow]
    notes: list[str]
    slices: dict[str, list[BoardRow]]
    judge_agreement: dict[str, dict[str, Any]]


class EarlierFigure(BaseModel):
    run_id: int
    name: str
    score: float | None
    ci: list[float | None]
    n: int


class SliceOut(BaseModel):
    slice: str
    score: float
    ci: list[float]
    n: int
    earlier: EarlierFigure | None = Field(
        None, description="The latest earlier run of the same model on this slice, if any.")
    change: float | None = None
    improved: bool | None = None
    closed: bool | None = None


class GapExample(BaseModel):
    item: str
    prompt: str | list[dict[str, Any]]
    response: str
    reference: dict[str, Any]
    score: float


class EarlierScore(BaseModel):
    run_id: int
    name: str
    score: float | None


class GapOut(BaseModel):
    slice: str
    score: float
    ci: list[float]
    n: int
    best_model: str
    best_score: float
    shortfall: float
    reasons: list[str]
    examples: list[GapExample]
    failures: int
    earlier_runs: list[EarlierScore]
    skills: list[str]


class GapReportOut(BaseModel):
    run_id: int
    name: str
    model: str
    eval_set_id: int
    low: float
    slices: list[SliceOut]
    gaps: list[GapOut]
    improved: list[SliceOut]


class OrderOut(BaseModel):
    project_id: int
    name: str
    primitive: str
    required_skills: list[str]
    items: int
    slice: str
    guidelines: str


class PreviousRun(BaseModel):
    run_id: int
    name: str
    score: float | None


class DataValueRow(BaseModel):
    run_id: int
    name: str
    model: str
    family: str
    previous: PreviousRun = Field(description="The family's previous run on this slice.")
    slice: str = Field(description="A slice (domain=math), or 'all' for the whole set.")
    score: float | None
    gain: float = Field(description="This run's score minus the previous run's.")
    improved: bool = Field(description="This run's interval lies wholly above the other's.")
    data: list[int] = Field(description="The data projects new since the previous run.")
    hours: float = Field(description="People's hours spent on that data.")
    pay_minor: dict[str, int] = Field(description="Pay for that data, per currency.")
    model_cost: float
    gain_per_hour: float | None
    gain_per_pay: float | None = Field(
        description="Gain per unit of the pay currency (one currency only).")


class DataCost(BaseModel):
    project_id: int
    name: str
    labels: int
    hours: float
    pay_minor: dict[str, int]
    model_cost: float


class DataValueOut(BaseModel):
    eval_set_id: int
    name: str
    rows: list[DataValueRow]
    data: list[DataCost]
