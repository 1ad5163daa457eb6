"""``redaction_review``: a person checks a redacted chunk — each replacement made, and any
personal data left in the text.

The item is the text as contributors see it, with the replacements made in it
(``redactions``: ``{"type", "start", "end"}`` in that text). The answer lists the replacements
that were ``wrong`` (by index: nothing personal was there) and the spans ``missed`` (personal
data still in the text, with its type). An empty answer says "all correct".

Aggregation: a replacement is wrong, and a missed span ``(start, end, type)`` stands, when
the contributors who said so carry more than half of the vote weight; confidence is the least
certain of those decisions, as for ``spans``.

:func:`miss_rates` turns reviewed records into the measured rates per type: the miss rate
(missed / (correct replacements + missed)) and the wrong rate (wrong / replacements made).

Exports: ``records`` — the text, the replacements, the wrong and missed ones, and lineage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import MAX_TEXT

TYPES = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "NATIONAL_ID", "IP_ADDRESS",
         "DATE_OF_BIRTH", "PERSON", "LOCATION", "OTHER")


class ReviewSettings(Schema):
    types: list[str] = Field(default_factory=lambda: list(TYPES), min_length=1,
                             max_length=100)


class Replacement(Schema):
    type: str = Field(min_length=1, max_length=64)
    start: int = Field(ge=0)
    end: int = Field(ge=1)


class ReviewItem(Schema):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    redactions: list[Replacement] = Field(default_factory=list, max_length=10_000)
    meta: dict[str, Any] | None = None


class Missed(Schema):
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    type: str


class ReviewAnswer(Schema):
    wrong: list[int] = Field(default_factory=list, max_length=10_000)
    missed: list[Missed] = Field(default_factory=list, max_length=10_000)


class RedactionReview(Primitive[ReviewSettings, ReviewItem, ReviewAnswer]):
    name = "redaction_review"
    settings_model = ReviewSettings
    item_model = ReviewItem
    answer_model = ReviewAnswer
    export_formats = ("records",)

    def check_item(self, settings: ReviewSettings, item: ReviewItem, prefix: str) -> None:
        for k, r in enumerate(item.redactions):
            if not r.start < r.end <= len(item.text):
                field = f"{prefix}.redactions.{k}"
                raise InvalidInput(f"{field}: must lie within the text, start < end",
                                   field=field)

    def check_answer(
        self, settings: ReviewSettings, item: dict[str, Any], answer: ReviewAnswer, prefix: str
    ) -> None:
        n = len(item.get("redactions", []))
        for k, index in enumerate(answer.wrong):
            if not 0 <= index < n:
                field = f"{prefix}.wrong.{k}"
                raise InvalidInput(f"{field}: no replacement {index} (the item has {n})",
                                   field=field)
        if len(set(answer.wrong)) != len(answer.wrong):
            raise InvalidInput(f"{prefix}.wrong: a replacement appears twice",
                               field=f"{prefix}.wrong")
        length = len(item["text"])
        for k, span in enumerate(answer.missed):
            field = f"{prefix}.missed.{k}"
            if not span.start < span.end <= length:
                raise InvalidInput(f"{field}: must lie within the text, start < end",
                                   field=field)
            if span.type not in settings.types:
                raise InvalidInput(f"{field}.type: unknown type {span.type!r}; the project's "
                                   f"types are {settings.types}", field=f"{field}.type")
        answer.wrong.sort()
        answer.missed.sort(key=lambda s: (s.start, s.end, s.type))

    def aggregate(
        self, settings: ReviewSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="per_flag_vote")
        total = sum(v.weight for v in votes) or 1.0
        wrong: dict[int, float] = {}
        missed: dict[tuple[int, int, str], float] = {}
        for vote in votes:
            for index in vote.answer.get("wrong", []):
                wrong[index] = wrong.get(index, 0.0) + vote.weight
            for s in vote.answer.get("missed", []):
                key = (s["start"], s["end"], s["type"])
                missed[key] = missed.get(key, 0.0) + vote.weight
        shares = [m / total for m in (*wrong.values(), *missed.values())]
        return Outcome(
            answer={
                "wrong": sorted(i for i, m in wrong.items() if m / total > 0.5),
                "missed": [{"start": s, "end": e, "type": t}
                           for (s, e, t), m in sorted(missed.items()) if m / total > 0.5],
            },
            confidence=min((max(p, 1.0 - p) for p in shares), default=1.0),
            method="per_flag_vote",
        )

    def export_row(
        self, fmt: str, settings: ReviewSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt != "records":
            raise InvalidInput(f"redaction_review exports only 'records', not {fmt!r}",
                               field="format")
        answer = record.answer or {"wrong": [], "missed": []}
        return {"text": record.item["text"], "redactions": record.item.get("redactions", []),
                "wrong": answer["wrong"], "missed": answer["missed"], **record.lineage()}


def miss_rates(
    reviews: Iterable[tuple[dict[str, Any], dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Per type, from ``(item, answer)`` pairs of reviewed chunks: replacements made, wrong,
    missed, and the miss and wrong rates (``None`` where there is nothing to divide)."""
    out: dict[str, dict[str, Any]] = {}

    def row(kind: str) -> dict[str, Any]:
        return out.setdefault(kind, {"replaced": 0, "wrong": 0, "missed": 0})

    for item, answer in reviews:
        redactions = item.get("redactions", [])
        wrong = set(answer.get("wrong", []))
        for i, r in enumerate(redactions):
            row(r["type"])["replaced"] += 1
            if i in wrong:
                row(r["type"])["wrong"] += 1
        for s in answer.get("missed", []):
            row(s["type"])["missed"] += 1
    for r in out.values():
        correct = r["replaced"] - r["wrong"]
        r["miss_rate"] = r["missed"] / (correct + r["missed"]) if correct + r["missed"] else None
        r["wrong_rate"] = r["wrong"] / r["replaced"] if r["replaced"] else None
    return dict(sorted(out.items()))


REDACTION_REVIEW = RedactionReview()
