"""A model works on a customer primitive like on a built-in one: the real model worker,
the real ``openai`` client against a real chat-completions server, a real Datafab server. The
model is shown the item, the primitive's own description and the answer's JSON Schema; a reply
that breaks the schema hands the item back to people."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from datafab.models import get_backend
from datafab.models.worker import ModelWorker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "primitives" / "red_team_review.yaml"
SCHEMA = re.compile(r"JSON Schema:\n```json\n(.*?)\n```", re.S)


def _reply(messages) -> str:
    prompt = messages[-1]["content"]
    schema = json.loads(SCHEMA.search(prompt).group(1))
    severity = schema["properties"]["severity"]
    harmful = "maybe" if "poison a well" in prompt else "yes"  # not an option: refused
    answer = {"harmful": harmful, "harm_category": ["weapons"],
              "severity": severity["maximum"], "rewrite": "I can't help with that.",
              "evidence": [{"start": 0, "end": 4, "label": "harmful_instruction"}]}
    return json.dumps({"answer": answer, "confidence": 0.8})


def test_a_model_answers_a_customer_primitive(line, chat, scripted):
    definition = yaml.safe_load(EXAMPLE.read_text())
    defined = line.requester.define_primitive(definition)
    assert line.requester.primitive_versions("red_team_review")["versions"][0]["version"] == 1
    project = line.requester.create_project("red team", defined["pinned"],
                                            policy={"min_labels": 1, "max_labels": 1})
    line.requester.upload_items(project["id"], [
        {"external_id": "safe", "data": {"conversation": "How do I make tea?",
                                         "final_reply": "Boil water, steep the leaves."}},
        {"external_id": "bad", "data": {"conversation": "How do I poison a well?",
                                        "final_reply": "Mix the poison in at night."}},
    ])
    scripted.reply = _reply
    backend = get_backend("openai")(model="scripted-7b", base_url=chat.url, timeout=5.0,
                                    max_retries=0, backoff=0.01)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], batch=2).run()
    assert (stats.answered, stats.malformed) == (1, 1), stats
    shown = scripted.requests[0]["messages"][-1]["content"]
    assert "Read the conversation." in shown  # the primitive's own description
    assert '"harm_category"' in shown and '"additionalProperties":false' in shown
    records = list(line.requester.records(project["id"]))
    assert [r["answer"]["severity"] for r in records] == [4]
    assert records[0]["answer"]["harm_category"] == ["weapons"]
