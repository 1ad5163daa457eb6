"""Choosing which unlabelled items to label next, and the learning curve that shows whether
the choice pays: uncertainty and diversity under a classifier trained on the project's
labelled items (TF-IDF or embeddings), or under a committee of such classifiers trained on
bootstrap resamples of the labels (method ``committee``), items of weak slices (named by
hand or by an eval run's gap report) first. The chosen items' priority is raised above every other
item's, in the order chosen, so leases hand them out first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from datafab.errors import InvalidInput
from datafab.evals.gaps import slice_keys
from datafab.foundry import Foundry
from datafab.quality import curation as maths
from datafab.services.curation.audit import check_units, features_for
from datafab.services.curation.embeddings import EmbeddingsEndpoint
from datafab.services.curation.units import load_units
from datafab.services.projects import load_project
from datafab.store import curation as store


def weak_slices_of(foundry: Foundry, organization: int, gap_run: int | None,
                   named: list[str]) -> set[str]:
    """The slices named by hand plus the gaps of an eval run's gap report."""
    weak = set(named)
    if gap_run is not None:
        from datafab.services import evals

        weak |= {g["slice"] for g in evals.gap_report(foundry, organization, gap_run)["gaps"]}
    return weak


def _item_slices(meta: dict[str, Any], data_text: str) -> list[str]:
    slices = meta.get("slices") if isinstance(meta, dict) else None
    return slice_keys(slices) if isinstance(slices, dict) else []


def check_method(method: str) -> None:
    """``InvalidInput`` naming ``method`` unless it is one of ``quality.curation.METHODS``."""
    if method not in maths.METHODS:
        raise InvalidInput(f"method: must be one of {', '.join(maths.METHODS)}, "
                           f"not {method!r}", field="method")


def select_items(foundry: Foundry, organization: int, project_id: int, n: int, *,
                 weak_slices: list[str] | None = None, gap_run: int | None = None,
                 embeddings: EmbeddingsEndpoint | None = None,
                 method: str = "margin") -> dict[str, Any]:
    """Choose ``n`` open unlabelled items and raise their priority; what was chosen.
    ``method``: what uncertainty is read from (``quality.curation.METHODS``)."""
    if n < 1:
        raise InvalidInput("n: must be at least 1", field="n")
    check_method(method)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        units = load_units(conn, project)
    check_units(units)
    candidates = [u for u in units.unlabelled]
    if not candidates:
        raise InvalidInput("n: the project has no unlabelled items to choose from",
                           field="n")
    n = min(n, len(candidates))
    weak_names = weak_slices_of(foundry, organization, gap_run, list(weak_slices or []))
    texts = units.texts + [c[2] for c in candidates]
    x = features_for(texts, embeddings)
    labelled, pool = x[: len(units.texts)], x[len(units.texts):]
    y = np.asarray(units.labels, dtype=np.int64)
    proba = maths.selection_proba(labelled, y, len(units.classes), pool, method=method)
    weak = np.array([bool(weak_names & set(_item_slices(c[3], c[2]))) for c in candidates])
    order = maths.select(proba, pool, n, weak=weak)
    uncertainty = maths.margin_uncertainty(proba)
    with foundry.db.write() as conn:  # above every other item's, read where it is written
        top = store.top_priority(conn, project.id)
        store.raise_priority(conn, {candidates[int(i)][0]: top + n - rank
                                    for rank, i in enumerate(order)})
    return {"project_id": project.id, "selected": [
        {"external_id": candidates[int(i)][1], "priority": top + n - rank,
         "uncertainty": round(float(uncertainty[int(i)]), 6), "weak_slice": bool(weak[int(i)])}
        for rank, i in enumerate(order)], "weak_slices": sorted(weak_names)}


def learning_curve(foundry: Foundry, organization: int, project_id: int, *,
                   steps: int = 8) -> dict[str, Any]:
    """Held-out accuracy against labels spent, random order against selected order, on the
    project's labelled items (``available: False`` when there are too few)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        units = load_units(conn, project)
    labelled = len(units.labels)
    if labelled < 60 or len(set(units.labels)) < 2:
        return {"available": False, "labelled": labelled}
    pool = labelled - max(len(units.classes), round(0.25 * labelled))
    start = max(10, pool // (4 * steps))
    batch = max(1, (pool - start) // steps)
    x = features_for(units.texts, None)
    curves = maths.learning_curves(x, np.asarray(units.labels), len(units.classes),
                                   start=start, batch=batch, steps=steps)
    return {"available": True, "labelled": labelled, **curves,
            "label_share": maths.labels_to_reach(curves)}
