"""Small generated crowds with known truth, for the quality-engine tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Crowd:
    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    truth: np.ndarray
    n_classes: int


def make_crowd(
    n_items: int = 60,
    n_workers: int = 6,
    n_classes: int = 3,
    accuracy: float | np.ndarray = 0.8,
    labels_per_item: int | None = None,
    seed: int = 0,
) -> Crowd:
    """Every worker labels every item (or ``labels_per_item`` random workers do); worker ``w``
    is right with ``accuracy[w]`` and otherwise picks a wrong class uniformly."""
    rng = np.random.default_rng(seed)
    acc = np.broadcast_to(np.asarray(accuracy, dtype=float), (n_workers,))
    truth = rng.integers(0, n_classes, n_items)
    if labels_per_item is None:
        item = np.repeat(np.arange(n_items), n_workers)
        worker = np.tile(np.arange(n_workers), n_items)
    else:
        item = np.repeat(np.arange(n_items), labels_per_item)
        worker = np.concatenate(
            [rng.choice(n_workers, labels_per_item, replace=False) for _ in range(n_items)]
        )
    right = rng.random(item.size) < acc[worker]
    wrong = (truth[item] + rng.integers(1, n_classes, item.size)) % n_classes
    label = np.where(right, truth[item], wrong)
    return Crowd(item, worker, label, truth, n_classes)
