"""Replaying recorded labels under a candidate policy: which labels the line would have
asked for, and what the records would have been.

The labels a project has recorded are its evidence of how its contributors answer. Under a
candidate policy an item gets its recorded labels in the order they came (people who would
have answered it), and the line's own stopping rule
(:func:`~datafab.quality.stopping.needs_more`) says after each one whether it wants another.
Between refits the line reads every item through the contributors' confusions and the class
prior of the last full fit of the project's estimator (``quality.ESTIMATORS``;
:func:`~datafab.quality.stopping.item_posterior`, the warm start), and so does the replay:
the record is the item's posterior where it stopped. With a model attached, the line's own
routing (:func:`~datafab.quality.routing.decide`) accepts a model's answer alone
(model-first), or the model's answer counts as one more vote, read through its stated
confidence (model-as-suggestion). Routing hard items to proven contributors puts, on an item
still unsure after its first labels, the recorded labels of proven contributors first.

Pure NumPy; every function takes plain arrays and returns plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .calibration import CONFIDENCE_BINS, at_or_above, confidence_bin
from .routing import decide
from .stopping import StoppingPolicy, needs_more, population_confusion

ModelUse = Literal["none", "first", "suggest"]
HASH = 2654435761  # Knuth's multiplicative hash: the audit draw per item, order-blind


@dataclass(frozen=True)
class Candidate:
    """One policy the planner can recommend (the fields a project's policy sets)."""

    min_labels: int
    max_labels: int
    target_confidence: float  # 1.0 with min = max: a fixed number of labels
    gold_rate: float = 0.0
    model: ModelUse = "none"
    accept_confidence: float = 0.9
    route_hard: bool = False
    hard_min_accuracy: float = 0.9  # who is proven (route_hard)
    hard_below: float = 0.7  # an item is hard while its confidence is below this

    @property
    def fixed(self) -> bool:
        return self.min_labels == self.max_labels

    @property
    def cost_factor(self) -> float:
        """What a record's labels cost is multiplied by: the gold leases the gold rate adds
        (``gold_rate / (1 - gold_rate)`` of them per item leased)."""
        return 1.0 + (self.gold_rate / (1.0 - self.gold_rate) if self.gold_rate else 0.0)

    def describe(self) -> str:
        rule = (f"{self.max_labels} label{'s' if self.max_labels != 1 else ''} per item"
                if self.fixed else
                f"{self.min_labels}-{self.max_labels} labels, stop at "
                f"{self.target_confidence:.2f}")
        extra = [f"gold {self.gold_rate:.0%}"] if self.gold_rate else []
        if self.model == "first":
            extra.append(f"model first (accept ≥ {self.accept_confidence:.2f})")
        elif self.model == "suggest":
            extra.append("model as suggestion")
        if self.route_hard:
            extra.append(f"hard items to contributors ≥ {self.hard_min_accuracy:.2f}")
        return "; ".join([rule, *extra])


@dataclass(frozen=True)
class Evidence:
    """A project's recorded labels, in time order, as codes.

    ``cost`` is the price of each label (a scalar or one per row). ``gold`` maps gold item
    codes to their class. ``model_label`` / ``model_confidence`` (n_items,) hold a model's
    answer and stated confidence per item (-1 / nan where it gave none)."""

    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    n_items: int
    n_workers: int
    n_classes: int
    cost: np.ndarray
    gold: dict[int, int]
    model_label: np.ndarray | None = None
    model_confidence: np.ndarray | None = None
    model_target_accuracy: float = 0.9
    model_min_gold: int = 20
    audit_rate: float = 0.05


@dataclass(frozen=True)
class Skill:
    """The full fit the line's stopping rule reads: confusions and prior."""

    log_conf: np.ndarray  # (W, K, K)
    log_prior: np.ndarray  # (K,)
    average: np.ndarray  # (K, K): the average contributor
    accuracy: np.ndarray  # (W,): each contributor's chance of a right label


def skill(confusions: np.ndarray, prior: np.ndarray) -> Skill:
    conf = np.maximum(np.asarray(confusions, dtype=np.float64), 1e-12)
    pi = np.maximum(np.asarray(prior, dtype=np.float64), 1e-12)
    pi = pi / pi.sum()
    accuracy = np.einsum("wcc,c->w", conf, pi)
    return Skill(np.log(conf), np.log(pi), population_confusion(conf), accuracy)


@dataclass(frozen=True)
class Replayed:
    """One candidate replayed: per item, the record's class (-1: none) and the human labels
    kept (items are the evidence's codes)."""

    record: np.ndarray  # (n_items,)
    used: np.ndarray  # (n_items,) human labels kept
    cost: np.ndarray  # (n_items,) their cost
    accepted: np.ndarray  # (n_items,) bool: the model's answer stood alone
    confidence: np.ndarray  # (n_items,) the posterior's confidence in the record (0: none)


def replay(ev: Evidence, cand: Candidate, sk: Skill) -> Replayed:
    """The records and labels of ``cand`` on ``ev``'s recorded labels."""
    order = _order(ev, cand, sk)
    item, worker, label = ev.item[order], ev.worker[order], ev.label[order]
    cost = np.broadcast_to(ev.cost, ev.item.shape)[order]
    n = ev.n_items
    starts = np.searchsorted(item, np.arange(n + 1))
    avail = np.diff(starts)
    position = np.arange(item.size) - starts[item] + 1  # 1-based within its item
    vote = _model_vote(ev, cand)
    scores = sk.log_conf[worker, :, label]
    cum = np.cumsum(scores, axis=0)
    before = np.vstack([np.zeros((1, ev.n_classes)), cum])[starts[item]]
    s = cum - before + sk.log_prior + (vote[item] if vote is not None else 0.0)
    post = np.exp(s - s.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    policy = StoppingPolicy(cand.min_labels, cand.max_labels, cand.target_confidence)
    more = needs_more(post, position, policy, available=avail[item])
    stop_at = np.where(more, np.iinfo(np.int64).max, position)
    used = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(used, item, stop_at)
    used = np.where(avail > 0, np.minimum(used, np.minimum(avail, cand.max_labels)), 0)
    accepted = _accepted(ev, cand)
    used[accepted] = 0
    keep = position <= used[item]
    record = np.full(n, -1, dtype=np.int64)  # the posterior where the item stopped
    last = keep & (position == used[item])
    record[item[last]] = np.argmax(s[last], axis=1)
    confidence = np.zeros(n)
    confidence[item[last]] = post[last].max(axis=1)
    if accepted.any():
        assert ev.model_label is not None and ev.model_confidence is not None
        record[accepted] = ev.model_label[accepted]
        confidence[accepted] = ev.model_confidence[accepted]
    spent = np.bincount(item[keep], weights=cost[keep], minlength=n)
    return Replayed(record, used, spent, accepted, confidence)


def _order(ev: Evidence, cand: Candidate, sk: Skill) -> np.ndarray:
    """Rows by item, in time order; with routing, an item's labels after its first
    ``min_labels`` put proven contributors first when the item is still hard then."""
    order = np.argsort(ev.item, kind="stable")
    if not cand.route_hard or not ev.item.size:
        return order
    item, worker = ev.item[order], ev.worker[order]
    starts = np.searchsorted(item, np.arange(ev.n_items + 1))
    position = np.arange(item.size) - starts[item]
    head = position < cand.min_labels
    s = np.zeros((ev.n_items, ev.n_classes)) + sk.log_prior
    np.add.at(s, item[head], sk.log_conf[worker[head], :, ev.label[order][head]])
    p = np.exp(s - s.max(axis=1, keepdims=True))
    hard = (p.max(axis=1) / p.sum(axis=1)) < cand.hard_below
    proven = sk.accuracy[worker] >= cand.hard_min_accuracy
    # tail rows of hard items: proven first, then the rest, each in time order
    rank = np.where(head | ~hard[item], 0, np.where(proven, 1, 2))
    return order[np.lexsort((position, rank, item))]


def _model_vote(ev: Evidence, cand: Candidate) -> np.ndarray | None:
    """Per item, the log likelihood of the model's suggestion (model-as-suggestion only)."""
    if cand.model != "suggest" or ev.model_label is None or ev.model_confidence is None:
        return None
    k = ev.n_classes
    said = ev.model_label
    c = np.clip(np.nan_to_num(ev.model_confidence, nan=1.0 / k), 1e-6, 1 - 1e-6)
    vote = np.repeat(np.log((1.0 - c) / max(k - 1, 1))[:, None], k, axis=1)
    has = said >= 0
    vote[has, said[has]] = np.log(c[has])
    vote[~has] = 0.0
    return vote


def _accepted(ev: Evidence, cand: Candidate) -> np.ndarray:
    """Items whose model answer the line's routing would accept alone (model-first)."""
    out = np.zeros(ev.n_items, dtype=bool)
    if cand.model != "first" or ev.model_label is None or ev.model_confidence is None:
        return out
    seen = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    right = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    for g, truth in ev.gold.items():
        c = ev.model_confidence[g]
        if ev.model_label[g] >= 0 and np.isfinite(c):
            seen[confidence_bin(float(c))] += 1
            right[confidence_bin(float(c))] += int(ev.model_label[g] == truth)
    n_seen, n_right = at_or_above(seen, right, cand.accept_confidence)
    for i in np.flatnonzero(ev.model_label >= 0):
        if int(i) in ev.gold:
            continue
        draw = (int(i) * HASH) % 2**32 / 2**32
        decision = decide(float(ev.model_confidence[i]), accept_confidence=cand.accept_confidence,
                          target_accuracy=ev.model_target_accuracy, gold_seen=n_seen,
                          gold_correct=n_right, min_gold=ev.model_min_gold,
                          audit_rate=ev.audit_rate, draw=draw)
        out[i] = decision.accepted
    return out
