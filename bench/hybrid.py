"""Hybrid production: how many human labels does a model that answers first save, at what
cost in record accuracy?

Replays the real crowdsourcing datasets (``bench/crowd_data.py``; people's real labels in
file order, items with a known truth) under three ways of working, all with the same quality
policy for people (at least ``--min-labels``, at most ``--max-labels`` labels, stop once the
item's Dawid–Skene posterior reaches ``--target``; worker confusions from one Dawid–Skene fit
on all labels, as the line's periodic refit would give):

* people-only — the policy above;
* model-first — a simulated model answers every item first and states a calibrated
  confidence ``c`` (it is right with probability ``c``; ``c = 1/K + (1 - 1/K)·x`` with
  ``x ~ Beta(m·κ, (1-m)·κ)``, ``m`` set so the mean confidence is ``--model-mean``). The
  line's own routing function, ``datafab.quality.routing.decide``, accepts its answer alone
  when ``c >= --accept`` and its gold accuracy at that confidence supports
  ``--target-accuracy`` (the model meets the project's ``--gold-items`` gold items, each
  once, mixed into its leases at ``--gold-rate``, the project's ``models.gold_rate``: a
  model's gold costs no person anything);
  a share ``--audit`` of acceptable answers and every other item go to people, who follow
  the people-only policy;
* model-as-suggestion — the model's answer is shown and counted as one vote (its likelihood
  from its stated confidence), and people add labels under the same policy with at least one
  person per item. People's labels are their real ones: no anchoring on the suggestion is
  modelled, so this row is an upper bound on what a suggestion saves.

The model's mistakes are independent of which items people find hard (a simplification).
Human labels are counted on the items: people meet gold at the same rate per lease in every
row, so counting it would scale every row alike and leave the shares unchanged.

    DATAFAB_DATASETS=path/to/crowd .venv/bin/python bench/hybrid.py
    .venv/bin/python bench/hybrid.py --datasets d_product,d_possent --seeds 5

Ends with ``RESULT human_label_share=… accuracy_delta=…``: model-first against people-only,
pooled over the datasets and seeds (human labels model-first / people-only, and record
accuracy model-first minus people-only).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from datafab import quality
from datafab.quality.calibration import CONFIDENCE_BINS, at_or_above, confidence_bin
from datafab.quality.routing import decide

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crowd_data import load, names  # noqa: E402

console = Console()


@dataclass(frozen=True)
class Setup:
    min_labels: int = 2
    max_labels: int = 10
    target: float = 0.9
    model_mean: float = 0.85
    concentration: float = 1.0
    accept: float = 0.0  # 0: the same as target
    target_accuracy: float = 0.0  # 0: the same as target
    min_gold: int = 20
    audit: float = 0.05
    gold_rate: float = 0.5  # the project's models.gold_rate
    gold_items: int = 200


@dataclass
class Arm:
    human_labels: int = 0
    right: int = 0
    records: int = 0
    accepted: int = 0

    def add(self, other: Arm) -> None:
        for key in ("human_labels", "right", "records", "accepted"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    @property
    def per_record(self) -> float:
        return self.human_labels / self.records

    @property
    def accuracy(self) -> float:
        return self.right / self.records


class Replay:
    """One dataset: per item its labels in file order, and the people's stopping rule."""

    def __init__(self, name: str, setup: Setup) -> None:
        ds = load(name)
        self.name, self.setup, self.k = name, setup, ds.n_classes
        fit = quality.DawidSkene().fit(ds.item, ds.worker, ds.label, n_items=ds.n_items,
                                       n_workers=ds.n_workers, n_classes=ds.n_classes)
        self.log_conf = np.log(fit.confusions_)
        self.log_prior = np.log(fit.priors_)
        order = np.argsort(ds.item, kind="stable")  # file order within each item
        starts = np.searchsorted(ds.item[order], np.arange(ds.n_items + 1))
        self.items = [i for i in range(ds.n_items)
                      if ds.truth[i] >= 0 and starts[i + 1] > starts[i]]
        self.labels = {i: ds.label[order[starts[i]:starts[i + 1]]] for i in self.items}
        self.workers = {i: ds.worker[order[starts[i]:starts[i + 1]]] for i in self.items}
        self.truth = ds.truth

    def people(self, item: int, model_vote: tuple[int, float] | None = None,
               min_people: int | None = None) -> tuple[int, int]:
        """(answer, human labels used) under the stopping rule; a model vote first if given.
        Each prefix's posterior is the Dawid–Skene E-step for the item (as
        ``quality.item_posterior`` computes it)."""
        s = self.setup
        labels, workers = self.labels[item], self.workers[item]
        rows = self.log_conf[workers, :, labels]  # (n, K) log P(label | class)
        base = self.log_prior.copy()
        if model_vote is not None:
            said, c = model_vote
            vote = np.full(self.k, np.log(max(1.0 - c, 1e-9) / (self.k - 1)))
            vote[said] = np.log(max(c, 1e-9))
            base = base + vote
        cum = base + np.cumsum(rows, axis=0)
        post = np.exp(cum - cum.max(axis=1, keepdims=True))
        confident = post.max(axis=1) / post.sum(axis=1) >= s.target
        least = s.min_labels if min_people is None else min_people
        most = min(s.max_labels, len(labels))
        n = most
        for j in range(least - 1, most):
            if confident[j]:
                n = j + 1
                break
        n = max(1, min(n, most))
        return int(np.argmax(cum[n - 1])), n


class Model:
    """A calibrated simulated model: states c, is right with probability c."""

    def __init__(self, k: int, setup: Setup, rng: np.random.Generator) -> None:
        self.k, self.rng = k, rng
        floor = 1.0 / k
        m = (setup.model_mean - floor) / (1.0 - floor)
        self.a, self.b = m * setup.concentration, (1.0 - m) * setup.concentration
        self.floor = floor

    def answer(self, truth: int) -> tuple[int, float]:
        c = float(self.floor + (1.0 - self.floor) * self.rng.beta(self.a, self.b))
        if self.rng.random() < c:
            return truth, c
        wrong = int(self.rng.integers(self.k - 1))
        return (wrong if wrong < truth else wrong + 1), c


def run(replay: Replay, setup: Setup, seed: int) -> dict[str, Arm]:
    rng = np.random.default_rng(seed)
    model = Model(replay.k, setup, rng)
    arms = {name: Arm() for name in ("people-only", "model-first", "model-as-suggestion")}
    seen = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    right = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
    gold_left = setup.gold_items
    for item in rng.permutation(replay.items):
        truth = int(replay.truth[item])
        # each lease slot is gold with probability gold_rate: gold before the next item
        for _ in range(min(gold_left, rng.geometric(1.0 - setup.gold_rate) - 1)):
            gold_left -= 1
            gold_truth = int(rng.integers(replay.k))
            said, c = model.answer(gold_truth)
            seen[confidence_bin(c)] += 1
            right[confidence_bin(c)] += int(said == gold_truth)
        answer, used = replay.people(item)
        _tally(arms["people-only"], answer, truth, used)

        said, c = model.answer(truth)
        n, k = at_or_above(seen, right, setup.accept)
        decision = decide(c, accept_confidence=setup.accept,
                          target_accuracy=setup.target_accuracy, gold_seen=n, gold_correct=k,
                          min_gold=setup.min_gold, audit_rate=setup.audit, draw=rng.random())
        if decision.accepted:
            _tally(arms["model-first"], said, truth, 0, accepted=True)
        else:
            _tally(arms["model-first"], answer, truth, used)

        voted, used_with_vote = replay.people(item, model_vote=(said, c), min_people=1)
        _tally(arms["model-as-suggestion"], voted, truth, used_with_vote)
    return arms


def _tally(arm: Arm, answer: int, truth: int, used: int, accepted: bool = False) -> None:
    arm.records += 1
    arm.right += int(answer == truth)
    arm.human_labels += used
    arm.accepted += int(accepted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="", help="Comma-separated; default: all.")
    parser.add_argument("--seeds", type=int, default=3)
    for field, default in Setup().__dict__.items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(default),
                            default=default)
    args = parser.parse_args()
    setup = Setup(**{f: getattr(args, f) for f in Setup().__dict__})
    setup = Setup(**{**setup.__dict__, "accept": setup.accept or setup.target,
                     "target_accuracy": setup.target_accuracy or setup.target})
    chosen = [d for d in args.datasets.split(",") if d] or names()
    if not chosen:
        console.print("no datasets found: set DATAFAB_DATASETS to the folder holding d_product/")
        raise SystemExit(2)
    console.print(f"people: min {setup.min_labels}, max {setup.max_labels} labels, target "
                  f"{setup.target}; model: mean confidence {setup.model_mean}, κ "
                  f"{setup.concentration}; accept at c >= {setup.accept} if gold accuracy "
                  f">= {setup.target_accuracy} (min {setup.min_gold} gold), audit "
                  f"{setup.audit}; {args.seeds} seeds")
    table = Table("dataset", "records", "way of working", "human labels / record",
                  "record accuracy", "auto-accepted", "human label share")
    pooled = {name: Arm() for name in ("people-only", "model-first", "model-as-suggestion")}
    for name in chosen:
        replay = Replay(name, setup)
        totals = {arm: Arm() for arm in pooled}
        for seed in range(args.seeds):
            for arm, result in run(replay, setup, seed).items():
                totals[arm].add(result)
        base = totals["people-only"]
        for arm, result in totals.items():
            pooled[arm].add(result)
            table.add_row(name if arm == "people-only" else "",
                          str(len(replay.items)) if arm == "people-only" else "", arm,
                          f"{result.per_record:.3f}", f"{result.accuracy:.4f}",
                          f"{result.accepted / result.records:.1%}",
                          f"{result.human_labels / base.human_labels:.3f}")
    base = pooled["people-only"]
    for arm, result in pooled.items():
        table.add_row("all (pooled)" if arm == "people-only" else "", "", arm,
                      f"{result.per_record:.3f}", f"{result.accuracy:.4f}",
                      f"{result.accepted / result.records:.1%}",
                      f"{result.human_labels / base.human_labels:.3f}")
    console.print(table)
    first = pooled["model-first"]
    print(f"RESULT human_label_share={first.human_labels / base.human_labels:.3f} "
          f"accuracy_delta={first.accuracy - base.accuracy:+.4f}")


if __name__ == "__main__":
    main()
