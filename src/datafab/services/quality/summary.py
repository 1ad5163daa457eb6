"""The quality summary a requester reads: agreement, per-contributor accuracy and skill,
label spend and the estimated record accuracy."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from datafab import quality
from datafab.foundry import Foundry
from datafab.quality.counts import confusion_from_counts, skill_from_confusion
from datafab.services.projects import load_project
from datafab.services.quality.labels import Labels, LabelSets, load_label_sets, load_labels
from datafab.services.quality.methods import method_of
from datafab.store import quality as store
from datafab.store import submitting


def summary(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    """Agreement, per-contributor accuracy and skill, label spend, estimated record accuracy."""
    from datafab.services.site_keys import Pseudonyms

    anonymise = Pseudonyms(foundry)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        data = load_labels(conn, project)
        sets = load_label_sets(conn, project) if data is None else None
        skills = {s.contributor_id: s for s in store.skills(conn, project.id)}
        per_contributor = submitting.labels_per_contributor(conn, project.id)
        fit = store.fit_of(conn, project.id)
        spend = store.record_spend(conn, project.id)
        n_labels = store.count_counted(conn, project.id)
    prior = np.asarray(fit.class_prior) if fit is not None else None
    if data is not None:
        consensus_share = _agreement_with_consensus(data)
        agreement = _agreement(data)
    elif sets is not None:
        consensus_share = _set_agreement_with_consensus(sets)
        agreement = _set_agreement(sets)
    else:
        consensus_share, agreement = {}, _NO_AGREEMENT
    contributors = []
    for contributor_id in sorted(set(skills) | set(per_contributor)):
        s = skills.get(contributor_id)
        seen, right = (s.gold_seen, s.gold_correct) if s is not None else (0, 0)
        low, high = quality.wilson_interval(right, seen)
        entry = {
            "contributor": anonymise(project.id, contributor_id),
            "labels": per_contributor.get(contributor_id, 0),
            "gold_seen": seen,
            "gold_correct": right,
            "gold_accuracy": right / seen if seen else None,
            "gold_accuracy_ci": [float(low), float(high)] if seen else None,
            "agreement_with_consensus": consensus_share.get(contributor_id),
            "skill": None,
        }
        if (s is not None and s.counts and prior is not None
                and np.shape(s.counts) == (len(prior), len(prior))):
            entry["skill"] = skill_from_confusion(confusion_from_counts(s.counts), prior)
        contributors.append(entry)
    records, mean_confidence, finished = spend
    return {
        "method": method_of(project),
        "fitted_at": fit.fitted_at if fit is not None else None,
        "labels": int(n_labels),
        "records": int(records),
        "finished_records": int(finished),
        "labels_per_record": n_labels / records if records else None,
        "estimated_accuracy": float(mean_confidence) if records else None,
        "agreement": agreement,
        "contributors": sorted(contributors, key=lambda c: -c["labels"]),
    }


_NO_AGREEMENT: dict[str, Any] = {"krippendorff_alpha": None, "fleiss_kappa": None,
                                 "cohen_kappa": None, "distance": None}


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _agreement(data: Labels) -> dict[str, Any]:
    """Krippendorff's alpha and Fleiss' kappa over every item labelled twice or more, and
    Cohen's kappa when exactly two contributors labelled the project (on the items both
    labelled)."""
    out = dict(_NO_AGREEMENT, distance="nominal")
    if len(data.label) < 2:
        return out
    out["krippendorff_alpha"] = _number(
        quality.krippendorff_alpha_from_labels(data.item, data.label))
    out["fleiss_kappa"] = _number(quality.fleiss_kappa(quality.category_counts(
        data.item, data.label, n_items=len(data.item_ids), n_classes=data.n_classes)))
    if len(data.contributor_ids) == 2:
        first = {int(i): int(lab) for i, w, lab in zip(data.item, data.worker, data.label,
                                                        strict=True) if w == 0}
        second = {int(i): int(lab) for i, w, lab in zip(data.item, data.worker, data.label,
                                                         strict=True) if w == 1}
        both = sorted(set(first) & set(second))
        if both:
            out["cohen_kappa"] = _number(quality.cohen_kappa(
                [first[i] for i in both], [second[i] for i in both],
                n_classes=data.n_classes))
    return out


def _set_agreement(data: LabelSets) -> dict[str, Any]:
    out = dict(_NO_AGREEMENT, distance="masi")
    if len(data.sets) > 1:
        out["krippendorff_alpha"] = _number(quality.krippendorff_alpha_sets(data.item,
                                                                            data.sets))
    return out


def _set_agreement_with_consensus(data: LabelSets) -> dict[int, float | None]:
    """Each contributor's mean MASI similarity to the item's consensus set (the labels more
    than half of its labellers chose, as the record is made), on items labelled twice or
    more."""
    if not data.sets:
        return {}
    n_items = int(data.item.max()) + 1
    per_item: list[list[frozenset]] = [[] for _ in range(n_items)]
    for i, s in zip(data.item.tolist(), data.sets, strict=True):
        per_item[i].append(s)
    consensus: list[frozenset | None] = []
    for answers in per_item:
        if len(answers) < 2:
            consensus.append(None)
            continue
        votes: dict[Any, int] = defaultdict(int)
        for s in answers:
            for label in s:
                votes[label] += 1
        consensus.append(frozenset(k for k, v in votes.items() if v > len(answers) / 2))
    share = quality.set_agreement(data.item, data.worker, data.sets, consensus,
                                  n_workers=len(data.contributor_ids))
    return {int(cid): _number(v) for cid, v in zip(data.contributor_ids, share, strict=True)}


def _agreement_with_consensus(data: Labels) -> dict[int, float | None]:
    if len(data.label) == 0:
        return {}
    consensus = quality.MajorityVote().fit(
        data.item, data.worker, data.label, n_items=len(data.item_ids),
        n_workers=len(data.contributor_ids), n_classes=data.n_classes,
    ).labels_
    share = quality.worker_agreement(data.item, data.worker, data.label, consensus,
                                     n_workers=len(data.contributor_ids))
    return {int(cid): (None if np.isnan(v) else float(v))
            for cid, v in zip(data.contributor_ids, share, strict=True)}
