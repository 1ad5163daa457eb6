"""What a model backend is: something that answers one leased item, and says how sure it is
and what answering cost.

A backend sees only what a lease gives a contributor — the project's primitive, settings and
guidelines, and the item's data — never gold answers, records or other contributors' work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from datafab.errors import DatafabError


class ModelError(DatafabError):
    """A model could not answer an item."""

    type = "model_error"
    status = 502
    usage: Usage | None = None  # what the failed try cost, when known


class ModelUnavailable(ModelError):
    """The model's endpoint timed out, refused or kept failing after every retry."""

    type = "model_unavailable"


class MalformedAnswer(ModelError):
    """The model replied, but not with a valid answer: the item goes to people instead."""

    type = "malformed_answer"


@dataclass
class Usage:
    """Calls, tokens, price and wall time, added up over the calls behind one answer."""

    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost += other.cost
        self.seconds += other.seconds

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "cost": round(self.cost, 10),
                "seconds": round(self.seconds, 6)}


@dataclass(frozen=True)
class Job:
    """One item to answer, with what a contributor is told about the project."""

    primitive: str
    settings: dict[str, Any]
    guidelines: str
    data: dict[str, Any]
    external_id: str = ""
    definition: dict[str, Any] | None = None  # a customer primitive's, from the instructions
    image: str | None = None  # the item's image for a vision model: a web or data: URL


@dataclass
class ModelAnswer:
    answer: dict[str, Any]
    confidence: float | None
    usage: Usage


@dataclass
class Completion:
    """What a chat model returned for one request: ``n`` texts and what they cost."""

    texts: list[str]
    usage: Usage
    params: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """A model that answers items. Subclasses are registered by name (``models.register``)."""

    name: str = "backend"

    @abstractmethod
    def answer(self, job: Job) -> ModelAnswer:
        """Answer one item; raise ``MalformedAnswer`` or ``ModelUnavailable`` (any
        ``ModelError``) when it cannot, with ``usage`` set to what the failed try cost."""

    def ready(self) -> bool:
        """Whether the model can answer now; a worker leases nothing while it cannot (a
        learner that has not trained yet)."""
        return True

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Get ready to answer if it can (train on what there is); called by a worker that
        found the model not ready, before it leases."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads."""


class Tally:
    """A running count of a model loop's work; a dataclass with an ``errors`` list."""

    errors: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The counts, and the last five errors."""
        out = {k: v for k, v in self.__dict__.items() if k != "errors"}
        out["last_errors"] = self.errors[-5:]
        return out
