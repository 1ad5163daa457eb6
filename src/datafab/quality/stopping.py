"""The cost/quality controller: when has an item got enough labels?

The live line keeps the worker confusion matrices and class prior of the last full fit
(``DawidSkene().fit(...).confusions_`` / ``priors_``, or any categorical estimator's). After
each new label it recomputes that one item's posterior with :func:`item_posterior` (the warm
start) and asks :func:`needs_more` whether to route the item to another worker; the full fit
is redone periodically. Workers the fit has not seen get a default confusion — by default
the population mean of the known workers (the "average worker").

Confidence alone keeps asking on items that will never be confident (hard or ambiguous
ones) until ``max_labels``. With ``min_gain`` set, the policy also stops an item once every
label it may still get is unlikely to change its answer: :func:`expected_gain` is the exact
rise in the chance the answer is right if the remaining labels came from the average
worker; below ``min_gain`` they would not buy quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations_with_replacement
from math import comb, lgamma
from typing import Any

import numpy as np

from ._inputs import as_codes, count


@dataclass(frozen=True)
class StoppingPolicy:
    """Ask for labels until the most likely class reaches ``target_confidence``, never fewer
    than ``min_labels`` nor more than ``max_labels`` per item; with ``min_gain > 0``, also stop
    once the labels still allowed are expected to raise the chance of a right answer by less
    than ``min_gain`` (:func:`expected_gain`)."""

    min_labels: int = 1
    max_labels: int = 5
    target_confidence: float = 0.95
    min_gain: float = 0.0

    def __post_init__(self) -> None:
        for name in ("min_labels", "max_labels"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if self.max_labels < self.min_labels:
            raise ValueError(
                f"max_labels ({self.max_labels}) must be at least min_labels ({self.min_labels})"
            )
        if not 0.0 < float(self.target_confidence) <= 1.0:
            raise ValueError(f"target_confidence must be in (0, 1], got {self.target_confidence!r}")
        if not 0.0 <= float(self.min_gain) < 1.0:
            raise ValueError(f"min_gain must be in [0, 1), got {self.min_gain!r}")


def needs_more(
    posterior: Any,
    n_labels: Any,
    policy: StoppingPolicy,
    *,
    confusion: Any = None,
    available: Any = None,
) -> Any:
    """Whether an item (posterior (K,), count) or many items ((n, K), (n,)) need more labels.

    True iff ``n_labels < max_labels`` and (``n_labels < min_labels`` or
    ``max(posterior) < target_confidence`` and, when ``policy.min_gain > 0``, the labels
    left up to ``max_labels`` from a worker with ``confusion`` (the average worker, (K, K);
    required then) have an :func:`expected_gain` of at least ``min_gain``). ``available``
    (a count or (n,) counts) lowers ``max_labels`` per item where fewer labels can be had
    (a replay of recorded labels). Returns a bool for one item, a bool array for many.
    """
    p = np.asarray(posterior, dtype=np.float64)
    n = np.asarray(n_labels)
    if p.ndim not in (1, 2):
        raise ValueError(f"posterior must be (K,) or (n, K), got shape {p.shape}")
    if p.shape[-1] == 0:
        raise ValueError("posterior must have at least one class")
    if p.ndim == 2 and n.shape not in ((), (p.shape[0],)):
        raise ValueError(f"n_labels must be a scalar or ({p.shape[0]},), got shape {n.shape}")
    if p.ndim == 1 and n.shape != ():
        raise ValueError("n_labels must be a scalar for a single posterior")
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):
        raise ValueError("n_labels must be non-negative integers")
    conf = p.max(axis=-1)
    cap = policy.max_labels if available is None else np.minimum(available, policy.max_labels)
    more = (n < cap) & ((n < policy.min_labels) | (conf < policy.target_confidence))
    if policy.min_gain > 0:
        if confusion is None:
            raise ValueError("a policy with min_gain needs the average worker's confusion")
        more = np.array(more, copy=True)
        asks = more & (n >= policy.min_labels)
        if np.any(asks):
            left = np.atleast_1d(np.broadcast_to(cap - n, np.shape(asks)))
            chosen = np.flatnonzero(np.atleast_1d(asks))
            gain = expected_gain(np.atleast_2d(p)[chosen], confusion, left[chosen])
            flat = np.atleast_1d(more)
            flat[chosen[gain < policy.min_gain]] = False
            more = flat.reshape(np.shape(more))
    return bool(more) if np.ndim(more) == 0 else more


#: The most label outcomes :func:`expected_gain` enumerates per item; horizons beyond it are
#: shortened (K=2: 511 labels, K=4: 12, K=8: 4).
MAX_OUTCOMES = 512


def expected_gain(posterior: Any, confusion: Any, horizon: Any) -> np.ndarray:
    """Expected rise in the chance the answer is right after ``horizon`` more labels.

    ``posterior`` (K,) or (n, K); ``confusion`` (K, K), the confusion of the worker who
    would give them (the average worker); ``horizon`` a count or (n,) counts. Exact: over
    every count vector ``v`` of the new labels, ``sum_v max_c p(c) P(v | c) - max_c p(c)``
    (the Bayes decision's accuracy after minus before). Zero when no outcome could change
    the answer. Horizons longer than :data:`MAX_OUTCOMES` allows are shortened. Returns
    (n,) (a 1-element array for one posterior).
    """
    p = np.atleast_2d(np.asarray(posterior, dtype=np.float64))
    k = p.shape[1]
    conf = np.asarray(confusion, dtype=np.float64)
    if conf.shape != (k, k) or np.any(conf < 0) or not np.all(np.isfinite(conf)):
        raise ValueError(f"confusion must be a finite non-negative ({k}, {k}) matrix")
    h = np.broadcast_to(np.asarray(horizon), (p.shape[0],))
    if not np.issubdtype(h.dtype, np.integer) or np.any(h < 0):
        raise ValueError("horizon must be non-negative integers")
    h = np.minimum(h, _longest_horizon(k))
    log_conf = np.log(np.maximum(conf / conf.sum(axis=1, keepdims=True), 1e-300))
    gain = np.zeros(p.shape[0])
    for steps in np.unique(h[h > 0]).tolist():
        rows = np.flatnonzero(h == steps)
        counts, log_coef = _outcomes(int(steps), k)
        likelihood = np.exp(log_coef[:, None] + counts @ log_conf.T)  # (outcomes, K)
        for chunk in np.array_split(rows, max(1, rows.size * likelihood.size // 4_000_000)):
            joint = p[chunk, None, :] * likelihood[None]
            gain[chunk] = joint.max(axis=2).sum(axis=1) - p[chunk].max(axis=1)
    return np.maximum(gain, 0.0)


def _longest_horizon(k: int) -> int:
    h = 0
    while comb(h + k, k - 1) <= MAX_OUTCOMES:
        h += 1
    return h


@lru_cache(maxsize=256)
def _outcomes(steps: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every count vector of ``steps`` labels over ``k`` classes, with its log multinomial
    coefficient."""
    counts = np.array(
        [np.bincount(c, minlength=k) for c in combinations_with_replacement(range(k), steps)],
        dtype=np.float64,
    )
    log_coef = lgamma(steps + 1) - np.array([sum(lgamma(x + 1) for x in row) for row in counts])
    counts.setflags(write=False)
    log_coef.setflags(write=False)
    return counts, log_coef


def population_confusion(confusions: Any, weights: Any = None) -> np.ndarray:
    """The (K, K) confusion of the "average worker": the (weighted) mean over workers."""
    conf = _check_confusions(confusions)
    if conf.shape[0] == 0:
        k = conf.shape[1]
        return np.full((k, k), 1.0 / k)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if w is not None and (w.shape != (conf.shape[0],) or np.any(w < 0) or w.sum() <= 0):
        raise ValueError("weights must be (n_workers,), non-negative, with a positive sum")
    return np.average(conf, axis=0, weights=w)


def item_posterior(
    labels: Any,
    workers: Any,
    confusions: Any,
    class_prior: Any,
    *,
    default_confusion: Any = None,
) -> np.ndarray:
    """Posterior (K,) of ONE item from its labels and the workers' confusion matrices.

    ``P(c) ∝ prior[c] Π_j confusions[w_j, c, l_j]`` (the Dawid–Skene E-step for one item).
    A worker code that is negative or ``>= len(confusions)`` (a worker the last fit never
    saw) uses ``default_confusion`` — by default :func:`population_confusion`. With no labels
    the posterior is the prior.
    """
    lab = np.atleast_1d(np.asarray(labels))
    wk = np.atleast_1d(np.asarray(workers))
    result: np.ndarray = posteriors(
        np.zeros(lab.size, dtype=np.int64),
        wk,
        lab,
        confusions,
        class_prior,
        n_items=1,
        default_confusion=default_confusion,
    )[0]
    return result


def posteriors(
    item: Any,
    worker: Any,
    label: Any,
    confusions: Any,
    class_prior: Any,
    *,
    n_items: int | None = None,
    default_confusion: Any = None,
) -> np.ndarray:
    """Posteriors (n_items, K) of many items at once with fixed worker confusions (one
    vectorised E-step). Unknown workers (negative or out-of-range codes) as in
    :func:`item_posterior`."""
    conf = _check_confusions(confusions)
    k = conf.shape[1]
    prior = np.asarray(class_prior, dtype=np.float64)
    if prior.shape != (k,) or np.any(prior < 0) or not prior.sum() > 0:
        raise ValueError(f"class_prior must be ({k},) non-negative with a positive sum")
    it = as_codes(item, "item")
    wk = np.asarray(worker)
    if wk.ndim != 1 or (wk.size and not np.issubdtype(wk.dtype, np.integer)):
        raise ValueError("worker must be a 1-D array of integer codes")
    lb = as_codes(label, "label")
    if not (it.size == wk.size == lb.size):
        raise ValueError(
            f"item, worker and label must have equal lengths, got {it.size}, {wk.size}, {lb.size}"
        )
    if lb.size and lb.max() >= k:
        raise ValueError(f"label holds code {int(lb.max())}, which is not below n_classes={k}")
    ni = count(n_items, it, "n_items", "item")
    if default_confusion is None:
        default = population_confusion(conf)
    else:
        default = np.asarray(default_confusion, dtype=np.float64)
        if default.shape != (k, k):
            raise ValueError(f"default_confusion must be ({k}, {k}), got {default.shape}")
    table = np.log(np.maximum(np.concatenate([conf, default[None]]), 1e-300))
    w = np.where((wk >= 0) & (wk < conf.shape[0]), wk, conf.shape[0]).astype(np.int64)
    contrib = table[w, :, lb]  # (n_labels, K)
    s = np.log(np.maximum(prior / prior.sum(), 1e-300)) + np.stack(
        [np.bincount(it, weights=contrib[:, c], minlength=ni) for c in range(k)], axis=1
    )
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s)
    result: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return result


def update_counts(counts: Any, workers: Any, labels: Any, posterior: Any) -> np.ndarray:
    """Incremental skill update: add one item's evidence to per-worker expected counts.

    ``counts`` is (W, K, K) expected counts ``n_w[c, l]`` (e.g. from the last fit); for each
    label ``l_j`` by ``w_j`` on an item with posterior ``p`` it adds ``p`` to
    ``counts[w_j, :, l_j]`` — the Dawid–Skene M-step restricted to that item. Normalise rows
    (plus a prior) to get confusions. Returns a new array.
    """
    out = np.array(counts, dtype=np.float64)
    if out.ndim != 3 or out.shape[1] != out.shape[2]:
        raise ValueError(f"counts must be (W, K, K), got shape {out.shape}")
    wk = as_codes(np.atleast_1d(workers), "workers")
    lb = as_codes(np.atleast_1d(labels), "labels")
    p = np.asarray(posterior, dtype=np.float64)
    if wk.size != lb.size:
        raise ValueError("workers and labels must have equal lengths")
    if p.shape != (out.shape[1],):
        raise ValueError(f"posterior must be ({out.shape[1]},), got {p.shape}")
    if wk.size and wk.max() >= out.shape[0]:
        raise ValueError("workers holds a code not below the number of workers in counts")
    if lb.size and lb.max() >= out.shape[1]:
        raise ValueError("labels holds a code not below n_classes")
    for w, lab in zip(wk.tolist(), lb.tolist(), strict=True):
        out[w, :, lab] += p
    return out


def _check_confusions(confusions: Any) -> np.ndarray:
    conf = np.asarray(confusions, dtype=np.float64)
    if conf.ndim != 3 or conf.shape[1] != conf.shape[2] or conf.shape[1] == 0:
        raise ValueError(f"confusions must be (n_workers, K, K), got shape {conf.shape}")
    if np.any(conf < 0) or not np.all(np.isfinite(conf)):
        raise ValueError("confusions must be finite and non-negative")
    return conf
