"""Contributor value: how many fewer records would be right without one contributor's labels.

The question a lab asks of its workforce is where an hour of human attention does the most
good. For a categorical project aggregated with a confusion-matrix model (Dawid–Skene), the
answer per contributor ``w`` is a leave-one-contributor-out comparison on the items ``w``
labelled:

    value(w) = Σ_i Σ_c J_i(c) · (P_i(c | all labels) - P_i(c | all labels but w's))

the expected number of correct records with ``w`` minus without, where a record's chance of
being right is the probability its posterior gives the true class (an answer drawn from the
record is right), and the truth is judged by ``J_i``: the known answer on gold items;
elsewhere the posterior of the others' labels plus ``w``'s.

``w``'s labels enter both the record and its judge, so both read them through confusions
*cross-fitted* against the others' posteriors on disjoint folds of ``w``'s items, never on
the item itself (see :func:`_added`). A confusion fitted on the same items would credit
``w`` twice: for the evidence and again for agreeing with the posterior it just moved —
self-agreement makes even random answers look reliable to a full fit. Cross-fitted, chance
agreement earns nothing and random labels move records away from the judge on average.

The value is a count of records, so it grows with how much a contributor did; divide by hours
or pay for rates. A contributor answering at random is worth about 0 or less (negative on
average, below every honest contributor: ``tests/quality/test_value.py``). A contributor with
no labels is worth exactly 0.

Computing it exactly needs one refit per contributor. :func:`contributor_values` warm
starts each leave-one-out fit from the full fit instead, restricted to the items the
contributor labelled: with the other contributors' confusions fixed, the posterior of an item
depends only on its own labels, so only those items change. A few EM iterations then update
the confusions of the contributors who shared those items and the class prior (the M-step's
expected counts are the full fit's, minus what the removed items contributed under the old
posteriors, plus what they contribute under the new ones). Changes the updated parameters
would make on other items are second order and ignored; :func:`refit_values` does the naive
full refits, for checking (``bench/value.py`` compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _em
from ._inputs import Gold, GoldLike, Labels, check_gold, check_iterations, check_labels
from .dawid_skene import DawidSkene

PRIOR_FLOOR = 1e-6  # as the estimators' class prior
HASH = 2654435761  # Knuth's multiplicative hash: folds that ignore any order of items
FOLDS = 5  # cross-fitting folds of a contributor's items
#: The other four folds split two and two, each half once the record's and once the judge's:
#: ``PAIRS[n]`` and ``PAIRS[-1 - n]`` are disjoint.
PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


def contributor_values(
    item: Any,
    worker: Any,
    label: Any,
    *,
    confusions: np.ndarray,
    prior: np.ndarray,
    n_items: int | None = None,
    n_workers: int | None = None,
    n_classes: int | None = None,
    gold: GoldLike = None,
    workers: Iterable[int] | None = None,
    n_iter: int = 5,
    prior_correct: float = 0.1,
    prior_wrong: float = 0.05,
) -> np.ndarray:
    """Value of each contributor (n_workers,), warm-started leave-one-out.

    ``confusions`` (W, K, K) and ``prior`` (K,) are the full fit's parameters (a fitted
    :class:`~datafab.quality.DawidSkene`'s ``confusions_`` and ``priors_``);
    ``prior_correct`` / ``prior_wrong`` are the Dirichlet pseudo-counts it was fitted with.
    ``workers`` limits the computation to those codes (the others get ``nan``). ``n_iter``
    EM iterations update the parameters after each removal (0: keep them fixed).
    """
    lab = check_labels(item, worker, label, n_items=n_items, n_workers=n_workers,
                       n_classes=n_classes)
    g = check_gold(gold, lab.n_items, lab.n_classes)
    conf, pi = _check_params(confusions, prior, lab)
    if isinstance(n_iter, bool) or not isinstance(n_iter, int | np.integer) or n_iter < 0:
        raise ValueError(f"n_iter must be a non-negative integer, got {n_iter!r}")
    pseudo = prior_wrong + (prior_correct - prior_wrong) * np.eye(lab.n_classes)
    return _Warm(lab, g, conf, pi, pseudo).values(_chosen(workers, lab.n_workers), int(n_iter))


def refit_values(
    item: Any,
    worker: Any,
    label: Any,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    n_classes: int | None = None,
    gold: GoldLike = None,
    workers: Iterable[int] | None = None,
    n_iter: int = 100,
    tol: float = 1e-5,
) -> np.ndarray:
    """The same values by naive full refits: Dawid–Skene fitted from scratch (to
    convergence) without each contributor's labels, then their labels added back as in
    :func:`contributor_values` (slow; for checking the warm start)."""
    lab = check_labels(item, worker, label, n_items=n_items, n_workers=n_workers,
                       n_classes=n_classes)
    g = check_gold(gold, lab.n_items, lab.n_classes)
    check_iterations(n_iter, tol)
    chosen = _chosen(workers, lab.n_workers)

    pseudo = DawidSkene()._pseudo(lab.n_classes)
    out = np.full(lab.n_workers, np.nan)
    for w in chosen:
        keep = lab.worker != w
        if keep.all():
            out[w] = 0.0
            continue
        sub = Labels(lab.item[keep], lab.worker[keep], lab.label[keep], lab.n_items,
                     lab.n_workers, lab.n_classes)
        est = DawidSkene(n_iter=n_iter, tol=tol)._fit_labels(sub, g)
        out[w] = _Warm(lab, g, est.confusions_, est.priors_, pseudo)._one(int(w), 0)
    return out


def _chosen(workers: Iterable[int] | None, n_workers: int) -> np.ndarray:
    if workers is None:
        return np.arange(n_workers)
    chosen = np.asarray(list(workers), dtype=np.int64)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n_workers):
        raise ValueError(f"workers must be codes in [0, n_workers={n_workers})")
    return chosen


def _check_params(confusions: Any, prior: Any, lab: Labels) -> tuple[np.ndarray, np.ndarray]:
    k, w = lab.n_classes, lab.n_workers
    conf = np.asarray(confusions, dtype=np.float64)
    pi = np.asarray(prior, dtype=np.float64)
    if conf.shape != (w, k, k):
        raise ValueError(f"confusions must have shape ({w}, {k}, {k}), got {conf.shape}")
    if pi.shape != (k,):
        raise ValueError(f"prior must have shape ({k},), got {pi.shape}")
    if not (np.isfinite(conf).all() and np.isfinite(pi).all()) or conf.min() < 0 or pi.min() < 0:
        raise ValueError("confusions and prior must be finite non-negative probabilities")
    return conf, pi / pi.sum()


class _Warm:
    """The full fit laid out for cheap leave-one-out updates."""

    def __init__(self, lab: Labels, g: Gold, conf: np.ndarray, prior: np.ndarray,
                 pseudo: np.ndarray) -> None:
        self.lab, self.k, self.pseudo = lab, lab.n_classes, pseudo
        order = np.argsort(lab.item, kind="stable")
        self.item, self.worker, self.label = lab.item[order], lab.worker[order], lab.label[order]
        per_item = np.bincount(self.item, minlength=lab.n_items)
        self.indptr = np.concatenate(([0], np.cumsum(per_item)))
        self.gold_class = np.full(lab.n_items, -1, dtype=np.int64)
        self.gold_class[g[0]] = g[1]
        # The full fit's posteriors (gold clamped), which the M-step counts from.
        log_conf = _em.safe_log(conf)
        scores = log_conf[self.worker, :, self.label]  # (n_labels, K), rows in item order
        s = np.zeros((lab.n_items, self.k))
        if lab.n_labels:
            _row_sums(s, scores, self.item)
        s += np.log(prior)
        post = _softmax(s)
        self.informed = per_item > 0
        self.informed[g[0]] = True
        post[~(per_item > 0)] = prior
        clamped = post.copy()
        _em.clamp(clamped, g)
        self.post = clamped
        counts = np.zeros((lab.n_workers, self.k, self.k))  # [worker, true, observed]
        np.add.at(counts, (self.worker, slice(None), self.label), clamped[self.item])  # type: ignore[arg-type]  # stubs refuse a slice here
        self.counts = counts
        self.post_sum = clamped[self.informed].sum(axis=0)
        self.n_informed = int(self.informed.sum())
        self.prior = prior
        self.log_conf = log_conf
        by_worker = np.argsort(self.worker, kind="stable")
        self.w_ptr = np.concatenate(([0], np.cumsum(np.bincount(self.worker,
                                                                minlength=lab.n_workers))))
        self.w_items = self.item[by_worker]

    def values(self, chosen: np.ndarray, n_iter: int) -> np.ndarray:
        out = np.full(self.lab.n_workers, np.nan)
        for w in chosen:
            out[w] = self._one(int(w), n_iter)
        return out

    def _one(self, w: int, n_iter: int) -> float:
        k = self.k
        items = np.unique(self.w_items[self.w_ptr[w]:self.w_ptr[w + 1]])
        if items.size == 0:
            return 0.0
        starts, lens = self.indptr[items], np.diff(self.indptr)[items]
        local = np.repeat(np.arange(items.size), lens)
        rows = np.repeat(starts - np.cumsum(np.concatenate(([0], lens[:-1]))), lens)
        rows += np.arange(local.size)
        mine = self.worker[rows] == w
        own_local, own_obs = local[mine], self.label[rows[mine]]
        rows, local = rows[~mine], local[~mine]
        co, co_idx = np.unique(self.worker[rows], return_inverse=True)
        obs = self.label[rows]
        left = np.bincount(local, minlength=items.size) > 0
        gold_class = self.gold_class[items]
        is_gold = gold_class >= 0
        still = left | is_gold
        n_informed = self.n_informed - int((~still).sum())
        # What the removed items contributed to the counts and the prior under the full fit.
        old_post = self.post[items]
        base = self.counts[co].copy()
        np.add.at(base, (co_idx, slice(None), obs), -old_post[local])  # type: ignore[arg-type]  # stubs refuse a slice here
        post_sum = self.post_sum - old_post.sum(axis=0)
        log_conf_co = self.log_conf[co]
        prior = self.prior
        for step in range(n_iter + 1):
            s = np.zeros((items.size, k))
            np.add.at(s, local, log_conf_co[co_idx, :, obs])
            s += np.log(prior)
            post = _softmax(s.copy())
            post[~left] = prior
            clamped = post.copy()
            clamped[is_gold] = 0.0
            clamped[is_gold, gold_class[is_gold]] = 1.0
            if step == n_iter:
                break
            counts = base.copy()
            np.add.at(counts, (co_idx, slice(None), obs), clamped[local])  # type: ignore[arg-type]  # stubs refuse a slice here
            counts += self.pseudo
            log_conf_co = np.log(counts / counts.sum(axis=2, keepdims=True))
            total = post_sum + clamped[still].sum(axis=0)
            prior = np.maximum(total / max(n_informed, 1), PRIOR_FLOOR)
            prior /= prior.sum()
        return _added(s, clamped, own_local, items[own_local], own_obs, gold_class,
                      self.pseudo)


def _added(s: np.ndarray, clamped: np.ndarray, own_local: np.ndarray, own_item: np.ndarray,
           own_obs: np.ndarray, gold_class: np.ndarray, pseudo: np.ndarray) -> float:
    """Expected correct records on one contributor's items with their labels, minus without.

    ``s`` are the others' log scores on the items and ``clamped`` their posteriors (gold
    clamped), against which the contributor's confusion is estimated. Their items are split
    in ``FOLDS`` folds by a hash of the item code (deterministic for given codes, blind to any
    order or period in them). On fold ``f`` the other four folds split two and two: the
    record reads the contributor's labels through the confusion estimated on one half and is
    judged by the posterior that reads them through the one estimated on the other (gold: by
    the known answer); the value averages the six ways to assign the halves. Record and judge
    never share an estimate, so agreement that is only chance earns nothing, and random
    labels move records away from the judge on average.
    """
    k = s.shape[1]
    fold = (own_item * HASH) % 2**32 % FOLDS
    counts = np.zeros((FOLDS, k, k))  # [fold, true, observed]
    np.add.at(counts, (fold, slice(None), own_obs), clamped[own_local])  # type: ignore[arg-type]  # stubs refuse a slice here
    later = [np.roll(counts, -j, axis=0) for j in range(1, FOLDS)]
    read = [_read(s, own_local, _log_rows(later[a] + later[b] + pseudo)[fold, :, own_obs])
            for a, b in PAIRS]
    g = gold_class >= 0
    without = _softmax(s.copy())
    total = 0.0
    for record, judge in zip(read, reversed(read), strict=True):
        judge = judge.copy()
        judge[g] = 0.0
        judge[g, gold_class[g]] = 1.0
        total += float(np.sum(judge * (record - without)))
    return total / len(read)


def _read(s: np.ndarray, own_local: np.ndarray, own_scores: np.ndarray) -> np.ndarray:
    with_own = s.copy()
    np.add.at(with_own, own_local, own_scores)
    return _softmax(with_own)


def _log_rows(counts: np.ndarray) -> np.ndarray:
    logs: np.ndarray = np.log(counts / counts.sum(axis=-1, keepdims=True))
    return logs


def _row_sums(out: np.ndarray, scores: np.ndarray, item: np.ndarray) -> None:
    """``out[item] += scores`` for rows sorted by item (faster than ``np.add.at``)."""
    starts = np.flatnonzero(np.concatenate(([True], item[1:] != item[:-1])))
    out[item[starts]] += np.add.reduceat(scores, starts, axis=0)


def _softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s


