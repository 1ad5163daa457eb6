"""Embeddings from an OpenAI-compatible endpoint (``POST {url}/embeddings``), as the audit's
and the selection's features instead of TF-IDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import numpy as np

from datafab.errors import InvalidInput

BATCH = 64


@dataclass(frozen=True)
class EmbeddingsEndpoint:
    url: str  # the API root, e.g. http://127.0.0.1:8000/v1
    model: str
    api_key: str | None = None  # sent as a bearer token, never stored
    timeout: float = 30.0


def embed(endpoint: EmbeddingsEndpoint, texts: list[str],
          on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """Unit-length embedding rows of ``texts``; an endpoint that does not answer, or answers
    something else than embeddings, raises ``InvalidInput`` naming ``embeddings_url``."""
    headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
    rows: list[list[float]] = []
    url = endpoint.url.rstrip("/") + "/embeddings"
    try:
        with httpx.Client(timeout=endpoint.timeout, headers=headers) as client:
            for start in range(0, len(texts), BATCH):
                chunk = texts[start:start + BATCH]
                response = client.post(url, json={"model": endpoint.model, "input": chunk})
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda d: d["index"])
                if len(data) != len(chunk):
                    raise ValueError("one embedding per input expected")
                rows += [d["embedding"] for d in data]
                if on_batch is not None:
                    on_batch(len(chunk))
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"embeddings_url: the endpoint {endpoint.url} did not give "
                           f"embeddings ({type(exc).__name__}: {exc})",
                           field="embeddings_url") from exc
    matrix = np.asarray(rows, dtype=np.float64)
    if matrix.ndim != 2:
        raise InvalidInput("embeddings_url: embeddings of different lengths",
                           field="embeddings_url")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
