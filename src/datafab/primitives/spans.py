"""``spans``: the contributor marks labelled spans of a text (named entities, evidence,
errors), by character offsets.

A span is ``{"start", "end", "label"}`` with ``0 <= start < end <= len(text)`` in Python
string indices (code points), a label from the project's ``labels``, and — unless the project
sets ``allow_overlap`` — no two spans of one answer sharing a character. An answer with no
spans says "nothing to mark". Answers are stored with their spans sorted.

Aggregation is per span: a distinct ``(start, end, label)`` is kept when the contributors who
marked it carry more than half of the item's vote weight. ``confidence`` is the least certain
of those keep/drop decisions (``max(share, 1 - share)`` over every span anyone marked; 1.0
when nobody marked any). Without overlap, two kept spans can never overlap: each needs a
majority, so some contributor would have marked both.

Exports: ``records`` — the text, the kept spans with their text slices, and lineage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import MAX_TEXT

MAX_SPANS = 10_000


class SpansSettings(Schema):
    labels: list[str] = Field(min_length=1, max_length=1000)
    allow_overlap: bool = False

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[str]) -> list[str]:
        if any(not label.strip() for label in labels):
            raise ValueError("labels must be non-empty strings")
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be distinct")
        return labels


class SpansItem(Schema):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    meta: dict[str, Any] | None = None


class Span(Schema):
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    label: str


class SpansAnswer(Schema):
    spans: list[Span] = Field(max_length=MAX_SPANS)


class Spans(Primitive[SpansSettings, SpansItem, SpansAnswer]):
    name = "spans"
    settings_model = SpansSettings
    item_model = SpansItem
    answer_model = SpansAnswer
    export_formats = ("records",)

    def check_answer(
        self, settings: SpansSettings, item: dict[str, Any], answer: SpansAnswer, prefix: str
    ) -> None:
        length = len(item["text"])
        seen: dict[tuple[int, int, str], int] = {}
        for k, span in enumerate(answer.spans):
            field = f"{prefix}.spans.{k}"
            if span.end <= span.start:
                raise InvalidInput(f"{field}.end: must be greater than start ({span.start})",
                                   field=f"{field}.end")
            if span.end > length:
                raise InvalidInput(
                    f"{field}.end: {span.end} is past the end of the text ({length} characters)",
                    field=f"{field}.end",
                )
            if span.label not in settings.labels:
                raise InvalidInput(
                    f"{field}.label: unknown label {span.label!r}; the project's labels are "
                    f"{settings.labels}",
                    field=f"{field}.label",
                )
            key = (span.start, span.end, span.label)
            if key in seen:
                raise InvalidInput(f"{field}: the same span as span {seen[key]}", field=field)
            seen[key] = k
        if not settings.allow_overlap:
            by_start = sorted(range(len(answer.spans)), key=lambda k: answer.spans[k].start)
            for before, after in zip(by_start, by_start[1:], strict=False):
                if answer.spans[after].start < answer.spans[before].end:
                    field = f"{prefix}.spans.{after}"
                    raise InvalidInput(
                        f"{field}: overlaps span {before}; this project does not allow "
                        "overlapping spans",
                        field=field,
                    )
        answer.spans.sort(key=lambda s: (s.start, s.end, s.label))

    def aggregate(
        self, settings: SpansSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="per_span_vote")
        total = sum(v.weight for v in votes)
        mass: dict[tuple[int, int, str], float] = {}
        for vote in votes:
            for span in vote.answer["spans"]:
                key = (span["start"], span["end"], span["label"])
                mass[key] = mass.get(key, 0.0) + vote.weight
        shares = {key: m / total if total else 0.0 for key, m in mass.items()}
        kept = sorted(key for key, share in shares.items() if share > 0.5)
        return Outcome(
            answer={"spans": [{"start": s, "end": e, "label": lab} for s, e, lab in kept]},
            confidence=min((max(p, 1.0 - p) for p in shares.values()), default=1.0),
            method="per_span_vote",
            details={"span_shares": [[s, e, lab, round(p, 6)]
                                     for (s, e, lab), p in sorted(shares.items())]},
        )

    def export_row(
        self, fmt: str, settings: SpansSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt != "records":
            raise InvalidInput(f"spans exports only 'records', not {fmt!r}", field="format")
        text = record.item["text"]
        spans = [
            {**span, "text": text[span["start"]:span["end"]]}
            for span in (record.answer or {}).get("spans", [])
        ]
        return {"text": text, "spans": spans, "meta": record.item.get("meta"),
                **record.lineage()}


SPANS = Spans()
