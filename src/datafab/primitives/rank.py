"""``rank``: the contributor orders 2–9 responses to a prompt, best first.

An answer's ``order`` lists every response exactly once, by index (0-based, as in the item)
or by the response's ``id``; it is stored normalised to indices.

Aggregation expands each vote into its pairs (the response ranked i-th beats every response
ranked after it, with the vote's weight) and fits a weighted Bradley–Terry model on those
pairs (Newton's method with a Gaussian prior, ``l2 = 0.1``, which keeps unanimous pairs
finite). The final order sorts by log-strength, then by mean weighted position, then by index.
``confidence`` is the weighted pairwise agreement with the final order: for every pair of
responses, the share of vote weight that ranked them the same way, averaged over pairs (one
vote gives 1.0; two opposite votes give 0.5).

``datafab.quality.BradleyTerry`` takes unweighted battles only, so this module carries its own
weighted fit for the ≤ 9 responses of one item.

Exports: ``records`` (the ranked list with scores) and ``dpo`` / ``reward`` — one row per
expanded pair of the final order (``n·(n-1)/2`` rows per record), TRL conversational preference
format with ``margin`` = the distance in ranks. Several rows per record: the services layer
must call :meth:`Primitive.export_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import Prompt, Reply, copy_messages

MIN_RESPONSES, MAX_RESPONSES = 2, 9
L2 = 0.1


class RankSettings(Schema):
    pass


class RankResponse(Schema):
    id: str | None = Field(default=None, min_length=1, max_length=200)
    content: Reply
    model: str | None = Field(default=None, max_length=200)


class RankItem(Schema):
    prompt: Prompt
    responses: list[RankResponse] = Field(min_length=MIN_RESPONSES, max_length=MAX_RESPONSES)
    meta: dict[str, Any] | None = None


class RankAnswer(Schema):
    order: list[Any] = Field(min_length=MIN_RESPONSES, max_length=MAX_RESPONSES)
    rationale: str | None = Field(default=None, max_length=20_000)


class Rank(Primitive[RankSettings, RankItem, RankAnswer]):
    name = "rank"
    settings_model = RankSettings
    item_model = RankItem
    answer_model = RankAnswer
    export_formats = ("records", "dpo", "reward")

    def check_item(self, settings: RankSettings, item: RankItem, prefix: str) -> None:
        seen: dict[str, int] = {}
        for i, response in enumerate(item.responses):
            if response.id is None:
                continue
            if response.id in seen:
                field = f"{prefix}.responses.{i}.id"
                raise InvalidInput(
                    f"{field}: id {response.id!r} is already used by response {seen[response.id]}",
                    field=field,
                )
            seen[response.id] = i

    def check_answer(
        self, settings: RankSettings, item: dict[str, Any], answer: RankAnswer, prefix: str
    ) -> None:
        responses = item["responses"]
        ids = {r["id"]: i for i, r in enumerate(responses) if r.get("id") is not None}
        indices: list[int] = []
        for k, entry in enumerate(answer.order):
            field = f"{prefix}.order.{k}"
            if isinstance(entry, bool) or not isinstance(entry, int | str):
                raise InvalidInput(
                    f"{field}: expected a response index (integer) or id (string)", field=field
                )
            if isinstance(entry, int):
                if not 0 <= entry < len(responses):
                    raise InvalidInput(
                        f"{field}: no response {entry}; indices run 0..{len(responses) - 1}",
                        field=field,
                    )
                index = entry
            elif entry in ids:
                index = ids[entry]
            else:
                raise InvalidInput(f"{field}: no response has id {entry!r}", field=field)
            if index in indices:
                raise InvalidInput(f"{field}: response {entry!r} is ranked twice", field=field)
            indices.append(index)
        missing = sorted(set(range(len(responses))) - set(indices))
        if missing:
            field = f"{prefix}.order"
            raise InvalidInput(
                f"{field}: must rank every response exactly once; missing {missing}", field=field
            )
        answer.order = indices

    def aggregate(
        self, settings: RankSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        n = len(item["responses"])
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="bradley_terry")
        winners, losers, weights = [], [], []
        position = np.zeros(n)
        total = 0.0
        for vote in votes:
            order = vote.answer["order"]
            for i, better in enumerate(order):
                position[better] += vote.weight * i
                for worse in order[i + 1 :]:
                    winners.append(better)
                    losers.append(worse)
                    weights.append(vote.weight)
            total += vote.weight
        wins = np.zeros((n, n))
        np.add.at(wins, (np.array(winners), np.array(losers)), np.array(weights))
        scores = weighted_bradley_terry(wins)
        mean_position = position / total if total else position
        final = sorted(range(n), key=lambda i: (-round(float(scores[i]), 9), mean_position[i], i))
        agree = [
            wins[final[i], final[j]] / (wins[final[i], final[j]] + wins[final[j], final[i]])
            for i in range(n)
            for j in range(i + 1, n)
            if wins[final[i], final[j]] + wins[final[j], final[i]] > 0
        ]
        return Outcome(
            answer={"order": final, "scores": [round(float(s), 6) for s in scores]},
            confidence=float(np.mean(agree)) if agree else 0.0,
            method="bradley_terry",
            details={"mean_position": [round(float(p), 6) for p in mean_position]},
        )

    def export_row(
        self, fmt: str, settings: RankSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt in ("dpo", "reward"):
            raise NotImplementedError("rank's pair rows are several per record: use export_rows")
        if fmt != "records":
            raise InvalidInput(f"rank exports records, dpo, reward, not {fmt!r}", field="format")
        answer = record.answer or {}
        responses = record.item["responses"]
        scores = answer.get("scores") or [None] * len(responses)
        ranked = [
            {
                "rank": r + 1,
                "index": i,
                "id": responses[i].get("id"),
                "model": responses[i].get("model"),
                "content": copy_messages(responses[i]["content"]),
                "score": scores[i],
            }
            for r, i in enumerate(answer.get("order", []))
        ]
        return {
            "prompt": copy_messages(record.item["prompt"]),
            "ranked": ranked,
            "meta": record.item.get("meta"),
            **record.lineage(),
        }

    def export_rows(
        self, fmt: str, settings: RankSettings, record: RecordView
    ) -> Iterator[dict[str, Any]]:
        if fmt not in ("dpo", "reward"):
            yield from super().export_rows(fmt, settings, record)
            return
        if not record.answer:
            return
        item, order = record.item, record.answer["order"]
        responses = item["responses"]
        for i, better in enumerate(order):
            for j in range(i + 1, len(order)):
                worse = order[j]
                yield {
                    "prompt": copy_messages(item["prompt"]),
                    "chosen": copy_messages(responses[better]["content"]),
                    "rejected": copy_messages(responses[worse]["content"]),
                    "margin": float(j - i),
                    "chosen_rank": i + 1,
                    "rejected_rank": j + 1,
                    "chosen_model": responses[better].get("model"),
                    "rejected_model": responses[worse].get("model"),
                    **record.lineage(),
                }


def weighted_bradley_terry(wins: np.ndarray, l2: float = L2, max_iter: int = 100) -> np.ndarray:
    """Centred Bradley–Terry log-strengths from an (n, n) matrix of weighted wins
    (``wins[i, j]`` = weight of "i beat j"), maximising
    ``Σ_ij wins_ij log σ(s_i - s_j) - (l2 / 2) Σ s_i²`` by Newton's method."""
    n = wins.shape[0]
    games = wins + wins.T
    won = wins.sum(axis=1)
    s = np.zeros(n)
    eye = np.eye(n)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(s[None, :] - s[:, None]))  # P(i beats j)
        grad = won - (games * p).sum(axis=1) - l2 * s
        v = games * p * (1.0 - p)
        hess = v - np.diag(v.sum(axis=1)) - l2 * eye
        step = np.linalg.solve(hess, -grad)
        big = float(np.abs(step).max())
        if big > 5.0:
            step *= 5.0 / big
        s += step
        if big < 1e-10:
            break
    result: np.ndarray = s - s.mean()
    return result


RANK = Rank()
