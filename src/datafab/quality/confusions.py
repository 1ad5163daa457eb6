"""Where contributors go wrong: the most frequent confusions on gold (expected answer →
given answer), how much the answers to each item disagree, and one contributor's own most
frequent mistakes. Plain integer arrays in, plain results out; answers are coded by the
caller (any primitive: a code per distinct answer).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _checked(*arrays: npt.ArrayLike) -> list[npt.NDArray[np.int64]]:
    out = [np.asarray(a, dtype=np.int64) for a in arrays]
    if any(a.ndim != 1 for a in out) or len({len(a) for a in out}) > 1:
        raise ValueError("expected one-dimensional arrays of equal length")
    return out


def top_confusions(expected: npt.ArrayLike, given: npt.ArrayLike, wrong: npt.ArrayLike,
                   k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` most frequent (expected, given) pairs among the wrong answers, with their
    counts: most frequent first, ties by the smaller expected then given code."""
    exp, giv = _checked(expected, given)
    mask = np.asarray(wrong, dtype=bool)
    if mask.shape != exp.shape:
        raise ValueError("wrong: one flag per answer")
    if not mask.any() or k <= 0:
        return []
    pairs, counts = np.unique(np.stack([exp[mask], giv[mask]], axis=1), axis=0,
                              return_counts=True)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -counts))[:k]
    return [(int(pairs[i, 0]), int(pairs[i, 1]), int(counts[i])) for i in order]


def disagreement(item: npt.ArrayLike, label: npt.ArrayLike,
                 min_answers: int = 2) -> list[tuple[int, float, int]]:
    """Per item with at least ``min_answers`` answers: (item, disagreement, answers), most
    disagreed first (ties: more answers, then the smaller item code). Disagreement is the
    share of answers that differ from the item's most frequent answer: 0 when all agree,
    approaching 1 − 1/n when every answer differs."""
    items, labels = _checked(item, label)
    if len(items) == 0:
        return []
    pairs, counts = np.unique(np.stack([items, labels], axis=1), axis=0, return_counts=True)
    ids, first = np.unique(pairs[:, 0], return_index=True)
    totals = np.add.reduceat(counts, first)
    modes = np.maximum.reduceat(counts, first)
    keep = totals >= min_answers
    share = 1.0 - modes[keep] / totals[keep]
    ids, totals = ids[keep], totals[keep]
    order = np.lexsort((ids, -totals, -share))
    return [(int(ids[i]), float(share[i]), int(totals[i])) for i in order]
