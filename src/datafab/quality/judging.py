"""The planner's judge: how likely a replayed record is right where no truth is known.

The estimator's posterior on every recorded label says how likely each answer is. It is
too sure where contributors err together (the models assume they err independently), so
the gold a project keeps calibrates it. Each gold item is read *blind*, through a fit that
did not know its answer (the gold in ``GOLD_FOLDS`` folds, each read through a fit with
the other folds clamped: a fit that clamps an answer tunes its contributors' confusions to
it and would look right on it more often than on an item nobody knows). On those items the
posterior's confidence in its own answer is set against whether that answer was right; the
gap, per bin of confidence (``BINS``) and shrunk towards the gap over all gold by
``PRIOR_GOLD`` items' worth (a hierarchical estimate: a bin with little gold takes the
overall gap), is the calibration map.

A record's chance of being right is then, where it agrees with the posterior's answer, the
posterior's confidence shifted by its bin's gap; where it does not, the rest of that chance
shared among the other classes in the posterior's proportions. Without ``MIN_GOLD`` gold
items with labels the map is the identity: the posterior stands, and is too sure where
contributors err together. The interval resamples the gold too (the map refitted on each
resample), so few gold items widen it.

Pure NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import get_estimator
from .replay import HASH, Evidence
from .stopping import posteriors

#: Gold items with labels needed before gold calibrates the posterior.
MIN_GOLD = 10
#: Folds of the gold for its blind posteriors.
GOLD_FOLDS = 5
#: Bins of the posterior's confidence in its answer (upper edges; the last closes at 1).
BINS = np.array([0.7, 0.9, 0.99])
#: A bin's gap is shrunk towards the overall gap as if this many gold items showed it.
PRIOR_GOLD = 10.0


@dataclass(frozen=True)
class Judge:
    """What a record's answer is worth: ``probs`` (n_items, K) the chance each class is
    right (the estimator's posterior on every recorded label, gold clamped; or the truth),
    and on gold items ``blind`` (the posterior of a fit that did not know the answer)
    against ``known`` (the gold answer, one-hot), which calibrate it."""

    probs: np.ndarray
    blind: np.ndarray
    known: np.ndarray
    gold: np.ndarray  # gold item codes with labels

    @property
    def calibrated(self) -> bool:
        """Whether there is gold enough to calibrate the posterior (``MIN_GOLD``)."""
        return self.gold.size >= MIN_GOLD

    @property
    def gap(self) -> float:
        """How much more often the posterior's answers are right on gold than it says
        (negative: it is too sure); 0 without gold enough."""
        if not self.calibrated:
            return 0.0
        said, right = self._said_right()
        return float((right - said).mean())

    def _said_right(self) -> tuple[np.ndarray, np.ndarray]:
        said = self.blind.max(axis=1)
        right = self.known[np.arange(self.gold.size), self.blind.argmax(axis=1)]
        return said, right

    def gaps(self, picks: np.ndarray) -> np.ndarray:
        """The calibration map, (R, bins + 1): per resample of the gold (rows of gold
        indices ``picks``), the gap per bin of confidence, shrunk towards the overall."""
        rows = picks.shape[0]
        if not self.calibrated:
            return np.zeros((rows, BINS.size + 1))
        said, right = self._said_right()
        gap = (right - said)[picks]
        where = np.searchsorted(BINS, said, side="right")[picks]
        overall = gap.mean(axis=1, keepdims=True)
        out = np.empty((rows, BINS.size + 1))
        for b in range(BINS.size + 1):
            inside = where == b
            n = inside.sum(axis=1)
            out[:, b] = ((gap * inside).sum(axis=1) + PRIOR_GOLD * overall[:, 0]) \
                / (n + PRIOR_GOLD)
        return out

    def right(self, items: np.ndarray, record: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        """(R, len(items)): each record's chance of being right under each map in
        ``gaps`` (see the module)."""
        p = self.probs[items]
        k = p.shape[1]
        answer = p.argmax(axis=1)
        said = p[np.arange(items.size), answer]
        own = np.where(record >= 0, p[np.arange(items.size), np.maximum(record, 0)], 0.0)
        rest = np.where(said < 1.0, own / np.maximum(1.0 - said, 1e-12), 1.0 / max(k - 1, 1))
        sure = calibrated(said, gaps, k)
        agrees = (record == answer)[None, :]
        chance = np.where(agrees, sure, (1.0 - sure) * rest[None, :])
        return np.where((record >= 0)[None, :], chance, 0.0)


def calibrated(said: np.ndarray, gaps: np.ndarray, k: int) -> np.ndarray:
    """Records' confidences ``said`` read through calibration maps ``gaps`` (a gap per bin
    of ``BINS`` on the last axis; one map or R of them): each shifted by its bin's gap,
    kept between chance (1/k) and 1."""
    shifted: np.ndarray = said + gaps[..., np.searchsorted(BINS, said, side="right")]
    kept: np.ndarray = np.clip(shifted, 1.0 / k, 1.0)
    return kept


def judge(ev: Evidence, method: str) -> Judge:
    """The full-label judge with its blind gold (see the module)."""
    gold = dict(ev.gold)
    probs = np.array(_fit(ev, method, gold).probas_, dtype=np.float64)
    labelled = np.bincount(ev.item, minlength=ev.n_items) > 0
    codes = np.array(sorted(g for g in gold if labelled[g]), dtype=np.int64)
    blind = np.zeros((codes.size, ev.n_classes))
    fold = (codes * HASH) % 2**32 % GOLD_FOLDS
    for f in range(GOLD_FOLDS if codes.size else 0):
        out = codes[fold == f]
        if not out.size:
            continue
        hidden = set(out.tolist())
        part = _fit(ev, method, {g: c for g, c in gold.items() if g not in hidden})
        rows = np.isin(ev.item, out)
        blind[fold == f] = posteriors(ev.item[rows], ev.worker[rows], ev.label[rows],
                                      part.confusions_, part.priors_,
                                      n_items=ev.n_items)[out]
    known = np.zeros((codes.size, ev.n_classes))
    known[np.arange(codes.size), [gold[int(g)] for g in codes]] = 1.0
    return Judge(probs, blind, known, codes)


def truth_judge(truth: np.ndarray) -> Judge:
    """A judge that knows every answer ((n_items, K) one-hot rows): for benchmarks."""
    k = truth.shape[1]
    return Judge(truth, np.zeros((0, k)), np.zeros((0, k)), np.zeros(0, dtype=np.int64))


def _fit(ev: Evidence, method: str, gold: dict[int, int]) -> Any:
    return get_estimator(method)().fit(ev.item, ev.worker, ev.label, n_items=ev.n_items,
                                       n_workers=ev.n_workers, n_classes=ev.n_classes,
                                       gold=gold or None)
