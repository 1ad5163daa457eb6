"""``classify``: the contributor picks one label, or several when the project allows it.

Records come from the project's aggregation method; per item (before the project-wide
estimators have run) a weighted vote: the label with the most weight wins, ties go to the
label listed first, and the confidence is the winner's share of the weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote


class ClassifySettings(Schema):
    labels: list[str] = Field(min_length=2, max_length=1000)
    multi_label: bool = False

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[str]) -> list[str]:
        if any(not label.strip() for label in labels):
            raise ValueError("labels must be non-empty strings")
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be distinct")
        return labels


class ClassifyItem(Schema):
    """What is to be classified: text, an image URL, or any JSON the template shows."""

    text: str | None = Field(default=None, max_length=100_000)
    image_url: str | None = Field(default=None, max_length=4096)
    meta: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _something_to_show(self) -> ClassifyItem:
        if self.text is None and self.image_url is None and not self.meta:
            raise ValueError("an item needs text, image_url or meta")
        return self


class ClassifyAnswer(Schema):
    label: str | None = None
    labels: list[str] | None = None


class Classify(Primitive):
    name = "classify"
    settings_model = ClassifySettings
    item_model = ClassifyItem
    answer_model = ClassifyAnswer
    export_formats = ("records",)
    default_method = "dawid_skene"

    def check_answer(self, settings, item, answer, prefix) -> None:
        allowed = set(settings.labels)
        if settings.multi_label:
            if answer.labels is None or answer.label is not None:
                field = f"{prefix}.labels"
                raise InvalidInput(f"{field}: this project takes a list of labels", field=field)
            for i, label in enumerate(answer.labels):
                if label not in allowed:
                    raise _unknown_label(label, settings, f"{prefix}.labels.{i}")
            if len(set(answer.labels)) != len(answer.labels):
                raise InvalidInput(f"{prefix}.labels: repeated label", field=f"{prefix}.labels")
            return
        if answer.label is None or answer.labels is not None:
            raise InvalidInput(
                f"{prefix}.label: this project takes exactly one label", field=f"{prefix}.label"
            )
        if answer.label not in allowed:
            raise _unknown_label(answer.label, settings, f"{prefix}.label")

    def aggregate(self, settings, item, votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="majority")
        if settings.multi_label:
            return _multi_label_vote(settings.labels, votes)
        weights = dict.fromkeys(settings.labels, 0.0)
        for vote in votes:
            weights[vote.answer["label"]] += vote.weight
        total = sum(weights.values()) or 1.0
        winner = max(settings.labels, key=lambda label: weights[label])  # first on ties
        soft = {label: w / total for label, w in weights.items() if w}
        return Outcome(
            answer={"label": winner},
            confidence=weights[winner] / total,
            method="majority",
            details={"soft_label": soft},
        )

    def export_row(self, fmt, settings, record: RecordView) -> dict | None:
        if fmt != "records":
            raise InvalidInput(f"classify exports only 'records', not {fmt!r}", field="format")
        row = {"item": record.item, **(record.answer or {}), **record.lineage()}
        return row

    def class_names(self, settings) -> list[str] | None:
        return None if settings.multi_label else list(settings.labels)

    def encode(self, settings, answer: dict[str, Any]) -> int:
        return settings.labels.index(answer["label"])

    def decode(self, settings, code: int, confidence: float) -> dict[str, Any]:
        return {"label": settings.labels[code]}


def _multi_label_vote(labels: list[str], votes: Sequence[Vote]) -> Outcome:
    total = sum(v.weight for v in votes) or 1.0
    share = {label: 0.0 for label in labels}
    for vote in votes:
        for label in vote.answer["labels"]:
            share[label] += vote.weight / total
    chosen = [label for label in labels if share[label] > 0.5]
    # Confidence: the least certain per-label decision.
    confidence = min(max(p, 1.0 - p) for p in share.values())
    return Outcome(
        answer={"labels": chosen},
        confidence=confidence,
        method="majority",
        details={"label_shares": {k: v for k, v in share.items() if v}},
    )


def _unknown_label(label: str, settings: ClassifySettings, field: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: unknown label {label!r}; the project's labels are {settings.labels}", field=field
    )


CLASSIFY = Classify()
