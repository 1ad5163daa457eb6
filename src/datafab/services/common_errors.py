"""A project's common errors, built from its answers on every read (so it follows each new
answer): the most frequent confusions on gold (expected → given, with examples and the gold
item's explanation), the items whose answers disagree most, and a contributor's own most
frequent mistakes. The counting is ``quality.confusions``; answers of any primitive are coded
by their canonical JSON.

A contributor sees item contents only for items they answered themselves (what the foundry
already showed them); the project's requester sees all.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datafab.foundry import Foundry
from datafab.quality.confusions import disagreement, top_confusions
from datafab.services import confidentiality
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project
from datafab.services.quality import gold_evidence
from datafab.store import common_errors as sql

TOP = 5
EXAMPLES = 3


@dataclass(frozen=True)
class Example:
    item_id: int
    external_id: str | None  # None: an item this contributor never saw
    data: dict[str, Any] | None


@dataclass(frozen=True)
class Confusion:
    expected: Any
    given: Any
    count: int
    explanation: str | None
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True)
class Disagreement:
    item: Example
    disagreement: float
    answers: int
    spread: list[tuple[Any, int]]  # each distinct answer and how many gave it


@dataclass(frozen=True)
class Digest:
    project_id: int
    gold_answers: int
    gold_wrong: int
    confusions: list[Confusion]
    disagreements: list[Disagreement]
    mine: list[Confusion] | None  # the contributor's own, when a contributor asks

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


class _Codes:
    """A code per distinct answer (canonical JSON), and back."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.answers: list[Any] = []

    def __call__(self, answer: Any) -> int:
        key = json.dumps(answer, sort_keys=True)
        if key not in self.codes:
            self.codes[key] = len(self.answers)
            self.answers.append(answer)
        return self.codes[key]


def for_contributor(foundry: Foundry, contributor: Contributor, project_id: int) -> Digest:
    """The digest of a project the contributor may see, with their own mistakes."""
    with foundry.db.read() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        gold, answers = sql.gold_answers(conn, project.id), sql.item_answers(conn, project.id)
    return _digest(project, gold, answers, contributor.id)


def for_requester(foundry: Foundry, organization: int, project_id: int) -> Digest:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        gold, answers = sql.gold_answers(conn, project.id), sql.item_answers(conn, project.id)
    return _digest(project, gold, answers, None)


def _digest(project: Project, gold, answers, viewer: int | None) -> Digest:
    seen = ({r.item_id for r in gold if r.contributor_id == viewer}
            | {r.item_id for r in answers if r.contributor_id == viewer})
    shown = (lambda r: Example(r.item_id, r.external_id, r.data)) if viewer is None else (
        lambda r: Example(r.item_id, r.external_id, r.data) if r.item_id in seen
        else Example(r.item_id, None, None))
    codes = _Codes()
    wrong = np.array([not gold_evidence(project, r.answer, r.gold_answer)[0] for r in gold],
                     dtype=bool)
    expected = np.array([codes(r.gold_answer) for r in gold], dtype=np.int64)
    given = np.array([codes(r.answer) for r in gold], dtype=np.int64)
    confusions = _confusions(gold, expected, given, wrong, codes, shown)
    mine = None
    if viewer is not None:
        own = np.array([r.contributor_id == viewer for r in gold], dtype=bool)
        mine = _confusions(gold, expected, given, wrong & own, codes, shown)
    return Digest(project.id, len(gold), int(wrong.sum()), confusions,
                  _disagreements(answers, shown), mine)


def _confusions(gold, expected, given, wrong, codes: _Codes, shown) -> list[Confusion]:
    out = []
    for e, g, count in top_confusions(expected, given, wrong, TOP):
        rows = [r for r, ee, gg, w in zip(gold, expected, given, wrong, strict=True)
                if w and ee == e and gg == g]
        by_item = list({r.item_id: r for r in rows}.values())
        explanation = next(((r.meta or {}).get("gold_explanation") for r in by_item
                            if (r.meta or {}).get("gold_explanation")), None)
        out.append(Confusion(codes.answers[e], codes.answers[g], count, explanation,
                             [shown(r) for r in by_item[:EXAMPLES]]))
    return out


def _disagreements(answers, shown) -> list[Disagreement]:
    codes = _Codes()
    labels = np.array([codes(r.answer) for r in answers], dtype=np.int64)
    item_ids = np.array([r.item_id for r in answers], dtype=np.int64)
    first = {r.item_id: r for r in reversed(answers)}
    out: list[Disagreement] = []
    for item_id, share, n in disagreement(item_ids, labels):
        if share <= 0 or len(out) == TOP:
            break
        spread = Counter(int(c) for c in labels[item_ids == item_id])
        out.append(Disagreement(shown(first[item_id]), share, n,
                                [(codes.answers[c], k) for c, k in spread.most_common()]))
    return out
