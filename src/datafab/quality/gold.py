"""Accuracy on gold (known-answer) items, with a confidence interval."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._inputs import GoldLike, check_gold, check_labels


def wilson_interval(correct: Any, total: Any, z: float = 1.96) -> tuple[Any, Any]:
    r"""Wilson score interval for a binomial proportion (E. B. Wilson, "Probable Inference,
    the Law of Succession, and Statistical Inference", *JASA* 22, 1927):

    ``(p̂ + z²/2n ± z √(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``.

    Works on scalars or arrays; ``total = 0`` gives the uninformative ``(0, 1)``. Unlike the
    normal approximation it stays inside [0, 1] and is sensible at 0/n and n/n.
    """
    k = np.asarray(correct, dtype=np.float64)
    n = np.asarray(total, dtype=np.float64)
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= correct <= total")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z!r}")
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    z2 = z * z
    centre = (p + z2 / (2 * safe)) / (1 + z2 / safe)
    half = z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe**2)) / (1 + z2 / safe)
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def two_sided_z(confidence: float) -> float:
    """The normal quantile ``z`` whose ``±z`` holds ``confidence`` of the mass: 1.96 for 0.95,
    the ``z`` :func:`wilson_interval` takes for an interval at that confidence."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def gold_accuracy(
    item: Any,
    worker: Any,
    label: Any,
    gold: GoldLike,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    z: float = 1.96,
) -> dict[str, np.ndarray]:
    """Per-worker accuracy on gold items: ``{"correct", "total", "accuracy", "low", "high"}``,
    each (n_workers,). ``accuracy`` is NaN for a worker who answered no gold item; every row
    (including repeats) counts."""
    lab = check_labels(item, worker, label, n_items=n_items, n_workers=n_workers)
    n_classes = max(lab.n_classes, int(max(_values(gold), default=-1)) + 1)
    g_items, g_classes = check_gold(gold, lab.n_items, n_classes)
    truth = np.full(lab.n_items, -1, dtype=np.int64)
    truth[g_items] = g_classes
    on_gold = truth[lab.item] >= 0
    w = lab.worker[on_gold]
    right = (lab.label[on_gold] == truth[lab.item[on_gold]]).astype(np.float64)
    correct = np.bincount(w, weights=right, minlength=lab.n_workers)
    total = np.bincount(w, minlength=lab.n_workers).astype(np.float64)
    lo, hi = wilson_interval(correct, total, z)
    acc = np.divide(correct, total, out=np.full(lab.n_workers, np.nan), where=total > 0)
    return {"correct": correct, "total": total, "accuracy": acc, "low": lo, "high": hi}


def _values(gold: GoldLike) -> list[int]:
    if gold is None:
        return []
    if isinstance(gold, dict):
        return [int(v) for v in gold.values()]
    if isinstance(gold, tuple) and len(gold) == 2:
        return [int(v) for v in np.asarray(gold[1]).ravel()]
    return []
