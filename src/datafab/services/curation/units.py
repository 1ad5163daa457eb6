"""What an audit looks at in a project: its *units* (one per classify item, one per span of a
spans item), each with the text a classifier reads and the label it currently carries, and
the crowd's posterior where several people labelled an item.

A classify project's unit is its item: the text is the item's ``text`` (else its JSON) and
the label the record's. A spans project's unit is a span of a record: the text is the span's
characters with a few words either side, the label the span's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datafab import quality
from datafab.errors import InvalidInput
from datafab.services import quality as quality_service
from datafab.services.projects import Project
from datafab.store import curation as store
from datafab.store.handles import Connection

PRIMITIVES = ("classify", "spans")
CONTEXT = 40  # characters either side of a span that its unit's text keeps


@dataclass
class Units:
    """The audit's units, in item order."""

    classes: list[str]
    item_ids: list[int] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    spans: list[dict[str, Any] | None] = field(default_factory=list)  # the span (spans only)
    answers: dict[int, Any] = field(default_factory=dict)  # item id → its record's answer
    unlabelled: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, item_id: int, external_id: str, text: str, label: int,
            span: dict[str, Any] | None = None) -> None:
        self.item_ids.append(item_id)
        self.external_ids.append(external_id)
        self.texts.append(text)
        self.labels.append(label)
        self.spans.append(span)


def item_text(data: dict[str, Any]) -> str:
    """The text a classifier reads from an item: its ``text``, else its JSON."""
    if isinstance(data.get("text"), str):
        return data["text"]
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def check_primitive(project: Project) -> None:
    if project.primitive_name not in PRIMITIVES or getattr(project.settings, "multi_label",
                                                           False):
        raise InvalidInput(f"project: an audit reads single-label {' or '.join(PRIMITIVES)} "
                           f"projects; this one is {project.primitive_name}", field="project")


def load_units(conn: Connection, project: Project) -> Units:
    check_primitive(project)
    classes = list(project.settings.labels)  # type: ignore[attr-defined]
    index = {name: n for n, name in enumerate(classes)}
    units = Units(classes)
    for row in store.items_with_records(conn, project.id):
        data = row.data or {}
        if row.answer is None:
            units.unlabelled.append((row.id, row.external_id, item_text(data), row.meta or {}))
            continue
        units.answers[row.id] = row.answer
        if project.primitive_name == "classify":
            label = row.answer.get("label")
            if label in index:
                units.add(row.id, row.external_id, item_text(data), index[label])
            continue
        text = data.get("text", "")
        for span in row.answer.get("spans") or []:
            if span.get("label") in index:
                start, end = int(span["start"]), int(span["end"])
                units.add(row.id, row.external_id,
                          f"{text[max(0, start - CONTEXT):start]} [[{text[start:end]}]] "
                          f"{text[end:end + CONTEXT]}", index[span["label"]], dict(span))
    return units


@dataclass(frozen=True)
class Crowd:
    """The project's estimator's posterior (rows: units) where an item has several labels."""

    posterior: np.ndarray  # (n_units, K)
    several: np.ndarray  # (n_units,) bool: the item has two labels or more
    prior: np.ndarray  # (K,)


def crowd_posterior(conn: Connection, project: Project, units: Units) -> Crowd | None:
    """Refit the project's estimator (contributor skills included) on all its labels; the
    posterior of each unit's item. ``None``: no item has two labels, or not categorical."""
    if project.primitive_name != "classify":
        return None
    data = quality_service.load_labels(conn, project)
    if data is None or data.item.size == 0:
        return None
    per_item = np.bincount(data.item, minlength=len(data.item_ids))
    if per_item.max() < 2:
        return None
    method = quality_service.method_of(project)
    name = method if method in quality.ESTIMATORS else "majority_vote"
    estimator = quality.get_estimator(name)().fit(
        data.item, data.worker, data.label, n_items=len(data.item_ids),
        n_workers=len(data.contributor_ids), n_classes=data.n_classes, gold=data.gold or None)
    position = {int(i): n for n, i in enumerate(data.item_ids)}
    k = data.n_classes
    posterior = np.full((len(units.item_ids), k), 1.0 / k)
    several = np.zeros(len(units.item_ids), bool)
    for u, item_id in enumerate(units.item_ids):
        n = position.get(item_id)
        if n is not None:
            posterior[u] = estimator.probas_[n]
            several[u] = per_item[n] >= 2
    return Crowd(posterior, several, np.asarray(estimator.priors_, dtype=np.float64))
