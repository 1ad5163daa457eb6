"""What every primitive is: the schemas of its items and answers, how answers aggregate, and
how records leave as export rows.

A primitive is pure: it sees plain dicts and arrays, never the database or HTTP. The services
layer feeds it what is stored and stores what it returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from datafab.parsing import parse as parse  # re-exported: parse(model, raw, prefix)


class Schema(BaseModel):
    """Base for every primitive schema: unknown fields are refused, so typos get named."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Vote:
    """One contributor's stored answer to one item, as aggregation sees it."""

    contributor: int
    answer: dict[str, Any]
    weight: float = 1.0


@dataclass(frozen=True)
class Outcome:
    """The aggregated answer for an item: what a record stores."""

    answer: dict[str, Any] | None
    confidence: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)


class FreeJson(dict[str, Any]):
    """A JSON object in an export row whose keys are its own (a tool's parameters schema, a
    call's arguments). JSON Lines writes it as the object it is; a columnar file keeps it as
    one JSON value (Arrow's JSON type) instead of a struct, whose fields would merge with other
    rows' objects and give each one the others' keys."""


@dataclass(frozen=True)
class RecordView:
    """A record with what export rows need: the item, the answer and its lineage."""

    record_id: int
    item_id: int
    external_id: str
    item: dict[str, Any]
    answer: dict[str, Any] | None
    confidence: float
    method: str
    n_submissions: int
    guideline_version: int
    contributors: tuple[str, ...]
    submissions: tuple[dict[str, Any], ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # the aggregation's (Outcome.details)

    def lineage(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "external_id": self.external_id,
            "confidence": self.confidence,
            "method": self.method,
            "n_submissions": self.n_submissions,
            "guideline_version": self.guideline_version,
            "contributors": list(self.contributors),
            # an audit's review that changed the record says so (services.curation.review)
            **({"corrections": self.details["corrections"]}
               if self.details.get("corrections") else {}),
        }


M = TypeVar("M", bound=BaseModel)
#: A primitive's settings, item and answer models.
S = TypeVar("S", bound=BaseModel)
I = TypeVar("I", bound=BaseModel)  # noqa: E741
A = TypeVar("A", bound=BaseModel)


class Primitive(Generic[S, I, A]):
    """A kind of human-data work. Subclasses set the three models and override the hooks;
    the hooks see the project's settings, items and answers as those models."""

    name: ClassVar[str]
    settings_model: type[S]  # set on the class (a ClassVar cannot name a type variable)
    item_model: type[I]
    answer_model: type[A]
    export_formats: ClassVar[tuple[str, ...]] = ("records",)
    #: What ``policy.method = "auto"`` means for this primitive: a model-based estimator
    #: (categorical answers only) or ``"majority"``, the primitive's own per-item rule.
    default_method: ClassVar[str] = "majority"
    #: Whether the per-item rule weighs each vote by its contributor's gold accuracy.
    skill_weighted: ClassVar[bool] = False

    def parse_settings(self, raw: dict[str, Any] | None) -> S:
        """Validate a project's settings when the project is created or updated."""
        return parse(self.settings_model, raw or {}, "settings")

    def parse_item(self, settings: S, raw: Any, prefix: str = "data") -> dict[str, Any]:
        """Validate one item's data; return it normalised, ready to store."""
        model = parse(self.item_model, raw, prefix)
        self.check_item(settings, model, prefix)
        return model.model_dump(mode="json", exclude_none=True)

    def check_item(self, settings: S, item: I, prefix: str) -> None:
        """Rules across fields of an item; raise ``InvalidInput`` naming the field."""

    def parse_answer(
        self, settings: S, item: dict[str, Any], raw: Any, prefix: str = "answer"
    ) -> dict[str, Any]:
        """Validate a contributor's answer against the item and settings; return it normalised."""
        model = parse(self.answer_model, raw, prefix)
        self.check_answer(settings, item, model, prefix)
        return model.model_dump(mode="json", exclude_none=True)

    def check_answer(
        self, settings: S, item: dict[str, Any], answer: A, prefix: str
    ) -> None:
        """Rules between an answer, its item and the settings."""

    def aggregate(
        self, settings: S, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        """Combine the answers to one item into a record's answer and confidence."""
        raise NotImplementedError

    def aggregate_project(
        self, settings: S, votes_by_item: Mapping[Any, tuple[dict[str, Any], Sequence[Vote]]]
    ) -> dict[Any, Outcome] | None:
        """Re-aggregate every item of a project at once (item key → (item data, votes)), for
        rules that learn from the whole project (``grade``'s rater bias). ``None``: the
        per-item ``aggregate`` is all there is."""
        return None

    def export_row(self, fmt: str, settings: S, record: RecordView) -> dict[str, Any] | None:
        """One export row for ``record`` in format ``fmt``; ``None`` leaves the record out."""
        raise NotImplementedError

    def export_rows(
        self, fmt: str, settings: S, record: RecordView
    ) -> Iterator[dict[str, Any]]:
        """Every export row for ``record`` in format ``fmt``: the one ``export_row`` gives, if
        any. Formats with several rows per record (``rank``'s expanded pairs) override this;
        exporters should call this rather than ``export_row``."""
        row = self.export_row(fmt, settings, record)
        if row is not None:
            yield row

    def answer_json_schema(self, settings: S) -> dict[str, Any]:
        """The JSON Schema of an answer, as a model is told to reply."""
        return self.answer_model.model_json_schema()

    def matches_gold(self, settings: S, answer: dict[str, Any], gold: dict[str, Any]) -> bool:
        """Whether a non-categorical answer on a gold item is right (equal, unless the
        primitive compares its own way)."""
        return answer == gold

    # Categorical primitives (classify, compare) expose class codes to the quality engine.
    def class_names(self, settings: S) -> list[str] | None:
        """The classes an answer picks from, or ``None`` if the answers are not categorical."""
        return None

    def classes(self, settings: S) -> list[str]:
        """The classes of a categorical primitive (``class_names``, known not to be ``None``)."""
        names = self.class_names(settings)
        if names is None:
            raise TypeError(f"{self.name} answers are not categorical")
        return names

    def encode(self, settings: S, answer: dict[str, Any]) -> int:
        """The class code of a categorical answer."""
        raise NotImplementedError(f"{self.name} answers are not categorical")

    def decode(self, settings: S, code: int, confidence: float) -> dict[str, Any]:
        """The answer for class ``code`` (inverse of ``encode``)."""
        raise NotImplementedError(f"{self.name} answers are not categorical")
