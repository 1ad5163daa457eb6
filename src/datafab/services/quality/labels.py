"""A project's labels as the quality engine's arrays (one query each): the categorical
labels a refit and the summary read, and a multi-label project's label sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datafab.services.projects import Project
from datafab.store import quality as store
from datafab.store.handles import Connection


@dataclass(frozen=True)
class Labels:
    """A project's labels as the quality engine's arrays, with the ids behind the codes."""

    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    item_ids: np.ndarray
    contributor_ids: np.ndarray
    gold: dict[int, int]
    n_classes: int
    last_submission: int = 0  # the newest submission read: later ones are not in the arrays


def load_labels(conn: Connection, project: Project) -> Labels | None:
    """Every counted label of a categorical project, in one query."""
    names = project.primitive.class_names(project.settings)
    if names is None:
        return None
    rows = store.counted_labels(conn, project.id)
    gold_rows = store.gold_answers(conn, project.id)
    raw_items = np.fromiter((r.item_id for r in rows), dtype=np.int64, count=len(rows))
    raw_workers = np.fromiter((r.contributor_id for r in rows), dtype=np.int64, count=len(rows))
    encode = project.primitive.encode
    label = np.fromiter((encode(project.settings, r.answer) for r in rows), dtype=np.int64,
                        count=len(rows))
    item_ids, item = np.unique(raw_items, return_inverse=True)
    contributor_ids, worker = np.unique(raw_workers, return_inverse=True)
    position = {int(i): n for n, i in enumerate(item_ids)}
    gold = {position[g.id]: encode(project.settings, g.gold_answer)
            for g in gold_rows if g.id in position}
    return Labels(item, worker, label, item_ids, contributor_ids, gold, len(names),
                  max((r.id for r in rows), default=0))


@dataclass(frozen=True)
class LabelSets:
    """A multi-label project's answers: one label set per (item, contributor)."""

    item: np.ndarray
    worker: np.ndarray
    sets: list[frozenset]
    contributor_ids: np.ndarray


def load_label_sets(conn: Connection, project: Project) -> LabelSets | None:
    """Every counted answer of a multi-label classify project, as label sets."""
    if not getattr(project.settings, "multi_label", False):
        return None
    rows = store.counted_answers(conn, project.id)
    raw_items = np.array([r.item_id for r in rows], dtype=np.int64)
    raw_workers = np.array([r.contributor_id for r in rows], dtype=np.int64)
    _, item = np.unique(raw_items, return_inverse=True)
    contributor_ids, worker = np.unique(raw_workers, return_inverse=True)
    sets = [frozenset((r.answer or {}).get("labels") or ()) for r in rows]
    return LabelSets(item.astype(np.int64), worker.astype(np.int64), sets, contributor_ids)
