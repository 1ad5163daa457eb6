"""What a model is shown of ingested data: the redacted text, through the real worker and a
real chat-completions server, unless the project says not to redact."""

from __future__ import annotations

import json

from datafab.models.worker import ModelWorker
from ingest.samples import PII_TEXT, PII_VALUES

from .test_model_worker import _backend


def _ingest(line, tmp_path, name, redact):
    project = line.requester.create_project(
        name, "classify", settings={"labels": ["yes", "no"]},
        policy={"min_labels": 1, "max_labels": 1, "gold_rate": 0.0,
                "models": {"first": True}})
    line.requester.ingest_policy(project["id"], redact=redact)
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": f"Ticket {i}: {PII_TEXT}"}) + "\n"
                            for i in range(3)))
    report = line.requester.ingest(project["id"], [path], near_duplicates=False)
    assert report["created"] == 3
    return project


def test_a_model_never_sees_redacted_text(line, chat, scripted, tmp_path):
    redacted = _ingest(line, tmp_path, "redacted", redact=True)
    backend = _backend(chat)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, redacted["id"], batch=3).run()
    assert stats.answered == 3
    shown = json.dumps(scripted.requests)
    assert [v for v in PII_VALUES if v in shown] == []
    assert "[CREDIT_CARD]" in shown

    scripted.requests.clear()
    plain = _ingest(line, tmp_path, "plain", redact=False)  # the project says otherwise
    with line.model_client() as client:
        ModelWorker(client, backend, plain["id"], batch=3).run()
    backend.close()
    assert all(v in json.dumps(scripted.requests) for v in PII_VALUES)
