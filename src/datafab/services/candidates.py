"""Preference items from bare prompts: models' sampled responses become ``compare`` pairs or
``rank`` lists.

The model side (``datafab candidates``, ``datafab.models.candidates``) samples the responses
and posts them here with the sampling parameters and what each call cost; this service turns
them into the project's items — validated whole, idempotent on ``external_id`` like any
upload — keeps the parameters in each item's ``meta.sampling``, and books the cost.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datafab.errors import InvalidInput, from_pydantic
from datafab.foundry import Foundry
from datafab.services.hybrid import UsageIn
from datafab.services.items import UploadResult, upload_items
from datafab.services.projects import get_project
from datafab.store import model_ledger

MAX_PROMPTS = 1_000


class Candidate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    model: str = Field(min_length=1, max_length=200)
    content: str = Field(max_length=200_000)
    params: dict[str, Any] = Field(default_factory=dict, description="Sampling parameters.")
    usage: UsageIn | None = None


class PromptCandidates(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    external_id: str = Field(min_length=1, max_length=150)
    prompt: str | list[dict[str, Any]]
    system: str | None = Field(None, max_length=200_000)
    responses: list[Candidate] = Field(min_length=2, max_length=9)


def add_candidates(foundry: Foundry, organization: int, project_id: int,
                   raw: Any) -> UploadResult:
    """Turn sampled responses into the project's compare or rank items (all or none)."""
    project = get_project(foundry, organization, project_id)
    if project.primitive_name not in ("compare", "rank"):
        raise InvalidInput(f"project: candidates make compare or rank items, not "
                           f"{project.primitive_name} items", field="project_id")
    entries = _parse(raw)
    build = _pairs if project.primitive_name == "compare" else _ranked
    items = [item for entry in entries for item in build(entry)]
    result = upload_items(foundry, organization, project.id, items)
    usage = [{"project": project.id, "contributor": None, "item": None, "outcome": "candidate",
              "now": foundry.now(), **r.usage.model_dump()}
             for e in entries for r in e.responses if r.usage is not None]
    if result.created and usage:
        with foundry.db.write() as conn:
            model_ledger.record_usage(conn, usage)
    return result


def _parse(raw: Any) -> list[PromptCandidates]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PROMPTS:
        raise InvalidInput(f"candidates: expected a list of 1 to {MAX_PROMPTS} prompts",
                           field="candidates")
    out = []
    for i, entry in enumerate(raw):
        try:
            out.append(PromptCandidates.model_validate(entry))
        except ValidationError as exc:
            raise from_pydantic(exc, f"candidates.{i}") from exc
    return out


def _prompt(entry: PromptCandidates) -> list[dict[str, Any]]:
    messages = ([{"role": "user", "content": entry.prompt}] if isinstance(entry.prompt, str)
                else list(entry.prompt))
    if entry.system:
        messages = [{"role": "system", "content": entry.system}, *messages]
    return messages


def _pairs(entry: PromptCandidates) -> list[dict[str, Any]]:
    """Every pair of responses to the prompt, one compare item each."""
    responses = entry.responses
    single = len(responses) == 2
    items = []
    for i, j in combinations(range(len(responses)), 2):
        a, b = responses[i], responses[j]
        items.append({
            "external_id": entry.external_id if single else f"{entry.external_id}/{i}-{j}",
            "data": {
                "prompt": _prompt(entry),
                "a": {"content": a.content, "model": a.model},
                "b": {"content": b.content, "model": b.model},
                "meta": {"source": "candidates", "sampling": [a.params, b.params]},
            },
        })
    return items


def _ranked(entry: PromptCandidates) -> list[dict[str, Any]]:
    return [{
        "external_id": entry.external_id,
        "data": {
            "prompt": _prompt(entry),
            "responses": [{"id": f"r{i}", "content": r.content, "model": r.model}
                          for i, r in enumerate(entry.responses)],
            "meta": {"source": "candidates", "sampling": [r.params for r in entry.responses]},
        },
    }]
