"""Simulated crowds: what a policy would do with labels the project has not recorded yet.

A replay of recorded labels (:mod:`datafab.quality.replay`) cannot see past the recorded
depth: a policy that would ask an item for more labels than it got is replayed with the
labels it has, and routing cannot give a hard item to a proven contributor who never saw it.
A *parametric* replay draws the labels instead, from the fitted model of the crowd:

* each item's answer from the estimator's posterior on it (gold items: their gold answer);
* on the recorded (item, contributor) pairs, a label from that contributor's confusion
  (the fit's, shrunk towards the average contributor's by its measured reliability:
  :func:`believed`) — the *shallow* crowd, as deep as the recorded one;
* appended after them, for every item below ``depth`` labels, labels from further
  contributors drawn by their share of the recorded labels (never one who already answered
  the item) — the *deep* crowd, as deep as the policies may ask.

Both crowds are replayed with the line's own code (:func:`~datafab.quality.replay.replay`)
under every candidate (:func:`score`) and each record read as the judge reads a real one,
through the gold's calibration map. The draws assume contributors err independently, so
their accuracies are not the prediction; their *difference* (deep minus shallow, on the
same draws) is what the deeper crowd adds to a policy, at most: where errors are shared,
later labels add less. :mod:`datafab.quality.planning` moves the recorded replay's
prediction part of the way by it. Deterministic under a seed.

Pure NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import get_estimator
from .judging import calibrated
from .replay import HASH, Candidate, Evidence, Skill, replay

#: Rounds of redrawing a contributor who already answered the item before giving up on
#: that label (a small crowd may have no one left).
REDRAWS = 20
#: Contributors seen in both halves of the items needed to measure how far a fit is to be
#: believed (:func:`believed`); with fewer, the fit is taken as it is.
MIN_WORKERS = 5


@dataclass(frozen=True)
class Crowd:
    """One draw: the answers (n_items,) and the shallow and deep evidence."""

    truth: np.ndarray
    shallow: Evidence
    deep: Evidence


def draw(ev: Evidence, sk: Skill, probs: np.ndarray, depth: int,
         rng: np.random.Generator, *, believed: np.ndarray | None = None) -> Crowd:
    """A simulated crowd like ``ev``'s (see the module): answers from ``probs`` (n_items,
    K), labels from the confusions ``believed`` (W, K, K; by default ``sk``'s, see
    :func:`believed`), the deep crowd filled to ``depth`` labels an item."""
    k = ev.n_classes
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    truth = (rng.random(ev.n_items)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    truth = np.minimum(truth, k - 1)
    for g, c in ev.gold.items():
        truth[g] = c
    conf = np.exp(sk.log_conf) if believed is None else believed
    shallow_label = _labels(conf, ev.worker, truth[ev.item], rng)
    shallow = replace(ev, label=shallow_label)
    item, worker = _more(ev, depth, rng)
    deep = replace(ev, item=np.concatenate([ev.item, item]),
                   worker=np.concatenate([ev.worker, worker]),
                   label=np.concatenate([shallow_label, _labels(conf, worker, truth[item], rng)]),
                   cost=_cost(ev, item.size))
    return Crowd(truth, shallow, deep)


def believed(ev: Evidence, sk: Skill, method: str) -> np.ndarray:
    """The confusions to draw labels from: each contributor's fitted one shrunk towards the
    average contributor's by how far a fit on this many of their labels is to be believed.

    A fit on few labels an item spreads the contributors' skills wider than they are (some
    look perfect, some worse than chance); drawing labels from it, a replay reading them
    through the same fit would know exactly who is good, which the line never does. How far
    to believe it is measured, not assumed: the items split in two halves (by a hash), each
    fitted alone, the correlation ``r`` of the contributors' accuracies between the halves
    is the reliability of a fit on half their labels; as in the Spearman–Brown formula, a
    contributor with ``n`` labels is believed ``n / (n + n0)``, with ``n0`` such that half
    the typical contributor's labels give ``r``."""
    conf: np.ndarray = np.exp(sk.log_conf)
    half = (ev.item.astype(np.int64) * HASH) % 2**32 % 2
    acc = []
    for h in (0, 1):
        rows = half == h
        fit = get_estimator(method)().fit(
            ev.item[rows], ev.worker[rows], ev.label[rows], n_items=ev.n_items,
            n_workers=ev.n_workers, n_classes=ev.n_classes,
            gold={g: c for g, c in ev.gold.items() if (g * HASH) % 2**32 % 2 == h} or None)
        pi = np.asarray(fit.priors_, dtype=np.float64)
        acc.append(np.einsum("wcc,c->w", np.asarray(fit.confusions_, dtype=np.float64), pi))
    counts = [np.bincount(ev.worker[half == h], minlength=ev.n_workers) for h in (0, 1)]
    both = (counts[0] > 0) & (counts[1] > 0)
    if both.sum() < MIN_WORKERS or np.std(acc[0][both]) == 0 or np.std(acc[1][both]) == 0:
        return conf
    r = float(np.corrcoef(acc[0][both], acc[1][both])[0, 1])
    n = np.bincount(ev.worker, minlength=ev.n_workers).astype(np.float64)
    if r <= 0:
        trust = np.zeros_like(n)
    else:
        n0 = float(np.median((counts[0] + counts[1])[both])) / 2 * (1 - r) / r
        trust = n / (n + n0)
    shrunk: np.ndarray = sk.average[None] + trust[:, None, None] * (conf - sk.average[None])
    return shrunk


@dataclass(frozen=True)
class Score:
    """A candidate on one simulated crowd, per record: the expected share right, the human
    labels kept and their price."""

    accuracy: float
    labels: float
    cost: float


def score(crowd: Crowd, cand: Candidate, sk: Skill, records: np.ndarray, *, deep: bool,
          gaps: np.ndarray | None = None) -> Score:
    """``cand`` replayed on the deep or the shallow crowd, over ``records``. The share right
    is, without ``gaps``, the share of records whose answer is the drawn one; with ``gaps``
    (the judge's calibration map: a gap per bin of confidence, ``judging.BINS``), the mean
    of each record's confidence shifted by its bin's gap, as the judge reads a real record
    (the draws assume contributors err independently, so the posterior is right about them
    and the gold's correction is what brings them back to the project's crowd)."""
    if not records.size:
        return Score(0.0, 0.0, 0.0)
    got = replay(crowd.deep if deep else crowd.shallow, cand, sk)
    labels, cost = float(got.used[records].mean()), float(got.cost[records].mean())
    if gaps is None:
        return Score(float((got.record[records] == crowd.truth[records]).mean()), labels, cost)
    chance = calibrated(got.confidence[records], gaps, sk.log_prior.size)
    return Score(float(np.where(got.record[records] >= 0, chance, 0.0).mean()), labels, cost)


def _labels(conf: np.ndarray, worker: np.ndarray, truth: np.ndarray,
            rng: np.random.Generator) -> np.ndarray:
    """A label per row from ``conf[worker, truth]`` (rows normalised)."""
    rows = conf[worker, truth]
    rows = rows / rows.sum(axis=1, keepdims=True)
    u = rng.random(worker.size)[:, None]
    drawn: np.ndarray = np.minimum((u > np.cumsum(rows, axis=1)).sum(axis=1), conf.shape[2] - 1)
    return drawn


def _more(ev: Evidence, depth: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(item, worker) rows filling every labelled item to ``depth``: contributors by their
    share of the recorded labels, none twice on an item."""
    per_item = np.bincount(ev.item, minlength=ev.n_items)
    extra = np.where(per_item > 0, np.maximum(depth - per_item, 0), 0)
    item = np.repeat(np.arange(ev.n_items), extra)
    share = np.bincount(ev.worker, minlength=ev.n_workers).astype(np.float64)
    if not item.size or not share.sum() > 0:
        return item, np.zeros(0, dtype=np.int64)
    share /= share.sum()
    w = ev.n_workers
    taken = set((ev.item.astype(np.int64) * w + ev.worker).tolist())
    worker = rng.choice(w, size=item.size, p=share)
    ok = np.zeros(item.size, dtype=bool)
    for _ in range(REDRAWS):
        todo = np.flatnonzero(~ok)
        if not todo.size:
            break
        for r in todo:  # accept in order, so two draws on one item cannot both pass
            key = int(item[r]) * w + int(worker[r])
            if key not in taken:
                taken.add(key)
                ok[r] = True
        todo = np.flatnonzero(~ok)
        worker[todo] = rng.choice(w, size=todo.size, p=share)
    return item[ok], worker[ok]


def _cost(ev: Evidence, extra: int) -> np.ndarray:
    """The deep crowd's prices: recorded ones, then the mean price for drawn labels."""
    cost = np.asarray(ev.cost, dtype=np.float64)
    if cost.ndim == 0 or cost.size == 1:
        return cost
    return np.concatenate([cost, np.full(extra, float(cost.mean()))])
