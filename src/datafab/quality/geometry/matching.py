"""Which objects drawn by different annotators are the same object.

Annotators are taken in order of weight, heaviest first. The first one's objects open the
clusters; each next annotator's objects are assigned to the clusters by the Hungarian method
(``scipy.optimize.linear_sum_assignment``), maximising the summed IoU, where an object's IoU
with a cluster is its mean IoU with the cluster's members. A pair below ``threshold`` is not a
match: that object opens a cluster of its own. A cluster therefore holds at most one object of
each annotator, and which objects share a cluster does not depend on the order they are listed in.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_objects(owner: np.ndarray, iou: np.ndarray, weights: np.ndarray,
                  threshold: float = 0.5) -> np.ndarray:
    """The cluster of each object: ``owner`` (n,) gives each object's annotator index,
    ``iou`` (n, n) the pairwise overlaps, ``weights`` (k,) each annotator's weight (ties go to
    the lower index). Returns (n,) cluster numbers 0, 1, … in order of opening."""
    owner = np.asarray(owner, dtype=np.int64)
    iou = np.asarray(iou, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n = len(owner)
    if iou.shape != (n, n):
        raise ValueError(f"iou must be ({n}, {n}), got {iou.shape}")
    if n and (owner.min() < 0 or owner.max() >= len(weights)):
        raise ValueError("owner holds an annotator index with no weight")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    cluster = np.full(n, -1, dtype=np.int64)
    # member sums: (n objects, clusters) running sum of IoU with each cluster's members
    sums = np.zeros((n, 0))
    sizes = np.zeros(0)
    for annotator in sorted(set(owner.tolist()), key=lambda a: (-weights[a], a)):
        mine = np.flatnonzero(owner == annotator)
        matched = np.zeros(len(mine), dtype=bool)
        if sizes.size:
            score = sums[mine] / sizes[None, :]
            rows, cols = linear_sum_assignment(score, maximize=True)
            for r, c in zip(rows, cols, strict=True):
                if score[r, c] >= threshold:
                    cluster[mine[r]] = c
                    matched[r] = True
        fresh = mine[~matched]
        first = sizes.size
        cluster[fresh] = np.arange(first, first + len(fresh))
        sums = np.concatenate([sums, np.zeros((n, len(fresh)))], axis=1)
        sizes = np.concatenate([sizes, np.zeros(len(fresh))])
        sums[:, cluster[mine]] += iou[:, mine]  # one object per cluster per annotator
        sizes[cluster[mine]] += 1.0
    return _renumber(cluster)


def _renumber(cluster: np.ndarray) -> np.ndarray:
    """Clusters numbered by their first object, so equal partitions compare equal."""
    order: dict[int, int] = {}
    for c in cluster.tolist():
        order.setdefault(c, len(order))
    return np.array([order[c] for c in cluster.tolist()], dtype=np.int64)


def count_matches(iou: np.ndarray, same_label: np.ndarray, threshold: float) -> int:
    """How many pairs of two sets of objects match one to one (Hungarian, most summed IoU)
    with an IoU of at least ``threshold`` and the same label: ``iou`` and ``same_label`` are
    (n, m)."""
    iou = np.asarray(iou, dtype=np.float64)
    if iou.size == 0:
        return 0
    score = np.where(np.asarray(same_label, dtype=bool) & (iou >= threshold), iou, 0.0)
    rows, cols = linear_sum_assignment(score, maximize=True)
    return int(np.count_nonzero(score[rows, cols] > 0))


def f1(n_matched: int, n_found: int, n_true: int) -> float:
    """F1 of ``n_matched`` objects of ``n_found`` against ``n_true`` (1.0 when both are
    empty)."""
    return 1.0 if n_found + n_true == 0 else 2.0 * n_matched / (n_found + n_true)
