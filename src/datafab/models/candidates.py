"""Candidate responses: sample from one or more models for each bare prompt and hand them to
Datafab as preference items (``compare`` pairs or ``rank`` lists), with the sampling
parameters and the cost of every call recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab.models import get_backend
from datafab.models.base import ModelError
from datafab.sdk.client import Client

UPLOAD_BATCH = 200


@dataclass(frozen=True)
class Sampling:
    n: int = 1
    temperature: float = 0.8
    top_p: float | None = None
    max_tokens: int = 1024
    seed: int | None = None


def prompt_messages(row: dict[str, Any]) -> list[dict[str, str]]:
    prompt = row["prompt"]
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
    if row.get("system"):
        messages = [{"role": "system", "content": row["system"]}, *messages]
    return messages


def sample_candidates(
    client: Client, project_id: int, prompts: list[dict[str, Any]], models: list[str],
    sampling: Sampling, *, base_url: str, api_key: str = "none", backend: str = "openai",
    **options: Any,
) -> dict[str, int]:
    """Sample ``sampling.n`` responses per model per prompt; upload them. A prompt for which a
    model fails is skipped (counted), never half-uploaded."""
    engines = [get_backend(backend)(model=m, base_url=base_url, api_key=api_key, **options)
               for m in models]
    totals = {"created": 0, "unchanged": 0, "skipped": 0}
    batch: list[dict[str, Any]] = []
    try:
        for row in prompts:
            entry = _sample(engines, row, sampling)
            if entry is None:
                totals["skipped"] += 1
                continue
            batch.append(entry)
            if len(batch) >= UPLOAD_BATCH:
                _upload(client, project_id, batch, totals)
                batch = []
        if batch:
            _upload(client, project_id, batch, totals)
    finally:
        for engine in engines:
            engine.close()
    return totals


def _sample(engines, row: dict[str, Any], sampling: Sampling) -> dict[str, Any] | None:
    responses = []
    for engine in engines:
        try:
            completion = engine.complete(
                prompt_messages(row), n=sampling.n, temperature=sampling.temperature,
                max_tokens=sampling.max_tokens, seed=sampling.seed, top_p=sampling.top_p,
            )
        except ModelError:
            return None
        per_text = len(completion.texts) or 1
        for i, text in enumerate(completion.texts):
            usage = completion.usage.to_dict() if i == 0 else None  # booked once per call
            responses.append({"model": engine.config.model, "content": text,
                              "params": {**completion.params, "sample": i, "of": per_text},
                              **({"usage": usage} if usage else {})})
    if len(responses) < 2:
        return None
    out = {"external_id": str(row["external_id"]), "prompt": row["prompt"],
           "responses": responses[:9]}
    if row.get("system"):
        out["system"] = row["system"]
    return out


def _upload(client: Client, project_id: int, batch: list[dict[str, Any]],
            totals: dict[str, int]) -> None:
    result = client.add_candidates(project_id, batch)
    totals["created"] += result["created"]
    totals["unchanged"] += result["unchanged"]
