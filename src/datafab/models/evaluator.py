"""Running models over eval sets, and a model as a judge — clients of the REST API, like the
model worker.

``EvalRunner`` asks Datafab for the run's items without a response, sends each prompt to the
model as it stands (no examples, no guidelines), and posts every response with its sampling
parameters, latency, tokens and cost. Items are fetched in id order past a cursor, so one
pass never retries an item that failed in it; running again (same run name) resumes: only
items without a response are asked again.

``Judge`` grades the responses a judge model has not graded: it sees the prompt, the
response and the rubric (or the reference), and answers ``{"score": 0..1, "rationale"}``.
Its agreement with people is measured on the responses both graded (the leaderboard shows
it beside the scores).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from datafab.models.base import ModelError, Tally
from datafab.sdk.client import Client

JUDGE_SYSTEM = (
    "You grade a model's response to a prompt. Read the rubric or the reference answer, then "
    "reply with JSON only: {\"score\": a number from 0 (fails) to 1 (fully meets the "
    "rubric), \"rationale\": one or two sentences}."
)
_JSON = re.compile(r"\{.*\}", re.S)


@dataclass
class RunStats(Tally):
    asked: int = 0
    answered: int = 0
    failed: int = 0
    graded: int = 0
    cost: float = 0.0
    errors: list[str] = field(default_factory=list)


def _pool_map(fn, jobs, concurrency: int):
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="datafab-eval") as pool:
        return list(pool.map(fn, jobs))


class EvalRunner:
    def __init__(self, client: Client, backend, run_id: int, *, batch: int = 16,
                 concurrency: int = 4, temperature: float | None = None,
                 max_tokens: int | None = None, seed: int | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        if not hasattr(backend, "complete"):
            raise ModelError(f"backend {getattr(backend, 'name', backend)!r} cannot complete "
                             "free prompts; eval runs need a chat backend (openai)")
        self.client, self.backend, self.run_id = client, backend, run_id
        self.batch, self.concurrency = batch, concurrency
        self.sampling = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
        self.on_progress = on_progress
        self.stats = RunStats()

    def run(self) -> RunStats:
        after, total = 0, None
        while True:
            page = self.client.eval_pending(self.run_id, after=after, limit=self.batch)
            if total is None:
                total = page["remaining"]
            if not page["items"]:
                return self.stats
            after = page["items"][-1]["item_id"]
            answers = _pool_map(self._ask, page["items"], self.concurrency)
            responses = [a for a in answers if a is not None]
            if responses:
                receipt = self.client.add_eval_responses(self.run_id, responses)
                self.stats.graded += receipt["graded"]
            if self.on_progress is not None:
                self.on_progress(self.stats.asked, total)

    def _ask(self, item: dict[str, Any]) -> dict[str, Any] | None:
        self.stats.asked += 1
        try:
            done = self.backend.complete(item["prompt"], **self.sampling)
        except ModelError as exc:
            self.stats.failed += 1
            self.stats.errors.append(f"{item['external_id']}: {exc}")
            return None
        self.stats.answered += 1
        self.stats.cost += done.usage.cost
        return {"item_id": item["item_id"], "text": done.texts[0] if done.texts else "",
                "params": done.params, "latency": round(done.usage.seconds, 6),
                "prompt_tokens": done.usage.prompt_tokens,
                "completion_tokens": done.usage.completion_tokens,
                "cost": done.usage.cost}


def judge_messages(task: dict[str, Any]) -> list[dict[str, str]]:
    reference = task["reference"]
    if reference.get("rubric"):
        criteria = "\n".join(f"- {c.get('id')}: {c.get('description', '')}"
                             for c in reference["rubric"])
        standard = f"Rubric:\n{criteria}"
    else:
        standard = "Judge helpfulness, correctness and honesty."
    prompt = "\n\n".join(m.get("content", "") for m in task["prompt"])
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Prompt:\n{prompt}\n\nResponse:\n{task['response']}"
                                        f"\n\n{standard}"}]


def parse_judgment(text: str) -> dict[str, Any]:
    match = _JSON.search(text)
    if match is None:
        raise ModelError("the judge's reply holds no JSON object")
    try:
        reply = json.loads(match.group(0))
        score = float(reply["score"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the judge's reply has no numeric score: {exc}") from exc
    if not 0.0 <= score <= 1.0:
        raise ModelError(f"the judge's score {score} is not between 0 and 1")
    rationale = reply.get("rationale")
    return {"score": score, "rationale": str(rationale)[:20_000] if rationale else None}


class Judge:
    def __init__(self, client: Client, backend, set_id: int, name: str, *,
                 batch: int = 16, concurrency: int = 4,
                 on_progress: Callable[[int], None] | None = None) -> None:
        self.client, self.backend, self.set_id, self.name = client, backend, set_id, name
        self.batch, self.concurrency, self.on_progress = batch, concurrency, on_progress
        self.stats = RunStats()

    def run(self) -> RunStats:
        after = 0
        while True:
            page = self.client.eval_judge_tasks(self.set_id, self.name, after=after,
                                                limit=self.batch)
            if not page["tasks"]:
                return self.stats
            after = page["tasks"][-1]["response_id"]
            judged = [j for j in _pool_map(self._judge, page["tasks"], self.concurrency) if j]
            if judged:
                self.client.add_eval_judgments(self.set_id, self.name, judged)
                self.stats.graded += len(judged)
            if self.on_progress is not None:
                self.on_progress(self.stats.asked)

    def _judge(self, task: dict[str, Any]) -> dict[str, Any] | None:
        self.stats.asked += 1
        try:
            done = self.backend.complete(judge_messages(task), temperature=0.0)
            self.stats.cost += done.usage.cost
            verdict = parse_judgment(done.texts[0] if done.texts else "")
        except ModelError as exc:
            self.stats.failed += 1
            self.stats.errors.append(f"response {task['response_id']}: {exc}")
            return None
        self.stats.answered += 1
        return {"response_id": task["response_id"], **verdict}
