"""``compare``: the contributor picks the better of two responses to a prompt, says how much
better, optionally per criterion, and why.

Aggregation per item is a weighted vote. Each vote puts ``weight × strength`` on its choice,
with strength ``slight`` = 1, ``clear`` = 2, ``decisive`` = 3 (a choice without a strength
counts as ``clear``; a tie vote counts 1). The choice with the most mass wins; when the top
mass is shared the record is a ``tie``. ``confidence`` is the top share of the mass (for a
tie forced by equal mass on a and b, that share: 0.5 when nobody voted tie) and ``margin``
is ``(mass[winner] - mass[loser]) / Σ weight`` — the mean strength with which the raters
preferred the winner, in [0, 3] — the margin column of the reward-model export.

Across items, :func:`model_ratings` turns the records' (winner model, loser model) battles
into Bradley–Terry ratings (``datafab.quality.BradleyTerry``).

Exports: ``dpo`` and ``reward`` rows are TRL's conversational preference format
(``prompt``/``chosen``/``rejected`` message lists) with ``margin``, ``tie`` and lineage
columns; tied records are left out unless the project setting ``export_ties`` is on (then
``chosen`` is response a, ``margin`` 0 and ``tie`` true). ``records`` rows hold the item and the
aggregated answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import Prompt, Reply, copy_messages
from datafab.quality import BradleyTerry

Choice = Literal["a", "b", "tie"]
Strength = Literal["slight", "clear", "decisive"]

STRENGTH = {"slight": 1.0, "clear": 2.0, "decisive": 3.0}
DEFAULT_STRENGTH = "clear"
TIE_MASS = 1.0
DEFAULT_CRITERIA = ["helpfulness", "honesty", "harmlessness"]


class CompareSettings(Schema):
    criteria: list[str] = Field(default_factory=lambda: list(DEFAULT_CRITERIA), max_length=50)
    allow_tie: bool = True
    export_ties: bool = False

    @field_validator("criteria")
    @classmethod
    def _distinct(cls, criteria: list[str]) -> list[str]:
        if any(not c.strip() for c in criteria):
            raise ValueError("criteria must be non-empty strings")
        if len(set(criteria)) != len(criteria):
            raise ValueError("criteria must be distinct")
        return criteria


class Response(Schema):
    content: Reply
    model: str | None = Field(default=None, max_length=200)


class CompareItem(Schema):
    prompt: Prompt
    a: Response
    b: Response
    meta: dict[str, Any] | None = None


class CompareAnswer(Schema):
    choice: Choice
    strength: Strength | None = None
    criteria: dict[str, Choice] | None = None
    rationale: str | None = Field(default=None, max_length=20_000)


class Compare(Primitive[CompareSettings, CompareItem, CompareAnswer]):
    name = "compare"
    settings_model = CompareSettings
    item_model = CompareItem
    answer_model = CompareAnswer
    export_formats = ("dpo", "reward", "records")

    def check_answer(
        self, settings: CompareSettings, item: dict[str, Any], answer: CompareAnswer, prefix: str
    ) -> None:
        if answer.choice == "tie":
            if not settings.allow_tie:
                raise InvalidInput(
                    f"{prefix}.choice: this project does not allow ties; pick 'a' or 'b'",
                    field=f"{prefix}.choice",
                )
            if answer.strength is not None:
                raise InvalidInput(
                    f"{prefix}.strength: a tie has no strength", field=f"{prefix}.strength"
                )
        for criterion, choice in (answer.criteria or {}).items():
            field = f"{prefix}.criteria.{criterion}"
            if criterion not in settings.criteria:
                raise InvalidInput(
                    f"{field}: unknown criterion {criterion!r}; the project's criteria are "
                    f"{settings.criteria}",
                    field=field,
                )
            if choice == "tie" and not settings.allow_tie:
                raise InvalidInput(f"{field}: this project does not allow ties", field=field)

    def aggregate(
        self, settings: CompareSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="weighted_vote")
        mass = {"a": 0.0, "b": 0.0, "tie": 0.0}
        for vote in votes:
            choice = vote.answer["choice"]
            if choice == "tie":
                mass["tie"] += vote.weight * TIE_MASS
            else:
                strength = vote.answer.get("strength") or DEFAULT_STRENGTH
                mass[choice] += vote.weight * STRENGTH[strength]
        winner = _winner(mass)
        total_mass = sum(mass.values())
        total_weight = sum(v.weight for v in votes)
        if winner == "tie":
            margin = 0.0
        else:
            loser = "b" if winner == "a" else "a"
            margin = (mass[winner] - mass[loser]) / total_weight if total_weight else 0.0
        answer: dict[str, Any] = {"choice": winner, "margin": round(margin, 6)}
        if winner != "tie":
            answer["strength"] = _strength_of(margin)
        criteria = _criteria_votes(settings.criteria, votes)
        if criteria:
            answer["criteria"] = criteria
        rationales = [v.answer["rationale"] for v in votes if v.answer.get("rationale")]
        if rationales:
            answer["rationales"] = rationales
        return Outcome(
            answer=answer,
            confidence=max(mass.values()) / total_mass if total_mass else 0.0,
            method="weighted_vote",
            details={"mass": mass},
        )

    def export_row(
        self, fmt: str, settings: CompareSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt == "records":
            return {"item": record.item, **(record.answer or {}), **record.lineage()}
        if fmt not in ("dpo", "reward"):
            raise InvalidInput(f"compare exports dpo, reward, records, not {fmt!r}", field="format")
        answer = record.answer
        if not answer:
            return None
        tie = answer["choice"] == "tie"
        if tie and not settings.export_ties:
            return None
        chosen, rejected = ("b", "a") if answer["choice"] == "b" else ("a", "b")
        item = record.item
        return {
            "prompt": copy_messages(item["prompt"]),
            "chosen": copy_messages(item[chosen]["content"]),
            "rejected": copy_messages(item[rejected]["content"]),
            "margin": 0.0 if tie else float(answer.get("margin", 0.0)),
            "tie": tie,
            "chosen_model": item[chosen].get("model"),
            "rejected_model": item[rejected].get("model"),
            **record.lineage(),
        }

    def class_names(self, settings: CompareSettings) -> list[str]:
        return ["a", "b", "tie"] if settings.allow_tie else ["a", "b"]

    def encode(self, settings: CompareSettings, answer: dict[str, Any]) -> int:
        return self.class_names(settings).index(answer["choice"])

    def decode(self, settings: CompareSettings, code: int, confidence: float) -> dict[str, Any]:
        return {"choice": self.class_names(settings)[code]}


def _winner(mass: dict[str, float]) -> str:
    top = max(mass.values())
    leaders = [c for c, m in mass.items() if m == top]
    return leaders[0] if len(leaders) == 1 else "tie"


def _strength_of(margin: float) -> str:
    if margin >= 2.5:
        return "decisive"
    return "clear" if margin >= 1.5 else "slight"


def _criteria_votes(criteria: list[str], votes: Sequence[Vote]) -> dict[str, str]:
    out = {}
    for criterion in criteria:
        mass = {"a": 0.0, "b": 0.0, "tie": 0.0}
        given = False
        for vote in votes:
            choice = (vote.answer.get("criteria") or {}).get(criterion)
            if choice is not None:
                mass[choice] += vote.weight
                given = True
        if given:
            out[criterion] = _winner(mass)
    return out


# --- across models ---------------------------------------------------------------------------


def battle(item: dict[str, Any], answer: dict[str, Any] | None) -> tuple[str, str, bool] | None:
    """The ``(winner model, loser model, tie)`` battle a record decides, or ``None`` when a
    response has no model, both come from one model, or the record has no answer yet. For a
    tie the order is (a's model, b's model)."""
    if not answer:
        return None
    model_a, model_b = item["a"].get("model"), item["b"].get("model")
    if not model_a or not model_b or model_a == model_b:
        return None
    if answer["choice"] == "b":
        return model_b, model_a, False
    return model_a, model_b, answer["choice"] == "tie"


def model_ratings(
    battles: Iterable[tuple[str, str, bool]], *, bootstrap: int = 0, seed: int = 0
) -> list[dict[str, Any]]:
    """Bradley–Terry ratings of the models from ``(winner, loser, tie)`` battles (see
    :func:`battle`), best first: ``model``, ``rating`` (Elo scale, mean 1000), ``score``
    (log-strength), ``battles``, ``wins``, ``ties`` and, with ``bootstrap`` rounds, ``ci``
    (the 95% interval of the rating)."""
    names: dict[str, int] = {}
    winners, losers, ties = [], [], []
    for n, (winner, loser, tie) in enumerate(battles):
        if winner == loser:
            raise InvalidInput(
                f"battles.{n}: a model cannot battle itself ({winner!r})", field=f"battles.{n}"
            )
        winners.append(names.setdefault(winner, len(names)))
        losers.append(names.setdefault(loser, len(names)))
        ties.append(bool(tie))
    if len(names) < 2:
        raise InvalidInput("battles: ratings need battles between at least two models",
                           field="battles")
    bt = BradleyTerry().fit(
        np.array(winners), np.array(losers), ties=np.array(ties, dtype=bool), n_items=len(names)
    )
    if bootstrap:
        bt.bootstrap(n_rounds=bootstrap, seed=seed)
    counts = {name: {"battles": 0, "wins": 0, "ties": 0} for name in names}
    by_code = list(names)
    for w, lo, t in zip(winners, losers, ties, strict=True):
        for code in (w, lo):
            counts[by_code[code]]["battles"] += 1
        if t:
            counts[by_code[w]]["ties"] += 1
            counts[by_code[lo]]["ties"] += 1
        else:
            counts[by_code[w]]["wins"] += 1
    rows = []
    for name, code in names.items():
        row: dict[str, Any] = {
            "model": name,
            "rating": float(bt.ratings_[code]),
            "score": float(bt.scores_[code]),
            **counts[name],
        }
        if bootstrap:
            row["ci"] = [float(x) for x in bt.ratings_ci_[code]]
        rows.append(row)
    rows.sort(key=lambda r: (-r["rating"], r["model"]))
    return rows


COMPARE = Compare()
