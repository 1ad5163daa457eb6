"""Majority vote."""

from __future__ import annotations

from typing import Self

import numpy as np

from . import _em
from ._base import CategoricalAggregator
from ._inputs import Gold, Labels


def agreement_confusions(
    item: np.ndarray,
    worker: np.ndarray,
    label: np.ndarray,
    consensus: np.ndarray,
    n_workers: int,
    n_classes: int,
    smoothing: float = 1.0,
) -> np.ndarray:
    """(W, K, K) confusions counted against a hard consensus, with ``smoothing`` pseudo-counts
    on the diagonal and ``smoothing / K`` elsewhere. Labels on items without a consensus
    (``-1``) are ignored."""
    k = n_classes
    ok = consensus[item] >= 0
    flat = (worker[ok] * k + consensus[item[ok]]) * k + label[ok]
    counts: np.ndarray = np.bincount(flat, minlength=n_workers * k * k).reshape(n_workers, k, k)
    counts = counts + smoothing / k + smoothing * np.eye(k)
    result: np.ndarray = counts / counts.sum(axis=2, keepdims=True)
    return result


class MajorityVote(CategoricalAggregator):
    """Plurality vote: ``P(c | item) = (# labels c) / (# labels)``.

    The oldest aggregator; the baseline every other method is measured against (e.g. Zheng et
    al., "Truth Inference in Crowdsourcing: Is the Problem Solved?", PVLDB 2017). Ties go to
    the lowest class code (deterministic; the paper breaks them at random). Items without
    labels get ``priors_``, the mean vote share over labelled items. ``skills_`` is each
    worker's share of labels equal to the consensus (NaN for a worker with no labels);
    ``confusions_`` are counted against the consensus with one pseudo-count.
    """

    def _fit_labels(self, lab: Labels, g: Gold) -> MajorityVote:
        return self._fit(lab, g, None)

    def _fit(self, lab: Labels, g: Gold, weights: np.ndarray | None) -> Self:
        post, _ = _em.vote_posterior(lab, g, weights=weights)
        has = lab.items_with_labels()
        informed = has | _gold_mask(g, lab.n_items)
        self.priors_ = _em.class_prior(post, informed)
        post[~informed] = self.priors_
        self.probas_ = post
        self.labels_ = _em.decide(post, has, g[0])
        self.skills_ = consensus_share(lab.item, lab.worker, lab.label, self.labels_, lab.n_workers)
        self.confusions_ = agreement_confusions(
            lab.item, lab.worker, lab.label, self.labels_, lab.n_workers, lab.n_classes
        )
        return self


def consensus_share(
    item: np.ndarray,
    worker: np.ndarray,
    label: np.ndarray,
    consensus: np.ndarray,
    n_workers: int,
) -> np.ndarray:
    """Per worker, the share of their labels equal to ``consensus[item]`` (NaN if none)."""
    ok = consensus[item] >= 0
    hits = np.bincount(worker[ok], weights=(label[ok] == consensus[item[ok]]), minlength=n_workers)
    total = np.bincount(worker[ok], minlength=n_workers)
    result: np.ndarray = np.divide(hits, total, out=np.full(n_workers, np.nan), where=total > 0)
    return result


def _gold_mask(g: tuple[np.ndarray, np.ndarray], n_items: int) -> np.ndarray:
    mask = np.zeros(n_items, dtype=bool)
    mask[g[0]] = True
    return mask
