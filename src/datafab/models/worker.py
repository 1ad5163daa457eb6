"""The model worker: a model as a contributor, over the same REST API as people.

It leases items with a contributor token (``datafab.sdk.Client``), asks its backend for each
answer, and submits the answer with the model's confidence and what the call cost. When the
model cannot answer — malformed output, an endpoint that is down — it releases the lease
(reason ``malformed`` or ``failed``, with the cost of the try) and the item goes on to people:
nothing is lost. After ``max_failures`` failures in a row it pauses for ``pause_seconds``
before leasing again, so a dead endpoint does not hold items; the line runs on people alone
meanwhile. A model that is not ready to answer (a learner with too few records to train on)
is asked to get ready first, and leases nothing until it is.

Its answers are stored, scored on gold and weighed by the quality engine exactly like a
person's: the server cannot tell a model worker's submission path from anyone else's, only
its ``kind``.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from datafab.models.base import Backend, Job, MalformedAnswer, ModelError, Tally
from datafab.sdk.client import ApiError, Client

#: Primitives whose items are images: a vision model is shown the image itself.
IMAGE_PRIMITIVES = frozenset({"boxes", "polygons", "keypoints"})


def item_image(client: Client, lease: dict[str, Any]) -> str:
    """A leased image item's image as a URL a vision endpoint takes."""
    image = lease["item"]["data"].get("image")
    if isinstance(image, str) and "://" in image:
        return image
    content, kind = client.item_image(lease["project_id"], lease["item"]["id"])
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


@dataclass
class WorkerStats(Tally):
    leased: int = 0
    answered: int = 0
    malformed: int = 0
    failed: int = 0
    lost_leases: int = 0  # expired or refused at submit: the server already moved on
    not_ready: int = 0  # times the model could not answer yet, so nothing was leased
    finished_items: int = 0
    gold_seen: int = 0
    gold_correct: int = 0
    cost: float = 0.0
    calls: int = 0
    errors: list[str] = field(default_factory=list)


class ModelWorker:
    def __init__(
        self,
        client: Client,
        backend: Backend,
        project_id: int,
        *,
        batch: int = 8,
        concurrency: int = 4,
        max_failures: int = 5,
        pause_seconds: float = 30.0,
        poll_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.backend, self.project_id = client, backend, project_id
        self.batch, self.concurrency = batch, concurrency
        self.max_failures, self.pause_seconds = max_failures, pause_seconds
        self.poll_seconds, self.sleep = poll_seconds, sleep
        self.stats = WorkerStats()
        self._instructions: dict[str, Any] | None = None
        self._failures_in_a_row = 0
        self._lock = threading.Lock()  # answers are handled on several threads

    # -- the loop ---------------------------------------------------------------------------
    def run(self, *, forever: bool = False, max_items: int | None = None) -> WorkerStats:
        """Work until the project has nothing for this model (or for ever, polling), or
        until ``max_items`` leases were handled."""
        with ThreadPoolExecutor(max_workers=self.concurrency,
                                thread_name_prefix="datafab-model") as pool:
            while max_items is None or self.stats.leased < max_items:
                n = self.batch if max_items is None else min(self.batch,
                                                             max_items - self.stats.leased)
                handled = self.step(pool, n)
                if handled:
                    continue
                if not forever:
                    break
                self.sleep(self.poll_seconds)
        return self.stats

    def step(self, pool: ThreadPoolExecutor | None, n: int) -> int:
        """Lease up to ``n`` items and answer them; how many leases were handled."""
        if self._failures_in_a_row >= self.max_failures:
            self.sleep(self.pause_seconds)
            self._failures_in_a_row = 0
        if not self.backend.ready():
            self.backend.prepare()  # train first: never lease what it cannot answer
            if not self.backend.ready():
                self.stats.not_ready += 1
                return 0
        leases = self.client.lease(self.project_id, n)
        if not leases:
            return 0
        self.stats.leased += len(leases)
        instructions = self._current(leases[0]["guideline_version"])
        jobs = [(lease, self._job(instructions, lease)) for lease in leases]
        if pool is None:
            for lease, job in jobs:
                self._handle(lease, job)
        else:
            list(pool.map(lambda pair: self._handle(*pair), jobs))
        return len(leases)

    # -- one lease ----------------------------------------------------------------------------
    def _handle(self, lease: dict[str, Any], job: Job) -> None:
        outcome = self._answer(lease, job)
        with self._lock:
            for key, value in outcome.items():
                if key == "errors":
                    self.stats.errors.extend(value)
                elif key == "failures_in_a_row":
                    self._failures_in_a_row = 0 if value == 0 else self._failures_in_a_row + 1
                else:
                    setattr(self.stats, key, getattr(self.stats, key) + value)

    def _answer(self, lease: dict[str, Any], job: Job) -> dict[str, Any]:
        """Answer, submit or give back one lease; what to add to the stats."""
        try:
            if job.primitive in IMAGE_PRIMITIVES:
                job = self._with_image(job, lease)
        except ApiError as exc:
            return {"failed": 1, **self._give_back(lease, "failed", exc)}
        try:
            result = self.backend.answer(job)
        except MalformedAnswer as exc:
            return {"malformed": 1, **self._give_back(lease, "malformed", exc)}
        except ModelError as exc:
            return {"failed": 1, "failures_in_a_row": 1, **self._give_back(lease, "failed", exc)}
        spent = {"failures_in_a_row": 0, "calls": result.usage.calls, "cost": result.usage.cost}
        try:
            receipt = self.client.submit(lease["id"], result.answer, confidence=result.confidence,
                                         usage=result.usage.to_dict(),
                                         seconds_spent=result.usage.seconds)
        except ApiError as exc:
            if exc.status == 422:  # the server refused the answer: people take the item
                return {**spent, "malformed": 1, **self._give_back(lease, "malformed", exc)}
            return {**spent, "lost_leases": 1, "errors": [str(exc)]}
        feedback = receipt.get("feedback") or {}
        return {**spent, "answered": 1, "finished_items": int(receipt.get("item_done", False)),
                "gold_seen": int(bool(feedback.get("gold"))),
                "gold_correct": int(bool(feedback.get("gold") and feedback.get("correct")))}

    def _give_back(self, lease: dict[str, Any], reason: str, exc: Exception) -> dict[str, Any]:
        out: dict[str, Any] = {"errors": [f"{lease['item']['external_id']}: {exc}"]}
        usage = getattr(exc, "usage", None)
        if usage is not None:
            out.update(calls=usage.calls, cost=usage.cost)
        try:
            self.client.release(lease["id"], reason=reason,
                                usage=usage.to_dict() if usage is not None else None)
        except ApiError as err:  # expired meanwhile: the server already returned the item
            out["lost_leases"] = 1
            out["errors"].append(str(err))
        return out

    # -- what the model is told ----------------------------------------------------------------
    def _current(self, guideline_version: int) -> dict[str, Any]:
        if self._instructions is None or \
                self._instructions["guideline_version"] != guideline_version:
            self._instructions = self.client.instructions(self.project_id)
        return self._instructions

    @staticmethod
    def _job(instructions: dict[str, Any], lease: dict[str, Any]) -> Job:
        return Job(primitive=instructions["primitive"], settings=instructions["settings"],
                   guidelines=instructions["guidelines"], data=lease["item"]["data"],
                   external_id=lease["item"]["external_id"],
                   definition=instructions.get("definition"))

    def _with_image(self, job: Job, lease: dict[str, Any]) -> Job:
        """A perception item's image, for a vision model: its web address, or the file
        fetched through the API (the model holds the lease) as a data: URL."""
        return replace(job, image=item_image(self.client, lease))
