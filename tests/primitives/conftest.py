"""Helpers for the primitive tests: records as exports see them, and a check that export rows
load as Hugging Face datasets from JSONL and from Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datafab.primitives.base import Primitive, RecordView, Vote


def record_view(item: dict[str, Any], answer: dict[str, Any] | None, *, confidence: float = 1.0,
                method: str = "test", submissions: tuple = (), n: int = 1,
                external_id: str = "x1") -> RecordView:
    return RecordView(
        record_id=1, item_id=1, external_id=external_id, item=item, answer=answer,
        confidence=confidence, method=method, n_submissions=n, guideline_version=1,
        contributors=tuple(f"c_{i}" for i in range(n)), submissions=submissions,
    )


def settle(primitive: Primitive, settings, item: dict, answers: list[dict],
           weights: list[float] | None = None, **kwargs) -> RecordView:
    """Parse ``answers``, aggregate them and return the record view exports would see."""
    weights = weights or [1.0] * len(answers)
    votes = [
        Vote(contributor=i, answer=primitive.parse_answer(settings, item, a), weight=w)
        for i, (a, w) in enumerate(zip(answers, weights, strict=True))
    ]
    outcome = primitive.aggregate(settings, item, votes)
    return record_view(item, outcome.answer, confidence=outcome.confidence,
                       method=outcome.method, n=len(votes), **kwargs)


@pytest.fixture
def load_both(tmp_path: Path, monkeypatch):
    """Write rows to JSONL and Parquet, load each with ``datasets`` and return both datasets."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

    def load(rows: list[dict[str, Any]], name: str = "rows"):
        import datasets
        import pyarrow as pa
        import pyarrow.parquet as pq

        datasets.disable_progress_bars()
        assert rows, "no rows to load"
        jsonl = tmp_path / f"{name}.jsonl"
        jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        parquet = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), parquet)
        cache = str(tmp_path / "hf-cache")
        from_json = datasets.load_dataset("json", data_files=str(jsonl), split="train",
                                          cache_dir=cache)
        from_parquet = datasets.load_dataset("parquet", data_files=str(parquet),
                                             split="train", cache_dir=cache)
        assert len(from_json) == len(rows) == len(from_parquet)
        return from_json, from_parquet

    return load
