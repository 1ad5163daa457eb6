"""A customer primitive: a :class:`~datafab.primitives.declarative.definition.Definition`
behind the same :class:`~datafab.primitives.base.Primitive` interface as the built-in ones,
so projects on it lease, validate, aggregate, score gold and export through the same code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ConfigDict

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.declarative import aggregate, gold, values
from datafab.primitives.declarative.definition import Definition, parse_definition

METHOD = "per_field"


class NoSettings(Schema):
    """A customer primitive's project takes no settings: its definition says everything."""


class Free(Schema):
    """Items and answers are checked against the definition, not a model of their own."""

    model_config = ConfigDict(extra="allow")


class DeclarativePrimitive(Primitive[NoSettings, Free, Free]):
    name = "declarative"
    settings_model = NoSettings
    item_model = Free
    answer_model = Free
    export_formats = ("records",)

    def __init__(self, definition: Definition, raw: dict[str, Any] | None = None) -> None:
        self.definition = definition
        self.raw = raw  # the definition as its organization wrote it

    @classmethod
    def from_raw(cls, raw: Any) -> DeclarativePrimitive:
        return cls(parse_definition(raw), raw)

    def parse_item(self, settings: NoSettings, raw: Any, prefix: str = "data") -> dict[str, Any]:
        return values.check_item(self.definition, raw, prefix)

    def parse_answer(self, settings: NoSettings, item: dict[str, Any], raw: Any,
                     prefix: str = "answer") -> dict[str, Any]:
        return values.check_answer(self.definition, item, raw, prefix)

    def answer_json_schema(self, settings: NoSettings) -> dict[str, Any]:
        return values.answer_schema(self.definition)

    def aggregate(self, settings: NoSettings, item: dict[str, Any],
                  votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method=METHOD)
        given = [aggregate.Given(v.contributor, v.answer, v.weight) for v in votes]
        return _outcome(aggregate.aggregate_fields(self.definition.answer, item, given))

    def aggregate_project(
        self, settings: NoSettings,
        votes_by_item: Mapping[Any, tuple[dict[str, Any], Sequence[Vote]]],
    ) -> dict[Any, Outcome] | None:
        """Each choice field by the estimator it names, fitted on the whole project (the
        skills it learns need every item); the other fields as per item."""
        fitted = [f for f in self.definition.answer if f.type == "choice"]
        if not fitted:
            return None
        rest = [f for f in self.definition.answer if f.type != "choice"]
        per_item = {key: aggregate.aggregate_fields(
            rest, item,
            [aggregate.Given(v.contributor, v.answer, v.weight) for v in votes])
            for key, (item, votes) in votes_by_item.items() if votes}
        for f in fitted:
            answers = {key: [aggregate.Given(v.contributor, v.answer[f.name], v.weight)
                             for v in votes if v.answer.get(f.name) is not None]
                       for key, (_, votes) in votes_by_item.items()}
            for key, outcome in aggregate.fit_choices(f, answers).items():
                per_item[key][f.name] = outcome
        order = [f.name for f in self.definition.answer]  # the definition's field order
        return {key: _outcome({n: outcomes[n] for n in order if n in outcomes})
                for key, outcomes in per_item.items()}

    def matches_gold(self, settings: NoSettings, answer: dict[str, Any],
                     expected: dict[str, Any]) -> bool:
        return all(gold.score(self.definition.answer, answer, expected).values())

    def gold_fields(self, answer: dict[str, Any], expected: dict[str, Any]) -> dict[str, bool]:
        """Per scored field, whether ``answer`` matches the gold."""
        return gold.score(self.definition.answer, answer, expected)

    def export_row(self, fmt: str, settings: NoSettings,
                   record: RecordView) -> dict[str, Any] | None:
        if fmt != "records":
            raise InvalidInput(f"format: customer primitives export 'records', not {fmt!r}",
                               field="format")
        lineage = record.lineage()
        answer = record.answer or {}
        row: dict[str, Any] = {}
        for column in self.definition.columns:
            head, _, rest = column.source.partition(".")
            if head == "record":
                row[column.name] = lineage[rest]
            elif head == "item":
                row[column.name] = record.item.get(rest) if rest else record.item
            else:
                row[column.name] = answer.get(rest) if rest else answer
        return row


def _outcome(outcomes: dict[str, aggregate.FieldOutcome]) -> Outcome:
    return Outcome(
        answer={name: o.value for name, o in outcomes.items()},
        confidence=aggregate.least_confidence(outcomes),
        method=METHOD,
        details={"fields": {name: {"confidence": o.confidence, **o.details}
                            for name, o in outcomes.items()}},
    )
