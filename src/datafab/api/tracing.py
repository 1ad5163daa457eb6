"""Leak tracing over HTTP: ``POST /v1/projects/{id}/trace`` with a found text."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from datafab.api.auth import FoundryDep, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.tracing.leaks import MAX_BYTES, LeakFormat
from datafab.services.tracing.sources import requester_trace

router = APIRouter(prefix="/v1/projects", tags=["tracing"], route_class=CheckedRoute)


class TraceIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_BYTES,
                         description="The text found outside: plain text, JSONL or CSV.")
    format: Literal["text", "jsonl", "csv"] | None = Field(
        None, description="text, jsonl or csv (default: JSONL when every line is a JSON "
        "value, else text).")


class SuspectOut(BaseModel):
    contributor: str = Field(description="The contributor's pseudonym in this project.")
    agreeing: int = Field(description="Marked positions of the leak their copy agrees with.")
    watermark_p: float = Field(description="Chance that any innocent contributor agrees as "
                               "well (corrected for every contributor tried).")
    saw: int = Field(description="How many of the leaked items they were handed.")
    saw_all: bool
    named: bool = Field(description="Whether the watermark evidence reaches the bar.")


class TraceOut(BaseModel):
    project_id: int
    items: list[int] = Field(description="The project's items the leak holds.")
    positions: int = Field(description="Marked positions read from the leak.")
    contributors: int = Field(description="How many contributors were tried.")
    access_share: float | None = Field(description="Share of them handed every leaked item.")
    suspects: list[SuspectOut] = Field(description="Most likely source first.")
    source: str | None = Field(description="The source's pseudonym, or null when no one "
                               "reaches the bar.")


@router.post("/{project_id}/trace", response_model=TraceOut)
def trace(project_id: int, body: TraceIn, org: Requester, foundry: FoundryDep) -> TraceOut:
    """Rank the project's contributors by the evidence that the text came from them."""
    fmt = LeakFormat(body.format) if body.format else None
    found, pseudonym = requester_trace(foundry, org, project_id, body.content, fmt)
    return TraceOut(
        project_id=found.project_id, items=found.items, positions=found.positions,
        contributors=found.contributors, access_share=found.access_share,
        suspects=[SuspectOut(contributor=pseudonym(s.contributor_id), agreeing=s.agreeing,
                             watermark_p=s.watermark_p, saw=s.saw, saw_all=s.saw_all,
                             named=s.named) for s in found.suspects],
        source=pseudonym(found.source) if found.source is not None else None)
