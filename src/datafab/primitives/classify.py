"""``classify``: the contributor picks one label, or several when the project allows it.

Records come from the project's aggregation method; per item (before the project-wide
estimators have run) a weighted vote: the label with the most weight wins, ties go to the
label listed first, and the confidence is the winner's share of the weight.

The ``records`` export carries, besides the label and the confidence, the ``soft_label``:
every label of the project with its probability (see :func:`soft_label`) — the distribution
to train on when the crowd disagreed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.links import WebUrl


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
    image_url: WebUrl | None = Field(default=None, max_length=4096)
    meta: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _something_to_show(self) -> ClassifyItem:
        if self.text is None and self.image_url is None and not self.meta:
            raise ValueError("an item needs text, image_url or meta")
        return self


class ClassifyAnswer(Schema):
    label: str | None = None
    labels: list[str] | None = None


class Classify(Primitive[ClassifySettings, ClassifyItem, ClassifyAnswer]):
    name = "classify"
    settings_model = ClassifySettings
    item_model = ClassifyItem
    answer_model = ClassifyAnswer
    export_formats = ("records",)
    default_method = "dawid_skene"

    def check_answer(
        self, settings: ClassifySettings, item: dict[str, Any], answer: ClassifyAnswer, prefix: str
    ) -> None:
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

    def aggregate(
        self, settings: ClassifySettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
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

    def export_row(
        self, fmt: str, settings: ClassifySettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt != "records":
            raise InvalidInput(f"classify exports only 'records', not {fmt!r}", field="format")
        return {"item": record.item, **(record.answer or {}),
                "soft_label": soft_label(settings, record), **record.lineage()}

    def class_names(self, settings: ClassifySettings) -> list[str] | None:
        return None if settings.multi_label else list(settings.labels)

    def encode(self, settings: ClassifySettings, answer: dict[str, Any]) -> int:
        return settings.labels.index(answer["label"])

    def decode(self, settings: ClassifySettings, code: int, confidence: float) -> dict[str, Any]:
        return {"label": settings.labels[code]}


def soft_label(settings: ClassifySettings, record: RecordView) -> dict[str, float]:
    """Every label of the project with its probability, in the project's label order (a label
    nobody chose has 0). One label per item: the posterior of the project's aggregation
    (Dawid–Skene, GLAD, MACE …) once fitted, else the per-item vote's weight shares; they sum to
    1. Several labels per item: each label's own probability of applying (the weighted share of
    contributors who chose it), so they need not sum to 1."""
    details = record.details or {}
    shares = (details.get("posterior") or details.get("soft_label")
              or details.get("label_shares"))
    if shares is None:  # no distribution stored: the confidence on the answer, the rest even
        chosen = record.answer or {}
        if settings.multi_label:
            shares = dict.fromkeys(chosen.get("labels") or [], 1.0)
        elif chosen.get("label") in settings.labels:
            rest = (1.0 - record.confidence) / (len(settings.labels) - 1)
            shares = {label: rest for label in settings.labels}
            shares[chosen["label"]] = record.confidence
        else:
            shares = {}
    return {label: round(float(shares.get(label, 0.0)), 6) for label in settings.labels}


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
