"""Contributor evidence as expected confusion counts, and confusions made from them.

The live line keeps, per contributor, ``counts[c, l]``: how much evidence there is that the
contributor answers ``l`` when the truth is ``c``. A label on a gold item adds 1 at
``[gold, l]``; a label on an ordinary item adds that item's posterior to column ``l`` (the
Dawid–Skene M-step restricted to one item, see :func:`update_counts`). A full fit replaces
the counts with :func:`expected_counts`. Confusions are the counts plus a Dirichlet prior
that leans towards the diagonal, normalised per row, so a contributor with little evidence
looks like a fair, not a perfect, worker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._inputs import as_codes

#: Prior pseudo-counts: ``diagonal`` on the diagonal, ``off_diagonal`` elsewhere.
PRIOR_DIAGONAL = 3.0
PRIOR_OFF_DIAGONAL = 1.0


def prior_counts(n_classes: int) -> np.ndarray:
    prior = np.full((n_classes, n_classes), PRIOR_OFF_DIAGONAL)
    np.fill_diagonal(prior, PRIOR_DIAGONAL)
    return prior


def confusion_from_counts(counts: Any) -> np.ndarray:
    """Row-normalised ``counts + prior``: ``P(answer l | truth c)``, shape (..., K, K)."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim < 2 or c.shape[-1] != c.shape[-2]:
        raise ValueError(f"counts must end in (K, K), got shape {c.shape}")
    if np.any(c < 0):
        raise ValueError("counts must be non-negative")
    smoothed = c + prior_counts(c.shape[-1])
    result: np.ndarray = smoothed / smoothed.sum(axis=-1, keepdims=True)
    return result


def expected_counts(
    item: Any, worker: Any, label: Any, probas: Any, *, n_workers: int
) -> np.ndarray:
    """(n_workers, K, K) expected counts from a fit's posteriors: for each label ``l`` by
    ``w`` on item ``i``, ``probas[i]`` is added to ``counts[w, :, l]``."""
    p = np.asarray(probas, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"probas must be (n_items, K), got shape {p.shape}")
    k = p.shape[1]
    i = as_codes(item, "item")
    w = as_codes(worker, "worker")
    lab = as_codes(label, "label")
    if not (len(i) == len(w) == len(lab)):
        raise ValueError("item, worker and label must have the same length")
    if len(i) and (i.max() >= p.shape[0] or w.max() >= n_workers or lab.max() >= k):
        raise ValueError("a code is out of range for probas or n_workers")
    out = np.zeros(n_workers * k * k)
    for c in range(k):
        flat = (w * k + c) * k + lab
        out += np.bincount(flat, weights=p[i, c], minlength=n_workers * k * k)
    return out.reshape(n_workers, k, k)


def skill_from_confusion(confusion: Any, class_prior: Any) -> float:
    """Probability that the contributor's answer is right: ``Σ_c prior[c] · conf[c, c]``."""
    conf = np.asarray(confusion, dtype=np.float64)
    prior = np.asarray(class_prior, dtype=np.float64)
    return float(np.dot(prior, np.diagonal(conf)))
