"""The project routes' answers (``api/projects.py``): projects, their progress, quality and
effort, items, records and who was shown them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProjectOut(BaseModel):
    id: int
    name: str
    primitive: str
    settings: dict[str, Any] = Field(description="As the project's primitive takes them.")
    policy: dict[str, Any] = Field(description="The quality policy (docs/quality.md).")
    required_skills: list[Any]
    guideline_version: int
    status: str
    created_at: float
    updated_at: float


class ProjectPage(BaseModel):
    data: list[ProjectOut]
    next_cursor: str | None


class Erased(BaseModel):
    id: int
    erased: dict[str, int] = Field(description="Rows erased per kind (kinds with none left out).")


class Progress(BaseModel):
    """Items by status: the fixed counts below, plus one count per other status the project's
    items are in (``gold``, ``model`` while waiting for a model, ``staged:…``)."""

    model_config = ConfigDict(extra="allow")

    items: int
    open: int
    done: int
    labels: int
    live_leases: int
    gold: int | None = Field(None, description="Gold items (present when there are any).")
    model: int | None = Field(None, description="Items waiting for a model's answer.")


class GuidelinesOut(BaseModel):
    version: int
    text: str


class Agreement(BaseModel):
    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    cohen_kappa: float | None
    distance: str | None = Field(description="nominal, or masi for label sets.")


class ContributorQuality(BaseModel):
    contributor: str = Field(description="The contributor's pseudonym in this project.")
    labels: int
    gold_seen: int
    gold_correct: int
    gold_accuracy: float | None
    gold_accuracy_ci: list[float] | None
    agreement_with_consensus: float | None
    skill: float | None


class QualitySummary(BaseModel):
    method: str
    fitted_at: float | None
    labels: int
    records: int
    finished_records: int
    labels_per_record: float | None
    estimated_accuracy: float | None
    agreement: Agreement
    contributors: list[ContributorQuality]


class PeopleEffort(BaseModel):
    labels: int
    gold_labels: int
    seconds: float
    labels_per_record: float | None
    seconds_per_record: float | None


class EffortReport(BaseModel):
    records: int
    auto_accepted: int
    people: PeopleEffort
    model: dict[str, Any] = Field(description="Model answers, calls, tokens, cost, seconds, "
                                              "calls by outcome and cost per record.")
    suggestions: dict[str, Any]
    models: list[dict[str, Any]]
    series: list[dict[str, Any]]


class Uploaded(BaseModel):
    created: int
    unchanged: int = Field(description="Items sent again with the same content.")


class ItemOut(BaseModel):
    id: int
    project_id: int
    external_id: str
    data: dict[str, Any] = Field(description="The item's data, as its primitive takes it.")
    priority: int
    status: str
    n_labels: int
    gold: bool
    meta: Any
    created_at: float


class ItemPage(BaseModel):
    data: list[ItemOut]
    next_cursor: str | None


class RecordOut(BaseModel):
    id: int
    item_id: int
    external_id: str
    answer: Any = Field(description="The aggregated answer, in the primitive's answer shape.")
    confidence: float | None
    method: str | None
    n_submissions: int
    final: bool = Field(description="The item is finished.")
    details: Any
    created_at: float
    updated_at: float


class RecordPage(BaseModel):
    data: list[RecordOut]
    next_cursor: str | None


class AccessEntry(BaseModel):
    id: int
    at: float
    event: str
    item_id: int | None
    contributor: str | None = Field(description="A contributor's pseudonym in this project.")
    requester: str | None
    address: str | None


class AccessPage(BaseModel):
    data: list[AccessEntry]
    next_cursor: str | None
