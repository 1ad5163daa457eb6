"""The budget planner: which policy gives the most accurate records within a budget?

From a project's recorded labels (:class:`~datafab.quality.replay.Evidence`) the planner
enumerates candidate policies (:func:`candidates`: a fixed number of labels per item, the
adaptive stopping rule with several bounds and thresholds, model-first or
model-as-suggestion where a model answered, hard items routed to proven contributors; the
project's gold rate is kept and paid for), replays the recorded labels under each with the
line's own stopping, routing and estimator code (:mod:`datafab.quality.replay`), and
predicts for each:

* the expected record accuracy: per record, the probability its answer is right under the
  *judge*, the posterior of the project's estimator fitted on **every** recorded label,
  calibrated on the project's gold read blind (:mod:`datafab.quality.judging`: one map for
  every candidate); averaged over the items, with a bootstrap interval over items plus the
  map's spread over resampled gold;
* the cost per record (the recorded price of the labels kept, plus the gold leases a gold
  rate adds) and so the cost of the items the budget must cover.

A replay of recorded labels cannot see past the recorded depth, so :func:`deeper_crowd`
also replays every candidate on simulated crowds (:mod:`datafab.quality.simulation`), as
deep as the recorded one and as deep as the candidates ask; what the depth adds (accuracy
through the same gold map, labels, cost) is an upper bound, the recorded replay's nothing
the lower one, and the prediction moves ``DEEPER_WEIGHT`` (halfway) towards the first, its
interval stretched to hold both.

:func:`choose` then picks, among the candidates whose cost fits the budget, the most
accurate, counted in steps of ``RESOLUTION`` (within a step, the cheaper). A bigger budget
never plans worse: the feasible set only grows, so the best step does too. When no
candidate covers every item, the cheapest is chosen and the number of records it pays for
is said. For an accuracy target instead, :func:`cheapest_reaching` picks the cheapest
candidate predicted to reach it (or the most accurate, saying none does). Before enough
labels exist (:func:`pilot_needed`) the planner asks for a pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import get_estimator
from .judging import MIN_GOLD, Judge, judge, truth_judge  # noqa: F401  (re-exported)
from .replay import Candidate, Evidence, Replayed, Skill, replay, skill
from .simulation import believed, draw, score

#: A plan needs this many items with at least PILOT_LABELS recorded labels each.
PILOT_ITEMS = 50
PILOT_LABELS = 3
#: What the planner asks for when it has less: items × labels per item.
PILOT_ASK = (100, 5)
TARGETS = (0.8, 0.9, 0.95, 0.99)
BOOTSTRAP = 200
#: Simulated crowds drawn for the deeper crowd's correction (:mod:`.simulation`).
SIMULATIONS = 3
#: How far the prediction moves from the recorded replay towards the simulated deeper
#: crowd: the one assumes the labels past the recorded depth add nothing the recorded ones
#: did not (errors shared), the other that they are as independent as the estimator
#: believes; neither is known to be nearer, so halfway, with the interval holding both.
DEEPER_WEIGHT = 0.5
#: Accuracies closer than this are one step: the cheaper policy wins (half a point, well
#: inside any interval the replay gives).
RESOLUTION = 0.005


@dataclass(frozen=True)
class Outcome:
    """A candidate's prediction (per record; :func:`choose` scales it to the items)."""

    policy: Candidate
    accuracy: float  # expected share of records right
    low: float  # 90% bootstrap interval over items
    high: float
    labels_per_record: float  # human labels per record (gold leases not included)
    cost_per_record: float  # labels' price plus the gold leases' price
    model_share: float  # records the model's answer made alone


@dataclass(frozen=True)
class Plan:
    best: Outcome
    records: int  # records the budget pays for under the best policy
    items: int  # items the budget is meant to cover
    budget: float
    cost: float  # the best policy's cost for those records
    covers_all: bool
    frontier: list[Outcome]  # cost ascending, accuracy rising: the best buy at each price
    reached: bool | None = None  # planned for a target: whether ``best`` is predicted to reach it


@dataclass(frozen=True)
class Pilot:
    items: int
    labels_per_item: int
    reason: str


def pilot_needed(ev: Evidence) -> Pilot | None:
    """A pilot to run first (items × labels per item) when the labels are too few to plan."""
    per_item = np.bincount(ev.item, minlength=ev.n_items)
    ready = int((per_item >= PILOT_LABELS).sum())
    if ready >= PILOT_ITEMS:
        return None
    items, labels = PILOT_ASK
    return Pilot(items, labels, f"{ready} items have {PILOT_LABELS}+ labels; "
                 f"{PILOT_ITEMS} are needed to plan")


def candidates(ev: Evidence, *, current_gold_rate: float = 0.0, routing: bool = True,
               sk: Skill | None = None) -> list[Candidate]:
    """Every policy worth replaying on this evidence."""
    per_item = np.bincount(ev.item, minlength=ev.n_items)
    top = int(min(10, max(1, np.percentile(per_item[per_item > 0], 90)))) if ev.item.size else 1
    out = [Candidate(k, k, 1.0) for k in range(1, top + 1)]
    for low in (1, 2):
        for high in sorted({3, 5, top}):
            if high <= low or high > top:
                continue
            out += [Candidate(low, high, t) for t in TARGETS]
    adaptive = [c for c in out if not c.fixed]
    if routing and sk is not None and adaptive:
        bar = float(np.floor(np.percentile(sk.accuracy, 75) * 20) / 20)
        out += [replace(c, route_hard=True, hard_min_accuracy=bar, hard_below=c.target_confidence)
                for c in adaptive]
    if current_gold_rate:  # kept, and paid for: gold is what checks the prediction
        out = [replace(c, gold_rate=current_gold_rate) for c in out]
    if ev.model_label is not None and (ev.model_label >= 0).any():
        people = list(out)
        out += [replace(c, model="suggest") for c in people]
        out += [replace(c, model="first", accept_confidence=a) for c in people if not c.fixed
                for a in (0.8, 0.9, 0.95)]
    return out


def evaluate(ev: Evidence, method: str, cands: list[Candidate] | None = None, *,
             sk: Skill | None = None, judged: Judge | None = None,
             seed: int = 0, deeper: bool = True) -> list[Outcome]:
    """Replay every candidate and predict its outcome (judged by :func:`judge` unless
    ``judged`` is given); with ``deeper``, corrected for what a crowd as deep as the
    policies ask would add (:func:`deeper_crowd`)."""
    sk = sk if sk is not None else fitted_skill(ev, method)
    cands = cands if cands is not None else candidates(ev, sk=sk)
    jd = judged if judged is not None else judge(ev, method)
    records = _records(ev)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, max(records.size, 1), size=(BOOTSTRAP, records.size))
    gold_picks = rng.integers(0, max(jd.gold.size, 1), size=(BOOTSTRAP, jd.gold.size))
    gaps = jd.gaps(np.vstack([np.arange(jd.gold.size)[None, :], gold_picks]))
    out = [_outcome(c, replay(ev, c, sk), jd, records, picks, gaps) for c in cands]
    if not deeper:
        return out
    more = deeper_crowd(ev, cands, sk, jd.probs, records, gaps[0], seed=seed,
                        method=method)
    return [_deepen(o, m) for o, m in zip(out, more, strict=True)]


def deeper_crowd(ev: Evidence, cands: list[Candidate], sk: Skill, probs: np.ndarray,
                 records: np.ndarray, gaps: np.ndarray | None = None, *,
                 seed: int = 0, method: str = "dawid_skene") -> np.ndarray:
    """(len(cands), 3): per candidate, what a crowd as deep as the candidates ask adds over
    the recorded depth to its accuracy, human labels and cost per record: the mean over
    ``SIMULATIONS`` simulated crowds of the deep replay minus the shallow one, on the same
    draws (:mod:`.simulation`; accuracy read through the calibration map ``gaps``)."""
    if not cands or not records.size:
        return np.zeros((len(cands), 3))
    depth = max(c.max_labels for c in cands)
    if not _shallower(ev, records, depth).any():
        return np.zeros((len(cands), 3))
    rng = np.random.default_rng([seed, 1])
    conf = believed(ev, sk, method)
    more = np.zeros((SIMULATIONS, len(cands), 3))
    for r in range(SIMULATIONS):
        crowd = draw(ev, sk, probs, depth, rng, believed=conf)
        for j, c in enumerate(cands):
            deep = score(crowd, c, sk, records, deep=True, gaps=gaps)
            shallow = score(crowd, c, sk, records, deep=False, gaps=gaps)
            more[r, j] = (deep.accuracy - shallow.accuracy, deep.labels - shallow.labels,
                          deep.cost - shallow.cost)
    result: np.ndarray = more.mean(axis=0)
    return result


def _shallower(ev: Evidence, records: np.ndarray, depth: int) -> np.ndarray:
    """Which records hold fewer recorded labels than ``depth``."""
    shallow: np.ndarray = np.bincount(ev.item, minlength=ev.n_items)[records] < depth
    return shallow


def _deepen(o: Outcome, more: np.ndarray) -> Outcome:
    """The recorded replay's outcome moved ``DEEPER_WEIGHT`` of the way to the simulated
    deeper crowd's; the interval stretched to hold both."""
    gain, labels, cost = (float(x) for x in more)
    return replace(o, accuracy=_clip(o.accuracy + DEEPER_WEIGHT * gain),
                   low=_clip(o.low + min(0.0, gain)), high=_clip(o.high + max(0.0, gain)),
                   labels_per_record=o.labels_per_record + DEEPER_WEIGHT * labels,
                   cost_per_record=o.cost_per_record
                   + DEEPER_WEIGHT * cost * o.policy.cost_factor)


def fitted_skill(ev: Evidence, method: str = "dawid_skene") -> Skill:
    """The contributors' confusions and class prior the line reads between refits: one fit
    of the project's estimator on every recorded label (gold clamped)."""
    fit = get_estimator(method)().fit(
        ev.item, ev.worker, ev.label, n_items=ev.n_items, n_workers=ev.n_workers,
        n_classes=ev.n_classes, gold=ev.gold or None)
    return skill(fit.confusions_, fit.priors_)


def _records(ev: Evidence) -> np.ndarray:
    """The items a record is predicted for: labelled, not gold."""
    labelled = np.bincount(ev.item, minlength=ev.n_items) > 0
    labelled[list(ev.gold)] = False
    return np.flatnonzero(labelled)


def _outcome(cand: Candidate, got: Replayed, jd: Judge, records: np.ndarray,
             picks: np.ndarray, gaps: np.ndarray) -> Outcome:
    """The candidate's prediction: the calibrated chance of each record being right, its
    mean, and a 90% interval resampling the items and (through ``gaps[1:]``, the map
    refitted on resampled gold) the gold."""
    if records.size == 0:
        return Outcome(cand, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    right = jd.right(records, got.record[records], gaps)
    estimate = float(right[0].mean())
    spread = right[0][picks].mean(axis=1) + (right[1:].mean(axis=1) - estimate)
    labels = float(got.used[records].mean())
    cost = float(got.cost[records].mean())
    return Outcome(cand, _clip(estimate), _clip(float(np.percentile(spread, 5))),
                   _clip(float(np.percentile(spread, 95))), labels, cost * cand.cost_factor,
                   float(got.accepted[records].mean()))


def _step(accuracy: float) -> int:
    """Accuracy in steps of ``RESOLUTION`` (rounded down): within one step the cheaper wins."""
    return int(np.floor(accuracy / RESOLUTION + 1e-9))


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def choose(outcomes: list[Outcome], budget: float, items: int) -> Plan:
    """The most accurate outcome whose cost for ``items`` records fits ``budget``."""
    if not outcomes:
        raise ValueError("no candidate policies to choose from")
    if not budget > 0:
        raise ValueError(f"budget must be positive, got {budget!r}")
    frontier = _frontier(outcomes)
    fits = [o for o in outcomes if o.cost_per_record * items <= budget]
    if fits:
        best = min(fits, key=lambda o: (-_step(o.accuracy), o.cost_per_record, -o.accuracy))
        return Plan(best, items, items, budget, best.cost_per_record * items, True, frontier)
    best = min(outcomes, key=lambda o: (o.cost_per_record, -o.accuracy))
    records = int(budget // best.cost_per_record) if best.cost_per_record > 0 else items
    records = min(records, items)
    return Plan(best, records, items, budget, best.cost_per_record * records, False, frontier)


def cheapest_reaching(outcomes: list[Outcome], target: float, items: int) -> Plan:
    """The cheapest outcome predicted to reach ``target`` accuracy over ``items`` records
    (among equal costs, the more accurate); when none does, the most accurate reachable one
    (among equals, the cheaper), with ``reached`` False. The plan's budget is its cost."""
    if not outcomes:
        raise ValueError("no candidate policies to choose from")
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target must be an accuracy in (0, 1], got {target!r}")
    reaching = [o for o in outcomes if o.accuracy >= target]
    if reaching:
        best = min(reaching, key=lambda o: (o.cost_per_record, -o.accuracy))
    else:
        best = max(outcomes, key=lambda o: (o.accuracy, -o.cost_per_record))
    cost = best.cost_per_record * items
    return Plan(best, items, items, cost, cost, True, _frontier(outcomes), bool(reaching))


def _frontier(outcomes: list[Outcome]) -> list[Outcome]:
    out: list[Outcome] = []
    for o in sorted(outcomes, key=lambda o: (o.cost_per_record, -o.accuracy)):
        if not out or o.accuracy > out[-1].accuracy:
            out.append(o)
    return out


def plan(ev: Evidence, budget: float, items: int, method: str = "dawid_skene", *,
         current_gold_rate: float = 0.0, routing: bool = True) -> Plan | Pilot:
    """The best policy for ``budget`` over ``items`` records, or the pilot to run first."""
    wanted = pilot_needed(ev)
    if wanted is not None:
        return wanted
    sk = fitted_skill(ev, method)
    cands = candidates(ev, current_gold_rate=current_gold_rate, routing=routing, sk=sk)
    return choose(evaluate(ev, method, cands, sk=sk), budget, items)
