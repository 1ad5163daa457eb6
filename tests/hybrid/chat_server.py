"""A real HTTP server speaking the OpenAI chat-completions protocol, with a scripted model.

The model classifies items whose truth the test gave it (by item text), is right with
probability equal to the confidence it states (drawn per item from ``confidences``), and can
be told to misbehave: reply with prose instead of JSON, answer 503 for the first few calls,
be slow, or go down altogether. Every request body is kept, so a test can check what the
model was shown.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.live_servers import Running, start


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "little")


@dataclass
class ScriptedModel:
    truth: dict[str, str] = field(default_factory=dict)  # item text -> right label
    labels: list[str] = field(default_factory=lambda: ["yes", "no"])
    confidence: Callable[[np.random.Generator], float] = lambda rng: 0.5 + 0.5 * rng.beta(7, 3)
    mode: str = "ok"  # ok | prose | bad_label | slow
    fail_first: int = 0  # answer 503 to this many calls first
    delay: float = 0.0
    reply: Callable[[list[dict[str, Any]]], str] | None = None  # a custom script
    requests: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append(body)
        self.calls += 1
        if self.calls <= self.fail_first:
            return 503, {"error": {"message": "overloaded", "type": "server_error"}}
        if self.mode == "slow" or self.delay:
            time.sleep(self.delay or 5.0)
        n = int(body.get("n") or 1)
        texts = [self._text(body["messages"], i) for i in range(n)]
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        return 200, {
            "id": f"chatcmpl-{self.calls}", "object": "chat.completion", "created": 0,
            "model": body.get("model", "scripted"),
            "choices": [{"index": i, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": t}}
                        for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": prompt_tokens,
                      "completion_tokens": sum(len(t) for t in texts) // 4,
                      "total_tokens": prompt_tokens + sum(len(t) for t in texts) // 4},
        }

    def _text(self, messages: list[dict[str, Any]], i: int) -> str:
        if self.reply is not None:
            return self.reply(messages)
        if self.mode == "prose":
            return "I think this one is probably a yes, but I am not sure."
        text = item_text(messages)
        label, confidence = self.answer(text)
        if self.mode == "bad_label":
            label = "maybe"
        return "```json\n" + json.dumps({"answer": {"label": label},
                                         "confidence": round(confidence, 4)}) + "\n```"

    def answer(self, text: str) -> tuple[str, float]:
        """The scripted answer: right with probability equal to the stated confidence."""
        rng = np.random.default_rng(_seed(text))
        confidence = float(self.confidence(rng))
        right = self.truth.get(text, self.labels[0])
        if rng.random() < confidence:
            return right, confidence
        return next(x for x in self.labels if x != right), confidence


_ITEM = re.compile(r"Item:\n```json\n(.*?)\n```", re.S)


def item_text(messages: list[dict[str, Any]]) -> str:
    """The item's text in a Datafab prompt."""
    match = _ITEM.search(messages[-1]["content"])
    return json.loads(match.group(1)).get("text", "") if match else ""


def app_for(model: ScriptedModel) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        status, payload = await _in_thread(model.respond, body)
        return JSONResponse(payload, status_code=status)

    return app


async def _in_thread(fn, *args):
    import anyio

    return await anyio.to_thread.run_sync(fn, *args)


@dataclass
class ChatServer:
    url: str
    model: ScriptedModel
    running: Running

    def stop(self) -> None:
        self.running.stop()


@contextmanager
def serve(model: ScriptedModel) -> Iterator[ChatServer]:
    running = start(app_for(model))
    chat = ChatServer(running.url + "/v1", model, running)
    try:
        yield chat
    finally:
        chat.stop()
