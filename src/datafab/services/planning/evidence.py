"""A project's recorded labels as the planner's evidence: codes in arrival order, gold,
the model's answers (where a model contributor answered), and what one label costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datafab.errors import InvalidInput
from datafab.quality.replay import Evidence
from datafab.services.projects import Project
from datafab.store import planning as store
from datafab.store.handles import Connection

LABEL_UNIT = "labels"  # the budget's unit when labels are unpaid: one per label


@dataclass(frozen=True)
class Gathered:
    evidence: Evidence
    items: int  # the items the budget is to cover (gold excluded)
    labels: int  # human labels recorded
    unit: str  # the budget's unit: a currency's minor units, or labels
    price: float  # one label's price in that unit
    has_model: bool
    workforce: dict | None  # the workforce policy body, if the project has one


def gather(conn: Connection, project: Project) -> Gathered:
    """Everything the planner reads of ``project``, in one read transaction."""
    names = project.primitive.class_names(project.settings)
    if names is None:
        raise InvalidInput(f"project_id: {project.primitive_name} answers are not categorical; "
                           "the planner needs classes to count right answers",
                           field="project_id")
    encode = project.primitive.encode
    rows = store.label_rows(conn, project.id)
    gold_rows = store.gold_answers(conn, project.id)
    people = [r for r in rows if not r.model]
    item_ids = np.unique(np.array([r.item_id for r in rows] + [g for g, _ in gold_rows],
                                  dtype=np.int64))
    position = {int(i): n for n, i in enumerate(item_ids)}
    contributor_ids = np.unique(np.array([r.contributor_id for r in people], dtype=np.int64))
    who = {int(c): n for n, c in enumerate(contributor_ids)}
    k = len(names)
    model_label = np.full(item_ids.size, -1, dtype=np.int64)
    model_conf = np.full(item_ids.size, np.nan)
    for r in rows:
        if r.model and r.confidence is not None and model_label[position[r.item_id]] < 0:
            model_label[position[r.item_id]] = encode(project.settings, r.answer)
            model_conf[position[r.item_id]] = r.confidence
    workforce = store.workforce_policy(conn, project.id)
    price, unit = 1.0, LABEL_UNIT
    if workforce is not None:
        per_task = int(workforce[0].get("pay", {}).get("per_task_minor", 0) or 0)
        if per_task > 0:
            price, unit = float(per_task), workforce[1]
    models = project.policy.models
    evidence = Evidence(
        item=np.fromiter((position[r.item_id] for r in people), np.int64, len(people)),
        worker=np.fromiter((who[r.contributor_id] for r in people), np.int64, len(people)),
        label=np.fromiter((encode(project.settings, r.answer) for r in people), np.int64,
                          len(people)),
        n_items=int(item_ids.size), n_workers=int(contributor_ids.size), n_classes=k,
        cost=np.array(price), gold={position[g]: encode(project.settings, a)
                                    for g, a in gold_rows},
        model_label=model_label if (model_label >= 0).any() else None,
        model_confidence=model_conf if (model_label >= 0).any() else None,
        model_target_accuracy=models.target_accuracy, model_min_gold=models.min_gold,
        audit_rate=models.audit_rate)
    labelled = np.bincount(evidence.item, minlength=evidence.n_items) > 0
    labelled[list(evidence.gold)] = False
    return Gathered(evidence, max(store.work_items(conn, project.id), int(labelled.sum())),
                    len(people),
                    unit, price, evidence.model_label is not None,
                    None if workforce is None else workforce[0])
