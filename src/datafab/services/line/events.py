"""What the submit pipeline's steps emit: the answers it stored and the items it finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datafab.foundry import Foundry
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.store.handles import Connection


@dataclass
class Answer:
    """One answer of the batch, as it moves through the steps."""

    lease_id: int | None  # None: an imported prior answer
    body: Any  # the parsed request (``work.SubmissionIn``)
    prefix: str  # where its fields sit in the request ("submissions.3.")
    project: Project
    item: Any  # the locked item row: id, data, status, n_labels, n_live, gold_answer, meta
    contributor_id: int
    answer: dict[str, Any] = field(default_factory=dict)  # validated
    submission_id: int = 0
    model_turn: Any = None  # ``hybrid.ModelTurn`` of a model's first answer to a waiting item
    feedback: dict[str, Any] | None = None  # a gold item's
    done: bool = False

    @property
    def gold(self) -> bool:
        return bool(self.item.status == "gold")

    @property
    def tokens(self) -> int:
        usage = self.body.usage
        return (usage.prompt_tokens + usage.completion_tokens) if usage is not None else 0


@dataclass(frozen=True)
class Answered:
    """The batch's answers are stored (and gold scored, records settled)."""

    contributor: Contributor
    answers: list[Answer]
    now: float


@dataclass(frozen=True)
class Finished:
    """Items the batch finished: per project with a finished answer, the items that became
    done now (in the batch's order; an item done before is not finished again)."""

    projects: list[tuple[Project, list[int]]]
    now: float
    leased: bool = True  # answers to leases (an import's prior answers finish no project)


def by_project(answers: list[Answer]) -> list[tuple[Project, list[Answer]]]:
    """The answers grouped by project, projects in the order they first appear."""
    groups: dict[int, tuple[Project, list[Answer]]] = {}
    for a in answers:
        groups.setdefault(a.project.id, (a.project, []))[1].append(a)
    return list(groups.values())


Subscriber = Callable[[Foundry, Connection, Any], None]
