"""Weighted majority vote."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _em
from ._inputs import GoldLike, check_gold, check_labels
from .majority_vote import MajorityVote, consensus_share


class WeightedMajorityVote(MajorityVote):
    """Vote where worker ``w`` counts ``weights[w]``: ``P(c | i) ∝ Σ_{labels of i = c} weight``.

    ``fit(..., weights=None)``: with explicit per-worker weights (length ≥ n_workers,
    non-negative, finite) it is the classic weighted vote; without them the weights are each
    worker's agreement with the plain majority (the "Wawa" heuristic of crowd-kit; Ustalov et
    al., JOSS 2024), measured softly as the mean vote share of the classes the worker chose.
    Workers with no labels get weight 0 — they have none to weigh anyway.
    Ties go to the lowest class code; ``skills_`` is agreement with the weighted consensus.
    """

    weights_: np.ndarray

    def fit(
        self,
        item: Any,
        worker: Any,
        label: Any,
        *,
        weights: Any = None,
        n_items: int | None = None,
        n_workers: int | None = None,
        n_classes: int | None = None,
        gold: GoldLike = None,
    ) -> WeightedMajorityVote:
        lab = check_labels(
            item, worker, label, n_items=n_items, n_workers=n_workers, n_classes=n_classes
        )
        g = check_gold(gold, lab.n_items, lab.n_classes)
        if weights is None:
            # soft agreement: mean vote share of the worker's own labels (tie-free, so
            # relabelling the classes permutes the result exactly)
            share, _ = _em.vote_posterior(lab, g)
            hit = share[lab.item, lab.label]
            total = np.bincount(lab.worker, minlength=lab.n_workers)
            w = np.bincount(lab.worker, weights=hit, minlength=lab.n_workers)
            w = np.divide(w, total, out=np.zeros(lab.n_workers), where=total > 0)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.ndim != 1:
                raise ValueError(f"weights must be a 1-D array, got shape {w.shape}")
            if w.size < lab.n_workers:
                raise ValueError(
                    f"weights has {w.size} entries but there are n_workers={lab.n_workers}"
                )
            if not np.all(np.isfinite(w)) or (w.size and w.min() < 0):
                raise ValueError("weights must be finite and non-negative")
        self.weights_ = w
        self._fit(lab, g, w)
        self.skills_ = consensus_share(lab.item, lab.worker, lab.label, self.labels_, lab.n_workers)
        return self
