"""What every categorical truth-inference estimator shares: the fit signature and results."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from ._inputs import Gold, GoldLike, Labels, check_gold, check_labels


class CategoricalAggregator:
    """Base of the categorical estimators.

    ``fit(item, worker, label, *, n_items=None, n_workers=None, n_classes=None, gold=None)``
    takes three equal-length arrays of non-negative integer codes (one row per label; repeated
    (item, worker) pairs are all kept, each row counting as one label) and returns ``self``
    with:

    * ``probas_`` (n_items, n_classes): posterior over the true class of each item. Items
      without labels get the fitted class prior (uniform for the vote-based methods).
    * ``labels_`` (n_items,): most probable class (lowest code on ties); **-1 for items with no
      labels** (and no gold), so they are never mistaken for a decision.
    * ``skills_`` (n_workers,): per-worker skill — the estimated probability the worker's
      label is right, except GLAD (ability α).
    * ``confusions_`` (n_workers, K, K): ``P(observed l | true c)`` per worker, rows = true
      class. Workers with no labels get the prior-mean worker. Used by
      :func:`datafab.quality.item_posterior` to update one item between refits.
    * ``priors_`` (K,): class prior used in the posterior.

    ``gold`` (a dict ``{item: class}`` or a pair of arrays) clamps those items' posteriors to
    one-hot throughout fitting.
    """

    labels_: np.ndarray
    probas_: np.ndarray
    skills_: np.ndarray
    confusions_: np.ndarray
    priors_: np.ndarray

    def fit(
        self,
        item: Any,
        worker: Any,
        label: Any,
        *,
        n_items: int | None = None,
        n_workers: int | None = None,
        n_classes: int | None = None,
        gold: GoldLike = None,
    ) -> Self:
        """Validate the labels and the gold up front (a clear ``ValueError`` naming what is
        wrong), then fit."""
        lab = check_labels(
            item, worker, label, n_items=n_items, n_workers=n_workers, n_classes=n_classes
        )
        return self._fit_labels(lab, check_gold(gold, lab.n_items, lab.n_classes))

    def _fit_labels(self, lab: Labels, g: Gold) -> Self:  # pragma: no cover - overridden
        """Fit on validated labels and gold (items, classes); each estimator's own."""
        raise NotImplementedError

    def fit_predict(self, item: Any, worker: Any, label: Any, **kwargs: Any) -> np.ndarray:
        """``fit(...)`` then return ``labels_``."""
        return self.fit(item, worker, label, **kwargs).labels_

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"
