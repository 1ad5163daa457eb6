"""Changing a project's labels once answers name them.

Every stored answer names its labels, and the quality engine's state is indexed by label
position (each contributor's confusion counts, the class prior). A label change that keeps
every old label (new labels added, in any order) is safe: the state is moved to the new
positions by name. A change that drops or renames a label must say where its answers go with
``label_map`` (``{"old": "new"}``; two old labels may map to one new label, which merges
them). Then, in the same transaction, every answer (submissions, gold and prior answers) is
rewritten, the counts and prior are moved (merged rows and columns add up), every record is
recomputed from its rewritten votes, and the audit log says what was mapped. Without a map
the change is refused (409, naming ``settings.labels``) and nothing is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel

from datafab.errors import Conflict, InvalidInput
from datafab.foundry import Foundry
from datafab.services.items import _hash as content_hash
from datafab.services.projects import Project
from datafab.store import relabel as store
from datafab.store.handles import Connection


def label_mapping(
    old: list[str], new: list[str], label_map: dict[str, str] | None, answered: bool
) -> dict[str, str] | None:
    """Where each old label's answers go (``None``: nothing to rewrite). Raises ``Conflict``
    when answers exist and an old label would be left without a place; ``InvalidInput``
    when the map names a label the project never had or will not have."""
    label_map = label_map or {}
    for source, target in label_map.items():
        if source not in old:
            raise InvalidInput(f"label_map: {source!r} is not one of the project's labels "
                               f"{old}", field="label_map")
        if target not in new:
            raise InvalidInput(f"label_map.{source}: {target!r} is not one of the new labels "
                               f"{new}", field=f"label_map.{source}")
    if not answered:
        return None
    mapping = {label: label_map.get(label, label) for label in old}
    lost = [label for label, target in mapping.items() if target not in new]
    if lost:
        raise Conflict(
            f"settings.labels: the project has answers naming {', '.join(map(repr, lost))}, "
            "which the new labels drop; say where their answers go with label_map "
            f"(for example {{\"{lost[0]}\": \"{new[0]}\"}}), or keep every old label",
            field="settings.labels")
    return mapping


def labels_of(settings: BaseModel) -> list[str] | None:
    labels = getattr(settings, "labels", None)
    return list(labels) if labels is not None else None


def check_change(
    conn: Connection, project: Project, new_settings: BaseModel,
    label_map: dict[str, str] | None,
) -> dict[str, str] | None:
    """The mapping to apply for a settings change (``None``: nothing to rewrite); refuses a
    change the stored answers cannot follow."""
    old, new = labels_of(project.settings), labels_of(new_settings)
    if old is None or new is None or old == new:
        if label_map:
            raise InvalidInput("label_map: only for a change of settings.labels",
                               field="label_map")
        return None
    answered = store.has_answers(conn, project.id)
    if answered and getattr(project.settings, "multi_label", False) != getattr(
            new_settings, "multi_label", False):
        raise Conflict("settings.multi_label: the project has answers in the other form",
                       field="settings.multi_label")
    return label_mapping(old, new, label_map, answered)


def map_answer(answer: Any, mapping: dict[str, str]) -> Any:
    """An answer with its labels renamed: ``{"label"}``, ``{"labels": [...]}`` (merged labels
    appear once) and spans' ``{"spans": [{"label"}]}``; anything else unchanged."""
    if not isinstance(answer, dict):
        return answer
    out = dict(answer)
    if isinstance(out.get("label"), str):
        out["label"] = mapping.get(out["label"], out["label"])
    if isinstance(out.get("labels"), list):
        out["labels"] = list(dict.fromkeys(mapping.get(x, x) if isinstance(x, str) else x
                                           for x in out["labels"]))
    if isinstance(out.get("spans"), list):
        out["spans"] = [{**s, "label": mapping.get(s["label"], s["label"])}
                        if isinstance(s, dict) and isinstance(s.get("label"), str) else s
                        for s in out["spans"]]
    return out


def move_counts(counts: np.ndarray, old: list[str], new: list[str],
                mapping: dict[str, str]) -> np.ndarray:
    """Confusion counts (true × given, old positions) at the new positions; merged labels'
    rows and columns add up, new labels start at zero."""
    to = np.array([new.index(mapping[label]) for label in old])
    moved = np.zeros((len(new), len(new)))
    np.add.at(moved, (to[:, None], to[None, :]), counts)
    return moved


def move_prior(prior: np.ndarray, old: list[str], new: list[str],
               mapping: dict[str, str]) -> np.ndarray:
    """The class prior at the new positions; a new label gets a small share, so the next
    fit can find it."""
    moved = np.zeros(len(new))
    np.add.at(moved, [new.index(mapping[label]) for label in old], prior)
    moved = np.maximum(moved, 1e-3)
    return moved / moved.sum()


def apply(
    foundry: Foundry, conn: Connection, before: Project, after: Project,
    mapping: dict[str, str], now: float,
) -> dict[str, Any]:
    """Rewrite every answer of the project with ``mapping`` and recompute its records (in the
    caller's transaction, after the project row holds the new settings). Returns what the
    audit log keeps."""
    from datafab.services import quality

    old, new = labels_of(before.settings), labels_of(after.settings)
    assert old is not None and new is not None  # check_change found both label lists
    changed = {k: v for k, v in mapping.items() if k != v}
    items = []
    for r in store.item_answers(conn, before.id):
        gold = map_answer(r.gold_answer, mapping)
        # A gold item re-sent with its answer in the new labels is the same item.
        digest = r.content_hash if gold == r.gold_answer else content_hash(
            {"data": r.data, "gold_answer": gold, "meta": r.meta})
        items.append({"id": r.id, "gold": gold, "prior": map_answer(r.prior_answer, mapping),
                      "hash": digest})
    store.set_item_answers(conn, items)
    subs = [{"id": r.id, "answer": map_answer(r.answer, mapping),
             "draft": map_answer(r.draft, mapping)}
            for r in store.submission_answers(conn, before.id)]
    store.set_submission_answers(conn, subs)
    k = len(old)
    store.set_skill_counts(conn, [
        {"project": before.id, "contributor": r.contributor_id,
         "counts": move_counts(np.asarray(r.counts, dtype=np.float64), old, new,
                               mapping).tolist()}
        for r in store.skill_counts(conn, before.id)
        if r.counts is not None and np.shape(r.counts) == (k, k)])
    prior = store.class_prior(conn, before.id)
    if prior is not None and len(prior) == k:
        store.set_class_prior(conn, before.id, move_prior(
            np.asarray(prior, dtype=np.float64), old, new, mapping).tolist())
    forget(foundry, before.id)
    recorded = store.recorded_items(conn, before.id)
    quality.recompute_records(foundry, conn, after, recorded, now)
    # a reviewed record stands through the recompute; only its labels are renamed
    store.set_reviewed_answers(conn, [
        {"item": r.item_id, "answer": map_answer(r.answer, mapping)}
        for r in store.reviewed_answers(conn, before.id)])
    return {"labels_before": old, "labels_after": new, "label_map": changed,
            "answers_rewritten": len(subs), "items_rewritten": len(items),
            "records_recomputed": len(recorded)}


def forget(foundry: Foundry, project_id: int) -> None:
    """Drop what this process cached about the project's quality state."""
    for key in ("project", "prior", "crowd"):
        foundry.cache.forget((key, project_id))
