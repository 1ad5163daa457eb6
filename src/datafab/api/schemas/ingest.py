"""The ingest routes' answers (``api/ingest.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class IngestError(BaseModel):
    file: str
    line: int | None
    message: str


class IngestReport(BaseModel):
    run_id: int
    project_id: int
    files: list[dict[str, Any]] = Field(description="Per file: bytes, chunks, created, "
                                        "unchanged, dropped (and its error, if any).")
    errors: list[IngestError] = Field(description="The files left out, with their line.")
    redaction: dict[str, Any] = Field(description="How personal data was replaced.")
    pii: dict[str, int] = Field(description="Replacements made, per type.")
    duplicates: dict[str, Any] = Field(description="Exact and near duplicates dropped.")
    workers: int
    bytes: int
    chunks: int
    created: int
    unchanged: int
    dropped: int
    seconds: float
    warnings: list[str]


class IngestRun(BaseModel):
    id: int
    created_at: float
    report: dict[str, Any] = Field(description="The run's report, as ingesting answered it.")


class IngestRuns(BaseModel):
    data: list[IngestRun]


class KeepOriginals(BaseModel):
    keep: bool


class Original(BaseModel):
    item_id: int
    text: str = Field(description="The text before redaction.")


class Uploaded(BaseModel):
    created: int
    unchanged: int


class ReviewReport(BaseModel):
    reviewed: int
    types: dict[str, dict[str, Any]] = Field(
        description="Per type: replacements made, wrong, missed, miss and wrong rates.")
