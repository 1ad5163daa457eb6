"""The cost/quality controller: when has an item got enough labels?

The live line keeps the worker confusion matrices and class prior of the last full fit
(``DawidSkene().fit(...).confusions_`` / ``priors_``, or any categorical estimator's). After
each new label it recomputes that one item's posterior with :func:`item_posterior` (the warm
start) and asks :func:`needs_more` whether to route the item to another worker; the full fit
is redone periodically. Workers the fit has not seen get a default confusion — by default
the population mean of the known workers (the "average worker").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._inputs import as_codes, count


@dataclass(frozen=True)
class StoppingPolicy:
    """Ask for labels until the most likely class reaches ``target_confidence``, never fewer
    than ``min_labels`` nor more than ``max_labels`` per item."""

    min_labels: int = 1
    max_labels: int = 5
    target_confidence: float = 0.95

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


def needs_more(posterior: Any, n_labels: Any, policy: StoppingPolicy) -> Any:
    """Whether an item (posterior (K,), count) or many items ((n, K), (n,)) need more labels.

    True iff ``n_labels < max_labels`` and (``n_labels < min_labels`` or
    ``max(posterior) < target_confidence``). Returns a bool for one item, a bool array for
    many.
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
    more = (n < policy.max_labels) & ((n < policy.min_labels) | (conf < policy.target_confidence))
    return bool(more) if np.ndim(more) == 0 else more


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
    return posteriors(
        np.zeros(lab.size, dtype=np.int64),
        wk,
        lab,
        confusions,
        class_prior,
        n_items=1,
        default_confusion=default_confusion,
    )[0]


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
    return p / p.sum(axis=1, keepdims=True)


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
